//! `#[blazes::dataflow(..)]` on an inline module: reads the components and
//! the wiring, runs the engine at expansion time, and fails the build with
//! spanned errors when a sink would exceed the requirement. Expands the
//! module's components, registers them once for the whole module, and adds
//! `dataflow()`, `analysis()` and `factories()` to the module.

use std::collections::HashMap;

use blazes_core::{Permission, Requirement};
use proc_macro2::TokenStream;
use quote::quote;

use crate::attrs::{self, name_of};
use crate::check;
use crate::component::StructSpec;
use crate::errors::Errors;
use crate::expand::{builder, chain, component, exported, factories};
use crate::light::{LightItem, LightMod};
use crate::model;
use crate::module::{self, ModuleParts};
use crate::warnings::Warnings;

/// Expands `#[blazes::dataflow(args)] mod name { .. }`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let args_tokens = args.clone();
    let options = errors
        .keep(attrs::parse_dataflow_args(args))
        .unwrap_or_default();
    // A module of macro calls only (a dataflow naming its components by
    // path) is read from its tokens; anything else with syn.
    let read =
        LightMod::read_plain(&item).map_or_else(|| syn::parse2::<LightMod>(item.clone()), Ok);
    let mut module = match read {
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
    let Some((_, _, items)) = &mut module.content else {
        errors.spanned(
            &module,
            "`#[blazes::dataflow]` needs the module's items inline (`mod name { .. }`), to see \
             every component and stream",
        );
        let errors = errors.to_compile_errors();
        return quote!(#module #errors);
    };
    if items.iter().any(chain::is_components) {
        let name = options
            .name
            .clone()
            .unwrap_or_else(|| name_of(&module.ident));
        if let Some(call) = chain::begin(args_tokens, name, items, &mut errors) {
            items.push(LightItem::Other(syn::Item::Verbatim(call)));
        }
        let errors = errors.to_compile_errors();
        return quote!(#module #errors);
    }
    let parts = module::read(items, &mut errors);
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| name_of(&module.ident));
    let requires = options.requires.map_or(Requirement::default(), |r| r.0);
    let coordinate = options.coordinate.map_or(Permission::default(), |p| p.0);
    let built = model::build(name, requires, coordinate, &parts, &mut errors);
    let mut warnings = Warnings::new();
    if errors.is_empty() {
        check::run(
            &built,
            &parts,
            options.enforce.unwrap_or(true),
            &mut errors,
            &mut warnings,
        );
    }
    let structs: Vec<StructSpec> = parts
        .components
        .iter()
        .filter(|c| c.generics.params.is_empty())
        .cloned()
        .chain(built.unmarked_structs.iter().map(|ident| StructSpec {
            ident: ident.clone(),
            rep: false,
            generics: syn::Generics::default(),
        }))
        .collect();
    let by_name: HashMap<String, &syn::Ident> = structs
        .iter()
        .map(|s| (name_of(&s.ident), &s.ident))
        .collect();
    let spec = builder::dataflow_spec(&built.dataflow, |name| {
        by_name.get(name).map(|ident| quote!(#ident))
    });
    let annotated = structs.iter().map(component::annotated_impl);
    let handlers = parts
        .impls
        .iter()
        .filter(|part| part.expands_here())
        .map(|part| component::handler_impl(&part.spec));
    let spec_fn = spec_fn(&spec);
    let registration = registration(&parts);
    let factories = factories::factories_fn(&parts, None);
    let errors = errors.to_compile_errors();
    let private_use = exported::private_use();
    let generated = quote! {
        #private_use
        #warnings
        #(#annotated)*
        #(#handlers)*
        #spec_fn
        #registration
        /// The dataflow this module declares, as checked when it was compiled.
        pub fn dataflow() -> ::blazes::Dataflow {
            __blazes_spec().build()
        }
        /// The analysis of [`dataflow`]: labels, coordination plan, residual labels.
        pub fn analysis() -> ::blazes::Analysis {
            ::blazes::__private::analyze_validated(&dataflow())
        }
        #factories
    };
    items.push(LightItem::Other(syn::Item::Verbatim(generated)));
    quote!(#module #errors)
}

/// One registration for the module: its dataflow and the methods of every
/// component whose impl block it expands.
fn registration(parts: &ModuleParts) -> TokenStream {
    let methods = parts
        .impls
        .iter()
        .filter(|p| p.expands_here())
        .map(|part| component::methods_spec(&part.spec));
    // Every component is declared here: no module of its own to register.
    dataflow_record(methods, quote!(::blazes::__private::module_of::<()>))
}

/// `__blazes_spec()`, returning the dataflow `spec` (a `DataflowSpec`
/// expression) for `dataflow()` and the registry. A reference to constant
/// data in a function body is promoted to a static: the same typed
/// constant as a `const` item, but not evaluated when the crate is checked,
/// so that its many small allocations are not decoded and saved again at
/// every incremental session.
pub fn spec_fn(spec: &TokenStream) -> TokenStream {
    quote! {
        /// The dataflow as constant data, for `dataflow()` and the registry.
        #[doc(hidden)]
        pub fn __blazes_spec() -> &'static ::blazes::__private::DataflowSpec {
            &#spec
        }
    }
}

/// Registers the module's `__blazes_spec()` with the methods of its
/// components (`registry()`, `dataflows()`): `methods` are `MethodsSpec`s,
/// their names resolved through one import of `spec::*` for them all,
/// returned by a function (as `spec_fn`'s constant is); `modules` is the
/// function giving the module of each (`DataflowRecord::modules`).
pub fn dataflow_record(
    methods: impl Iterator<Item = TokenStream>,
    modules: TokenStream,
) -> TokenStream {
    let methods = builder::with_spec_names(TokenStream::from_iter([
        builder::punct('&'),
        builder::group(
            builder::Delimiter::Bracket,
            builder::comma_separated(methods),
        ),
    ]));
    quote! {
        fn __blazes_methods() -> &'static [::blazes::__private::MethodsSpec] {
            #methods
        }
        ::blazes::__private::inventory::submit! {
            ::blazes::__private::DataflowRecord {
                module_path: ::core::module_path!(),
                spec: __blazes_spec,
                methods: __blazes_methods,
                modules: #modules,
            }
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
        assert!(!out.contains("# [path"), "helpers are stripped: {out}");
        assert!(out.contains("pub fn dataflow"), "{out}");
        assert!(out.contains("pub fn analysis"), "{out}");
        assert!(out.contains("pub fn factories"), "{out}");
        assert!(
            out.contains("for < '__blazes > Count : __blazes_private :: DefaultHandler"),
            "each component's bound names it: {out}"
        );
        assert!(
            out.contains("__blazes_private :: factories :: < (Count , ()) > (& [\"Count\"])"),
            "one call over the components and their names: {out}"
        );
        assert!(
            out.contains("use :: blazes :: __private as __blazes_private ;"),
            "the module imports what its generated paths name: {out}"
        );
        assert!(out.contains("annotated ! (Count \"Count\")"), "{out}");
        assert!(out.contains("handler ! (Count"), "{out}");
        assert!(out.contains("DataflowRecord"), "{out}");
        assert!(
            out.contains("(\"\" , \"words\" , \"Count\" , \"words\" , Sealed (& [\"batch\"]))"),
            "{out}"
        );
    }

    #[test]
    fn one_use_of_the_component_attribute_stays_to_keep_its_import_used() {
        let out = expand(TokenStream::new(), wordcount(quote!({ seal: [batch] }))).to_string();
        assert_eq!(out.matches("# [component").count(), 1, "{out}");
        assert!(
            out.contains("# [component (__expanded_by_dataflow)]"),
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

    fn profiles(fd: TokenStream) -> TokenStream {
        quote! {
            mod profiles {
                #[component]
                pub struct Profile;

                #[component]
                impl Profile {
                    #[path(from = events, to = profiles, label = OW, gate = [user])]
                    fn events(&mut self, event: Tuple, out: &mut Emit) {}
                }

                streams! {
                    events -> Profile.events { seal: [session] };
                    Profile.profiles -> store;
                }

                fds! { #fd }
            }
        }
    }

    #[test]
    fn a_plain_fd_fails_with_the_one_to_one_hint_and_an_injective_one_passes() {
        let out = expand(TokenStream::new(), profiles(quote!(session -> user;))).to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("sink `store` is Run"), "{out}");
        assert!(out.contains("write `session <-> user`"), "{out}");
        assert!(
            out.contains("FdSpec { from : & [\"session\"] , to : \"user\" , injective : false }"),
            "{out}"
        );
        let out = expand(TokenStream::new(), profiles(quote!(session <-> user;))).to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            out.contains("FdSpec { from : & [\"session\"] , to : \"user\" , injective : true }"),
            "{out}"
        );
    }

    #[test]
    fn a_misspelt_seal_expands_to_a_deprecated_item_used_at_its_name() {
        let out = expand(TokenStream::new(), wordcount(quote!({ seal: [bacth] }))).to_string();
        assert!(out.contains("# [deprecated (note ="), "{out}");
        assert!(out.contains("seal attribute `bacth`"), "{out}");
        assert!(out.contains("did you mean `batch`?"), "{out}");
        let clean = expand(TokenStream::new(), wordcount(quote!({ seal: [batch] }))).to_string();
        assert!(!clean.contains("deprecated"), "{clean}");
    }
}
