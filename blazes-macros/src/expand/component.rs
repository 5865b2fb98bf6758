//! `#[component]`: on a struct, implements `blazes::Annotated`; on its impl
//! block, strips the helper attributes, implements `blazes::Handler` by
//! dispatching input interfaces to the handler methods, and registers the
//! component's annotations with `blazes::registry()`.

use proc_macro2::{Delimiter, Ident, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::ItemStruct;
use syn::spanned::Spanned;

use crate::attrs::{self, name_of};
use crate::component::{self, ImplSpec, StructSpec};
use crate::errors::Errors;
use crate::expand::builder;
use crate::expand::typed;
use crate::light::{LightImpl, LightItem};
use crate::module::EXPANDED_HERE;
use crate::outputs::ImplArgs;

/// Expands `#[component(args)] item`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    if is_expanded_here(&args) {
        return item;
    }
    let mut errors = Errors::new();
    if let Some(ident) = plain_struct_name(&item) {
        let mut expanded = expand_plain_struct(args, item, ident, &mut errors);
        if !errors.is_empty() {
            expanded.extend([errors.to_compile_errors()]);
        }
        return expanded;
    }
    // A plain impl block is read without a syntax tree of its bodies.
    let parsed = match LightImpl::read_plain(&item) {
        Some(light) => Ok(LightItem::Impl(light)),
        None => syn::parse2::<LightItem>(item.clone()),
    };
    let expanded = match parsed {
        Ok(LightItem::Struct(s)) => expand_struct(args, &s, &mut errors),
        Ok(LightItem::Impl(mut i)) if !args.is_empty() => match ImplArgs::read(args.clone()) {
            Ok(typed) => typed::expand(typed, &mut i, &mut errors),
            Err(error) => {
                // Meant as a typed component: the outputs declaration is the
                // mistake, not its handlers. Expanded as the typed component
                // it most likely declares, the refusal is the one error.
                errors.push(error);
                match ImplArgs::recover(args) {
                    Some(typed) => typed::expand(typed, &mut i, &mut errors),
                    None => expand_impl(&mut i, &mut errors, true),
                }
            }
        },
        Ok(LightItem::Impl(mut i)) => expand_impl(&mut i, &mut errors, false),
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
    // Moved, not copied as `quote!` would.
    let mut expanded = expanded;
    if !errors.is_empty() {
        expanded.extend([errors.to_compile_errors()]);
    }
    expanded
}

/// Whether `args` is the one identifier `EXPANDED_HERE` (compared token by
/// token, not written out as text: every `#[component]` asks).
fn is_expanded_here(args: &TokenStream) -> bool {
    let mut trees = args.clone().into_iter();
    matches!(
        (trees.next(), trees.next()),
        (Some(TokenTree::Ident(word)), None) if word == EXPANDED_HERE
    )
}

/// The name of a plain struct declaration (`#[..] pub struct Name { .. }`,
/// `struct Name(..);` or `struct Name;`), read from its top-level tokens: a
/// component struct passes through unchanged, so it needs no syntax tree.
/// `None` for anything else (generics, a where clause, not a struct), which
/// the full reading handles and reports.
fn plain_struct_name(item: &TokenStream) -> Option<Ident> {
    let is = |tree: Option<&TokenTree>, delimiter: Delimiter| matches!(tree, Some(TokenTree::Group(g)) if g.delimiter() == delimiter);
    let mut trees = item.clone().into_iter().peekable();
    loop {
        match trees.next()? {
            TokenTree::Punct(p) if p.as_char() == '#' && is(trees.peek(), Delimiter::Bracket) => {
                trees.next();
            }
            TokenTree::Ident(word) if word == "pub" => {
                if is(trees.peek(), Delimiter::Parenthesis) {
                    trees.next();
                }
            }
            TokenTree::Ident(word) if word == "struct" => break,
            _ => return None,
        }
    }
    let Some(TokenTree::Ident(name)) = trees.next() else {
        return None;
    };
    let is_semicolon =
        |tree: Option<TokenTree>| matches!(tree, Some(TokenTree::Punct(p)) if p.as_char() == ';');
    let body = trees.next();
    let plain = if is(body.as_ref(), Delimiter::Brace) {
        true
    } else if is(body.as_ref(), Delimiter::Parenthesis) {
        is_semicolon(trees.next())
    } else {
        is_semicolon(body)
    };
    (plain && trees.next().is_none()).then_some(name)
}

