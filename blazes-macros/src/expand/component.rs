//! `#[component]`: on a struct, implements `blazes::Annotated`; on its impl
//! block, strips the helper attributes, implements `blazes::Handler` by
//! dispatching input interfaces to the handler methods, and registers the
//! component's annotations with `blazes::registry()`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Item, ItemImpl, ItemStruct};

use crate::attrs::name_of;
use crate::component::{self, ImplSpec};
use crate::errors::Errors;

/// Expands `#[component(args)] item`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let expanded = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Struct(s)) => expand_struct(args, &s, &mut errors),
        Ok(Item::Impl(mut i)) => {
            if !args.is_empty() {
                errors.spanned(
                    &args,
                    "`#[component]` on an impl block takes no arguments; put `rep` on the struct",
                );
            }
            expand_impl(&mut i, &mut errors)
        }
        Ok(other) => {
            errors.spanned(
                &other,
                "`#[component]` goes on a struct and on its impl block of handler methods",
            );
            item
        }
        Err(error) => {
            errors.push(error);
            item
        }
    };
    let errors = errors.to_compile_errors();
    quote!(#expanded #errors)
}

fn expand_struct(args: TokenStream, item: &ItemStruct, errors: &mut Errors) -> TokenStream {
    let spec = component::read_struct(args, item, errors);
    let ident = &item.ident;
    let name = name_of(ident);
    let rep = spec.rep;
    let (impl_generics, type_generics, where_clause) = item.generics.split_for_impl();
    quote! {
        #item
        impl #impl_generics ::blazes::Annotated for #ident #type_generics #where_clause {
            const NAME: &'static str = #name;
            const REP: bool = #rep;
        }
    }
}

fn expand_impl(item: &mut ItemImpl, errors: &mut Errors) -> TokenStream {
    let spec = component::read_impl(item, errors);
    if !errors.is_empty()
        && (spec.ident.is_none() || item.trait_.is_some() || !item.generics.params.is_empty())
    {
        return quote!(#item);
    }
    let handler = handler_impl(&spec);
    let registration = registration(&spec);
    quote! {
        #item
        #handler
        #registration
    }
}

fn handler_impl(spec: &ImplSpec) -> TokenStream {
    let self_ty = &spec.self_ty;
    let arms = spec.handlers.iter().filter(|h| h.callable).map(|h| {
        let input = name_of(h.input());
        let method = &h.method;
        let handler = quote_spanned! {method.span()=>
            let handler: fn(&mut Self, ::blazes::Tuple, &mut ::blazes::Emit) = Self::#method;
        };
        quote!(#input => { #handler handler(self, tuple, out); ::core::result::Result::Ok(()) })
    });
    let on_seal = spec.on_seal.as_ref().filter(|(_, ok)| *ok).map(|(method, _)| {
        let on_seal = quote_spanned! {method.span()=>
            let on_seal: fn(&mut Self, &str, &::blazes::Tuple, &mut ::blazes::Emit) = Self::#method;
        };
        quote! {
            fn on_seal(&mut self, input: &str, partition: &::blazes::Tuple, out: &mut ::blazes::Emit) {
                #on_seal
                on_seal(self, input, partition, out);
            }
        }
    });
    let unused = spec
        .handlers
        .iter()
        .all(|h| !h.callable)
        .then(|| quote!(let _ = (tuple, out);));
    quote! {
        impl ::blazes::Handler for #self_ty {
            fn handle(
                &mut self,
                input: &str,
                tuple: ::blazes::Tuple,
                out: &mut ::blazes::Emit,
            ) -> ::core::result::Result<(), ::blazes::UnknownInput> {
                #unused
                match input {
                    #(#arms)*
                    _ => ::core::result::Result::Err(::blazes::UnknownInput(
                        ::std::string::ToString::to_string(input),
                    )),
                }
            }
            #on_seal
        }
    }
}

fn registration(spec: &ImplSpec) -> TokenStream {
    let self_ty = &spec.self_ty;
    let annotated = quote_spanned!(self_ty.span()=> <#self_ty as ::blazes::Annotated>);
    let paths = spec.handlers.iter().flat_map(|h| {
        let handler = h.method.to_string();
        h.paths.iter().map(move |p| {
            let (from, to) = (p.input_name(), p.output_name());
            let label = p.label.kind.to_string();
            let label = syn::Ident::new(&label, proc_macro2::Span::call_site());
            let gate = p.gate_names().into_iter();
            quote! {
                ::blazes::__private::RegisteredPath {
                    from: #from,
                    to: #to,
                    label: ::blazes::PathKind::#label,
                    gate: &[#(#gate),*],
                    handler: #handler,
                }
            }
        })
    });
    let mut inputs: Vec<String> = Vec::new();
    let mut outputs: Vec<String> = Vec::new();
    for path in spec.paths() {
        for (list, name) in [
            (&mut inputs, path.input_name()),
            (&mut outputs, path.output_name()),
        ] {
            if !list.contains(&name) {
                list.push(name);
            }
        }
    }
    let on_seal = match &spec.on_seal {
        Some((method, _)) => {
            let method = method.to_string();
            quote!(::core::option::Option::Some(#method))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::blazes::__private::inventory::submit! {
            ::blazes::__private::RegisteredComponent {
                name: #annotated::NAME,
                module_path: ::core::module_path!(),
                rep: #annotated::REP,
                paths: &[#(#paths),*],
                inputs: &[#(#inputs),*],
                outputs: &[#(#outputs),*],
                on_seal: #on_seal,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_struct_gets_its_annotated_constants() {
        let out = expand(
            quote!(rep),
            quote!(
                pub struct Cache;
            ),
        )
        .to_string();
        assert!(
            out.contains("impl :: blazes :: Annotated for Cache"),
            "{out}"
        );
        assert!(out.contains("const REP : bool = true"), "{out}");
    }

    #[test]
    fn an_impl_block_dispatches_registers_and_loses_its_helpers() {
        let out = expand(
            TokenStream::new(),
            quote! {
                impl Count {
                    #[path(from = words, to = counts, label = OW, gate = [word, batch])]
                    fn words(&mut self, word: Tuple, out: &mut Emit) {}
                    #[on_seal]
                    fn sealed(&mut self, input: &str, partition: &Tuple, out: &mut Emit) {}
                }
            },
        )
        .to_string();
        assert!(!out.contains("# [path"), "{out}");
        assert!(!out.contains("# [on_seal"), "{out}");
        assert!(out.contains("impl :: blazes :: Handler for Count"), "{out}");
        assert!(out.contains("\"words\" =>"), "{out}");
        assert!(out.contains("fn on_seal"), "{out}");
        assert!(out.contains("inventory :: submit !"), "{out}");
        assert!(out.contains("gate : & [\"batch\" , \"word\"]"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn a_handler_with_a_wrong_signature_is_reported_and_not_dispatched() {
        let out = expand(
            TokenStream::new(),
            quote! {
                impl Count {
                    #[path(from = words, to = counts, label = CW)]
                    fn words(&self) {}
                }
            },
        )
        .to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(!out.contains("\"words\" =>"), "{out}");
        assert!(out.contains("impl :: blazes :: Handler for Count"), "{out}");
    }
}
