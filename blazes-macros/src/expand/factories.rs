//! `factories()` of a dataflow module: the runtime's handler factory of every
//! component whose `#[component]` impl block the module expands, each built
//! with `Default`. The `Default` requirement is a where clause checked where
//! `factories()` is called, so a module whose components are not `Default`
//! still builds, and calling `factories()` names the component at fault.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use crate::attrs::name_of;
use crate::expand::{exported, typed};
use crate::module::ModuleParts;

/// `pub fn factories() -> ::blazes::runtime::Factories`. `list`, when
/// given, names the components' nested pairs (a type alias of the module:
/// see `chain::component_list`); otherwise they are written out.
pub fn factories_fn(parts: &ModuleParts, list: Option<TokenStream>) -> TokenStream {
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
    // A bound per component (its error names it, with `DefaultHandler`'s
    // message; one bound over the whole list would name the list), and one
    // generic call over the components as nested pairs in place of a chain
    // of `.with(..)` calls to type-check.
    let bounds = components
        .iter()
        .map(|(_, ty)| quote!(for<'__blazes> #ty: #private::DefaultHandler));
    let list = list.unwrap_or_else(|| {
        typed::nested(components.iter().map(|(_, ty)| ty.to_token_stream())).into()
    });
    let names = components.iter().map(|(name, _)| name);
    quote! {
        /// The handler factory of every component of this module, each built
        /// with `Default`: with [`analysis`], all the runtime needs to run it.
        pub fn factories() -> ::blazes::runtime::Factories
        where
            #(#bounds,)*
        {
            #private::factories::<#list>(&[#(#names),*])
        }
    }
}
