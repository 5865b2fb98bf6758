//! `#[blazes::dataflow(..)]` on an inline module: reads the components and
//! the wiring, runs the engine at expansion time, and fails the build with
//! spanned errors when a sink would exceed the requirement. Adds
//! `dataflow()` and `analysis()` to the module.

use blazes_core::{Permission, Requirement};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Item, ItemMod};

use crate::attrs::{self, name_of};
use crate::check;
use crate::errors::Errors;
use crate::expand::builder;
use crate::model;
use crate::module;

/// Expands `#[blazes::dataflow(args)] mod name { .. }`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let options = errors
        .keep(attrs::parse_dataflow_args(args))
        .unwrap_or_default();
    let mut module = match syn::parse2::<ItemMod>(item.clone()) {
        Ok(module) => module,
        Err(error) => {
            errors.push(syn::Error::new(
                error.span(),
                "`#[blazes::dataflow]` goes on an inline module: `mod name { .. }`",
            ));
            let errors = errors.to_compile_errors();
            return quote!(#item #errors);
        }
    };
    let Some((_, items)) = &mut module.content else {
        errors.spanned(
            &module,
            "`#[blazes::dataflow]` needs the module's items inline (`mod name { .. }`), to see \
             every component and stream",
        );
        let errors = errors.to_compile_errors();
        return quote!(#module #errors);
    };
    let parts = module::read(items, &mut errors);
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| name_of(&module.ident));
    let requires = options.requires.map_or(Requirement::default(), |r| r.0);
    let coordinate = options.coordinate.map_or(Permission::default(), |p| p.0);
    let built = model::build(name, requires, coordinate, &parts, &mut errors);
    mark_components(items, &built.unmarked_structs);
    if errors.is_empty() && !parts.components_have_errors {
        check::run(&built, &parts, options.enforce.unwrap_or(true), &mut errors);
    }
    let dataflow = builder::dataflow_expr(&built.dataflow);
    let errors = errors.to_compile_errors();
    items.push(syn::parse_quote! {
        /// The dataflow this module declares, as checked when it was compiled.
        pub fn dataflow() -> ::blazes::Dataflow {
            #dataflow
        }
    });
    items.push(syn::parse_quote! {
        /// The analysis of [`dataflow`]: labels, coordination plan, residual labels.
        pub fn analysis() -> ::blazes::Analysis {
            ::blazes::__private::analyze_validated(&dataflow())
        }
    });
    quote!(#module #errors)
}

/// Marks plain structs that have a `#[component]` impl (already reported), so
/// their impl does not fail a second time on the missing `Annotated` impl.
fn mark_components(items: &mut [Item], unmarked: &[syn::Ident]) {
    for item in items {
        if let Item::Struct(s) = item
            && unmarked.contains(&s.ident)
        {
            s.attrs.insert(0, syn::parse_quote!(#[::blazes::component]));
        }
    }
}
