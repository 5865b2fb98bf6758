//! The hidden `macro_rules!` through which a component defined anywhere
//! hands its annotations to a dataflow that names it by path (issue 11).
//!
//! `#[component]` on a struct re-exports, under the struct's own name (macros
//! live in their own namespace, so `path::Sessionize!` coexists with the
//! struct), the library's `__private::chain_struct!` (or `chain_struct_rep!`
//! for a replicated struct): the same step for every struct, carrying its
//! `rep`, the dataflow knowing the name from the path; on a typed impl
//! block, it exports one named `__blazes_impl_<Name>`, carrying its
//! `outputs { .. }` and a skeleton of its handler methods (their `#[path]`s
//! and signatures, original spans kept). A `#[blazes::dataflow]` module with `components! { .. }` calls them
//! one after the other (callback style): each wraps what it was handed in a
//! group, appends its payload and calls the next step (one group in, one
//! group out: no step re-reads the payloads before it), the last step being `blazes::__private::resolve_dataflow!`,
//! which reads the payloads with the same readers as everywhere else and runs the
//! one analysis of `blazes-core`.

use std::hash::{Hash, Hasher};

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};

/// The keyword that starts a chain call.
pub const CHAIN: &str = "__blazes_chain";

/// The re-exported name of a typed impl block's macro.
pub fn impl_macro_name(component: &Ident) -> Ident {
    format_ident!("__blazes_impl_{}", component)
}

/// A name for the `#[macro_export]` macro, unique in the crate: it lives at
/// the crate root whatever module declares it.
fn unique_name(kind: &str, component: &Ident) -> Ident {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    format!("{:?}", component.span()).hash(&mut hasher);
    component.to_string().hash(&mut hasher);
    format_ident!(
        "__blazes_{}_{}_{:016x}",
        kind,
        component,
        hasher.finish(),
        span = Span::call_site()
    )
}

/// The name under which a dataflow module imports `::blazes::__private`
/// (see [`private_use`]).
pub const PRIVATE: &str = "__blazes_private";

/// `use ::blazes::__private as __blazes_private;`, written once in a
/// dataflow module so that the module's generated paths (some 350 in a
/// dataflow of 50 components: check types, factory bounds) are three
/// tokens shorter each: every token of a macro's output crosses the
/// proc-macro bridge and is parsed again.
pub fn private_use() -> TokenStream {
    let alias = private();
    quote! {
        use ::blazes::__private as #alias;
    }
}

/// The alias of [`private_use`], for the paths of a dataflow module.
pub fn private() -> Ident {
    Ident::new(PRIVATE, Span::call_site())
}

/// A `$` token. Written literally in `quote!`, a `$` is parsed from text,
/// one call to the compiler per token, and gets a span of a source file of
/// its own, which incremental compilation then hashes.
pub fn dollar() -> TokenTree {
    TokenTree::Punct(Punct::new('$', Spacing::Alone))
}

/// The exported macro carrying `payload`, re-exported as `reexport`
/// (written by the library's `__private::exported!`: a few tokens here
/// instead of the macro's forty, each a call to the compiler).
pub fn exported_macro(
    kind: &str,
    component: &Ident,
    reexport: &Ident,
    payload: TokenStream,
) -> TokenStream {
    let unique = unique_name(kind, component);
    let d = dollar();
    // The payload moved into its group (`quote!` would copy it).
    let payload = Group::new(Delimiter::Bracket, payload);
    quote! {
        ::blazes::__private::exported! { #d #unique #reexport #payload }
    }
}
