//! `factories()` of a dataflow module: the runtime's handler factory of every
//! component whose `#[component]` impl block the module expands, each built
//! with `Default`. The `Default` requirement is a where clause checked where
//! `factories()` is called, so a module whose components are not `Default`
//! still builds, and calling `factories()` names the component at fault.

use proc_macro2::TokenStream;
use quote::quote;

use crate::attrs::name_of;
use crate::expand::exported;
use crate::module::ModuleParts;

/// `pub fn factories() -> ::blazes::runtime::Factories`.
pub fn factories_fn(parts: &ModuleParts) -> TokenStream {
    let components: Vec<(String, &syn::Type)> = parts
        .impls
        .iter()
        .filter(|part| part.expands_here())
        .filter_map(|part| {
            let ident = part.spec.ident.as_ref()?;
            Some((name_of(ident), &part.spec.self_ty))
        })
        .collect();
    // `__blazes_private`: the module's import of `::blazes::__private`.
    let private = exported::private();
    let bounds = components
        .iter()
        .map(|(_, ty)| quote!(for<'__blazes> #ty: #private::DefaultHandler));
    let registrations = components
        .iter()
        .map(|(name, ty)| quote!(.with(#name, <#ty as #private::DefaultHandler>::handler)));
    quote! {
        /// The handler factory of every component of this module, each built
        /// with `Default`: with [`analysis`], all the runtime needs to run it.
        pub fn factories() -> ::blazes::runtime::Factories
        where
            #(#bounds,)*
        {
            ::blazes::runtime::Factories::new() #(#registrations)*
        }
    }
}
