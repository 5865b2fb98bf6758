//! The helpers used where no `#[component]` or `#[blazes::dataflow]` reads
//! them: each becomes an error that says where it belongs.

use proc_macro2::{Span, TokenStream};
use quote::quote;

/// `#[blazes::path]` or `#[blazes::on_seal]` outside a `#[component]` impl.
pub fn helper_attribute(name: &str, item: TokenStream) -> TokenStream {
    let message = format!(
        "`#[{name}]` is read by `#[component]` on the impl block: add `#[component]` above \
         the `impl` that contains this method"
    );
    let error = syn::Error::new(Span::call_site(), message).to_compile_error();
    quote!(#item #error)
}

/// `streams! { .. }` or `fds! { .. }` outside a `#[blazes::dataflow]` module.
pub fn topology_macro(name: &str) -> TokenStream {
    let message = format!(
        "`{name}! {{ .. }}` is read by `#[blazes::dataflow]`: put it inside the inline module \
         that carries `#[blazes::dataflow]`, beside its components"
    );
    syn::Error::new(Span::call_site(), message).to_compile_error()
}