/// `#[component(args)]` on a plain struct (see [`plain_struct_name`]): the
/// struct unchanged, its `impl Annotated` and the re-export of its chain
/// step ([`component_struct`]).
fn expand_plain_struct(
    args: TokenStream,
    item: TokenStream,
    ident: Ident,
    errors: &mut Errors,
) -> TokenStream {
    let rep = errors
        .keep(attrs::parse_component_args(args))
        .is_some_and(|a| a.rep);
    let spec = StructSpec {
        ident,
        rep,
        generics: syn::Generics::default(),
    };
    // Both streams moved into one (`quote!` would copy them).
    let mut expanded = item;
    expanded.extend([component_struct(&spec)]);
    expanded
}

fn expand_struct(args: TokenStream, item: &ItemStruct, errors: &mut Errors) -> TokenStream {
    let spec = component::read_struct(args, item, errors);
    if !spec.generics.params.is_empty() {
        // A generic struct cannot be named by path in a dataflow: no chain
        // step, its `impl Annotated` written out.
        let annotated = annotated_impl(&spec);
        return quote!(#item #annotated);
    }
    let component = component_struct(&spec);
    quote!(#item #component)
}

/// A component struct without generics: `impl Annotated` and the
/// re-export of its chain step under its name, both written by
/// `blazes::__private::component_struct!` (the step itself is one macro of
/// the library for every struct, not one exported per struct).
fn component_struct(spec: &StructSpec) -> TokenStream {
    let ident = &spec.ident;
    let name = name_of(ident);
    // `REP` is written only when true (the trait's default is false).
    let rep = spec
        .rep
        .then(|| proc_macro2::Ident::new("REP", proc_macro2::Span::call_site()));
    quote!(::blazes::__private::component_struct!(#ident #name #rep);)
}

/// `impl blazes::Annotated` for a component struct (through
/// `blazes::__private::annotated!` when it has no generics: fewer tokens).
pub fn annotated_impl(spec: &StructSpec) -> TokenStream {
    let ident = &spec.ident;
    let name = name_of(ident);
    let rep = spec.rep;
    if spec.generics.params.is_empty() {
        // `REP` is written only when true (the trait's default is false).
        let rep = rep.then(|| proc_macro2::Ident::new("REP", proc_macro2::Span::call_site()));
        return quote!(::blazes::__private::annotated!(#ident #name #rep););
    }
    let (impl_generics, type_generics, where_clause) = spec.generics.split_for_impl();
    quote! {
        impl #impl_generics ::blazes::Annotated for #ident #type_generics #where_clause {
            const PATH: &'static str = ::core::concat!(::core::module_path!(), "::", #name);
            const REP: bool = #rep;
        }
    }
}

/// A plain (untyped) component's impl block; `typed_args_failed` when it
/// was declared typed but its `outputs { .. }` did not parse.
fn expand_impl(item: &mut LightImpl, errors: &mut Errors, typed_args_failed: bool) -> TokenStream {
    let spec = component::read_impl(item, errors);
    if !errors.is_empty()
        && (spec.ident.is_none() || item.trait_.is_some() || !item.generics.params.is_empty())
    {
        return quote!(#item);
    }
    for typed in spec.typed_seals.iter().filter(|_| !typed_args_failed) {
        errors.spanned(
            &typed.input,
            "the typed `#[on_seal(input)]` form is for typed components (`#[component(outputs \
             { .. })]` on the impl block); here write `#[on_seal] fn sealed(&mut self, input: \
             &str, partition: &Tuple, out: &mut Emit)`",
        );
    }
    let handler = handler_impl(&spec);
    let self_ty = &spec.self_ty;
    let annotated = quote_spanned!(self_ty.span()=> <#self_ty as ::blazes::Annotated>);
    let component = builder::with_spec_names(component_spec(&spec, &quote!(#annotated::REP)));
    let methods = builder::with_spec_names(methods_spec(&spec));
    let registration = quote! {
        ::blazes::__private::inventory::submit! {
            ::blazes::__private::ComponentRecord {
                module_path: ::core::module_path!(),
                component: #component,
                methods: #methods,
            }
        }
    };
    quote! {
        #item
        #handler
        #registration
    }
}

/// `impl blazes::Handler`: each input interface calls its method (through
/// `blazes::__private::handler!`, which keeps the generated tokens few).
pub fn handler_impl(spec: &ImplSpec) -> TokenStream {
    let self_ty = &spec.self_ty;
    let arms = spec.handlers.iter().filter(|h| h.callable).map(|h| {
        let input = name_of(h.input());
        let method = &h.method;
        let method = quote_spanned!(method.span()=> Self::#method);
        quote!(#input => #method)
    });
    let on_seal = spec
        .on_seal
        .as_ref()
        .filter(|(_, callable)| *callable)
        .map(|(method, _)| quote_spanned!(method.span()=> Self::#method));
    quote!(::blazes::__private::handler!(#self_ty { #(#arms),* } #on_seal);)
}

/// The component's `blazes::__private::ComponentSpec`, with `rep` as given
/// (names resolved through `spec::*`: see [`builder::with_spec_names`]).
pub fn component_spec(spec: &ImplSpec, rep: &TokenStream) -> TokenStream {
    let name = spec.ident.as_ref().map(name_of).unwrap_or_default();
    let paths = spec
        .paths()
        .map(|p| builder::path_spec(p.input_name(), p.output_name(), &p.annotation()));
    quote!((#name, #rep, &[#(#paths),*]))
}

/// The component's `blazes::__private::MethodsSpec` (names resolved
/// through `spec::*`: see [`builder::with_spec_names`]).
pub fn methods_spec(spec: &ImplSpec) -> TokenStream {
    use builder::{Delimiter, comma_separated, group, ident, punct};
    let name = spec.ident.as_ref().map(name_of).unwrap_or_default();
    let handlers = spec.handlers.iter().map(|h| {
        let input = name_of(h.input());
        let method = h.method.to_string();
        quote!((#input, #method))
    });
    // The untyped `#[on_seal]` method, or a typed component's first
    // `#[on_seal(input)]` method.
    let on_seal = spec
        .on_seal
        .as_ref()
        .map(|(method, _)| method)
        .or_else(|| spec.typed_seals.first().map(|t| &t.method));
    // `(component, handlers, on_seal)`, written tree by tree,
    // each stream moved in (`quote!` would copy every interpolated stream).
    let mut fields = TokenStream::from_iter([
        proc_macro2::TokenTree::Literal(proc_macro2::Literal::string(&name)),
        punct(','),
        punct('&'),
        group(Delimiter::Bracket, comma_separated(handlers)),
        punct(','),
    ]);
    match on_seal {
        Some(method) => {
            let method = method.to_string();
            fields.extend([
                ident("Some"),
                group(Delimiter::Parenthesis, quote!(#method)),
            ]);
        }
        None => fields.extend([ident("None")]),
    }
    TokenStream::from_iter([group(Delimiter::Parenthesis, fields)])
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
            out.contains("component_struct ! (Cache \"Cache\" REP)"),
            "{out}"
        );
        let plain = expand(
            TokenStream::new(),
            quote!(
                pub struct Cache;
            ),
        )
        .to_string();
        assert!(
            plain.contains("component_struct ! (Cache \"Cache\")"),
            "{plain}"
        );
    }

    #[test]
    fn a_plain_struct_is_named_from_its_tokens_anything_else_is_read_fully() {
        let name = |item: TokenStream| plain_struct_name(&item).map(|i| i.to_string());
        for item in [
            quote!(
                #[derive(Default)]
                pub struct Cache {
                    n: u64,
                }
            ),
            quote!(
                pub(crate) struct Cache(u64);
            ),
            quote!(
                #[doc = "a"]
                #[derive(Default)]
                struct Cache;
            ),
        ] {
            assert_eq!(name(item.clone()).as_deref(), Some("Cache"), "{item}");
        }
        for item in [
            quote!(
                pub struct Cache<T> {
                    t: T,
                }
            ),
            quote!(
                pub struct Cache
                where
                    u8: Copy,
                {
                    n: u64,
                }
            ),
            quote!(pub struct Cache(u64)),
            quote!(
                pub enum Cache {
                    A,
                }
            ),
            quote!(impl Cache {}),
        ] {
            assert_eq!(name(item.clone()), None, "{item}");
        }
        let generic = expand(
            TokenStream::new(),
            quote!(
                pub struct Cache<T> {
                    t: T,
                }
            ),
        )
        .to_string();
        assert!(generic.contains("cannot be generic"), "{generic}");
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
        assert!(
            out.contains("handler ! (Count { \"words\" => Self :: words } Self :: sealed)"),
            "{out}"
        );
        assert!(out.contains("inventory :: submit !"), "{out}");
        assert!(
            out.contains("(\"words\" , \"counts\" , OW , & [\"batch\" , \"word\"])"),
            "{out}"
        );
        assert!(out.contains("& [(\"words\" , \"words\")]"), "{out}");
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
        assert!(out.contains("handler ! (Count { })"), "{out}");
    }
}
