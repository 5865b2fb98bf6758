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

#[cfg(test)]
mod tests {
    use super::*;

    fn wordcount(tweets: TokenStream) -> TokenStream {
        quote! {
            mod wordcount {
                #[component]
                pub struct Count;

                #[component]
                impl Count {
                    #[path(from = words, to = counts, label = OW, gate = [word, batch])]
                    fn words(&mut self, word: Tuple, out: &mut Emit) {}
                }

                streams! {
                    words -> Count.words #tweets;
                    Count.counts -> db;
                }
            }
        }
    }

    #[test]
    fn a_sealed_dataflow_expands_without_errors_and_with_its_accessors() {
        let out = expand(TokenStream::new(), wordcount(quote!({ seal: [batch] }))).to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(!out.contains("streams !"), "streams! is removed: {out}");
        assert!(out.contains("pub fn dataflow"), "{out}");
        assert!(out.contains("pub fn analysis"), "{out}");
        assert!(
            out.contains("seal : :: core :: option :: Option :: Some (& [\"batch\"])"),
            "{out}"
        );
    }

    #[test]
    fn an_unsealed_dataflow_fails_with_the_violation() {
        let out = expand(TokenStream::new(), wordcount(TokenStream::new())).to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("sink `db` is Run"), "{out}");
        assert!(
            out.contains("pub fn dataflow"),
            "stubs stay beside errors: {out}"
        );
    }

    #[test]
    fn enforce_false_reports_nothing_at_compile_time() {
        let out = expand(quote!(enforce = false), wordcount(TokenStream::new())).to_string();
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn convergent_accepts_what_deterministic_rejects_only_with_ordering() {
        let options = quote!(requires = convergent, coordinate = auto);
        let out = expand(options, wordcount(TokenStream::new())).to_string();
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn a_module_without_items_inline_is_an_error() {
        let out = expand(
            TokenStream::new(),
            quote!(
                mod wordcount;
            ),
        )
        .to_string();
        assert!(out.contains("needs the module's items inline"), "{out}");
    }
}
