//! `#[component(outputs { .. })]` on an impl block: a typed component
//! (issue 11). Its handlers take the user's record type by value and emit
//! through a generated handle, `<Name>Out`, with one method per output (the
//! record type fixed) and `punctuate_<output>(key..)` for each output
//! declared `punctuates: [key]`. The expansion also checks, at compile time,
//! that each gate and punctuation key names a field of the record it applies
//! to, of a type that can be a key; implements `blazes::__private::Typed`,
//! whose `DISPATCH` constant names the handler and seal methods, through
//! which the library's one generic impl makes every typed component a
//! `blazes::Handler` (records cross the runtime as `Tuple`s underneath);
//! and exports the macro through which a dataflow naming the component by
//! path reads its annotations.

use proc_macro2::{Delimiter, Group, Punct, Spacing, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};

use crate::attrs::name_of;
use crate::component::{self, ImplSpec};
use crate::errors::Errors;
use crate::expand::{exported, skeleton};
use crate::field_id::id_literal;
use crate::light::LightImpl;
use crate::outputs::{ImplArgs, OutputDecl};

/// Expands a typed `#[component(outputs { .. })] impl Name { .. }`.
pub fn expand(args: ImplArgs, item: &mut LightImpl, errors: &mut Errors) -> TokenStream {
    let skeleton = skeleton::write(item);
    let spec = component::read_impl(item, errors);
    let Some(ident) = spec.ident.clone() else {
        return quote!(#item);
    };
    if item.trait_.is_some() || !item.generics.params.is_empty() {
        return quote!(#item);
    }
    check_outputs(&spec, &args.outputs, errors);
    check_seal_inputs(&spec, errors);
    refuse_untyped_on_seal(&spec, &ident, errors);
    let out = format_ident!("{}Out", ident);
    let handle = handle(&ident, &out, &args.outputs);
    // `Typed: Annotated` reports a struct without `#[component]` at the
    // impl; the field checks are types of the impl (in `Typed::Parts`).
    let interfaces = typed_impl(
        &spec,
        &args.outputs,
        &out,
        field_checks(&spec, &args.outputs),
    );
    let mut payload = TokenStream::new();
    payload.extend([
        TokenTree::Ident(syn::Ident::new("impl", proc_macro2::Span::call_site())),
        TokenTree::Group(Group::new(Delimiter::Bracket, args.tokens.clone())),
    ]);
    payload.extend([skeleton]);
    let exported =
        exported::exported_macro("impl", &ident, &exported::impl_macro_name(&ident), payload);
    // Each stream moved in, not copied as `quote!` would.
    let mut expanded = item.to_token_stream();
    expanded.extend([handle, interfaces, exported]);
    expanded
}

fn check_outputs(spec: &ImplSpec, outputs: &[OutputDecl], errors: &mut Errors) {
    let declared: Vec<String> = outputs.iter().map(|o| name_of(&o.name)).collect();
    for path in spec.paths() {
        if !declared.iter().any(|d| d == path.output_name()) {
            errors.spanned(
                path.attr,
                format!(
                    "output `{}` of this path is not declared: add `{}: RecordType` to \
                     `#[component(outputs {{ .. }})]` on the impl block (declared: {})",
                    path.output_name(),
                    path.output_name(),
                    list(&declared)
                ),
            );
        }
    }
    for output in outputs {
        let name = name_of(&output.name);
        if !spec.paths().any(|p| p.output_name() == name) {
            errors.spanned(
                &output.name,
                format!(
                    "no `#[path]` leads to output `{name}`: add `#[path(from = .., to = {name}, \
                     label = ..)]` to the handler that emits it, or remove the output"
                ),
            );
        }
    }
}

/// A typed component's seal handlers are typed: the untyped `#[on_seal]`
/// (the input by name as a `&str`, the partition as a `Tuple`) is refused.
fn refuse_untyped_on_seal(spec: &ImplSpec, ident: &syn::Ident, errors: &mut Errors) {
    let Some((method, _)) = &spec.on_seal else {
        return;
    };
    let input = spec
        .handlers
        .first()
        .map_or_else(|| "input".to_string(), |h| name_of(h.input()));
    errors.spanned(
        method,
        format!(
            "on a typed component, `#[on_seal]` names the input whose partitions it receives \
             and takes the partition's key fields as typed arguments: write \
             `#[on_seal({input})] fn {method}(&mut self, <key field>: <its type>, .., out: &mut \
             {ident}Out)` (the untyped form, with the input as a `&str` and the partition as a \
             `Tuple`, is for components without `outputs {{ .. }}`)"
        ),
    );
}

/// Each typed `#[on_seal(input)]` names an input the component handles.
fn check_seal_inputs(spec: &ImplSpec, errors: &mut Errors) {
    let inputs: Vec<String> = spec.handlers.iter().map(|h| name_of(h.input())).collect();
    let component = spec.ident.as_ref().map(name_of).unwrap_or_default();
    for seal in &spec.typed_seals {
        let input = name_of(&seal.input);
        if !inputs.contains(&input) {
            errors.spanned(
                &seal.input,
                format!(
                    "`{component}` has no input `{input}`: `#[on_seal({input})]` must name an \
                     input that a `#[path(from = ..)]` handler of the component takes \
                     (its inputs: {})",
                    list(&inputs)
                ),
            );
        }
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The type of field `name` of `record`, or `Absent` when there is none
/// (reported once, by `check_field`).
pub fn field_type(record: &TokenStream, name: &str, span: proc_macro2::Span) -> TokenStream {
    let id = id_literal(name);
    quote_spanned! {span=>
        ::blazes::__private::FieldType<#record, #id, { ::blazes::__private::has::<#record>(#name) }>
    }
}

/// The type of punctuation key `name` of `record`, a parameter of the
/// punctuation method: [`field_type`], whose existence flag also fails the
/// build, with `check_field`'s message naming `what`, when the field does
/// not exist (the check needs no item of its own).
fn punctuation_key_type(
    record: &syn::Type,
    name: &str,
    span: proc_macro2::Span,
    what: &str,
) -> TokenStream {
    let id = id_literal(name);
    quote_spanned! {span=>
        ::blazes::__private::FieldType<
            #record, #id, { ::blazes::__private::has_checked::<#record>(#name, #what) }
        >
    }
}

/// The check that field `ident` of `record` exists and can be a key: the
/// type `KeyField<record, id, { has_checked::<record>(name, what) }>`,
/// spanned on the user's token, whose well-formedness is the check (one of
/// the checks of a component's `Typed` impl or of a dataflow).
pub fn key_check(record: &TokenStream, ident: &syn::Ident, what: &str) -> TokenStream {
    let name = name_of(ident);
    let id = id_literal(&name);
    quote_spanned! {ident.span()=>
        ::blazes::__private::KeyField<
            #record, #id, { ::blazes::__private::has_checked::<#record>(#name, #what) }
        >
    }
}

/// A tuple of check types (`(A, B,)`; `()` for none), each moved in.
pub fn check_tuple(checks: Vec<TokenStream>) -> TokenTree {
    let mut list = TokenStream::new();
    for check in checks {
        list.extend([check]);
        list.extend([TokenTree::Punct(Punct::new(',', Spacing::Alone))]);
    }
    TokenTree::Group(Group::new(Delimiter::Parenthesis, list))
}

/// One `const _: () = { .. };` evaluating all the compile-time checks
/// `statements` (nothing when there are none): one item for the compiler
/// to create, hash and evaluate instead of one per check. Each statement
/// keeps its span, so a failed check points at the user's token; the
/// evaluation stops at the first one that fails.
pub fn const_block(statements: TokenStream) -> TokenStream {
    if statements.is_empty() {
        return TokenStream::new();
    }
    quote! {
        const _: () = { #statements };
    }
}

/// The index of the handle's one field, `0`, as a token built directly:
/// written as `self.0` inside `quote!`, a literal is parsed from text, one
/// call to the compiler per token, with a span in a source file of its own
/// that incremental compilation then hashes.
fn field_zero() -> proc_macro2::Literal {
    proc_macro2::Literal::usize_unsuffixed(0)
}

fn handle(component: &syn::Ident, out: &syn::Ident, outputs: &[OutputDecl]) -> TokenStream {
    // Written stream by stream, each moved into the next (`quote!` would
    // copy every interpolated stream, a few calls to the compiler each).
    let group = |delimiter, stream| TokenTree::Group(Group::new(delimiter, stream));
    let punct = |c| TokenTree::Punct(Punct::new(c, Spacing::Alone));
    let field = field_zero();
    let mut methods = TokenStream::new();
    for o in outputs {
        let method = &o.name;
        let name = name_of(method);
        let record = &o.record;
        let doc = format!("Emits `record` on output `{name}`.");
        let all = format_ident!("{}_all", method);
        let doc_all = format!(
            "Emits `records` on output `{name}`, in order (as `{name}` on each, \
             with one lookup)."
        );
        methods.extend([quote! {
            #[doc = #doc]
            pub fn #method(&mut self, record: #record) {
                self.#field.emit_record(#name, record);
            }
            #[doc = #doc_all]
            pub fn #all(&mut self, records: impl ::core::iter::IntoIterator<Item = #record>) {
                self.#field.emit_records(#name, records);
            }
        }]);
        let Some(key) = &o.punctuates else {
            continue;
        };
        let punctuate = format_ident!("punctuate_{}", method);
        // The record as a syntax tree: interpolated, it writes its tokens
        // one by one (a token stream is copied whole, through the bridge).
        let what = format!("the punctuation key of output `{name}` of `{component}`");
        let mut params = quote!(&mut self,);
        for (i, k) in key.iter().enumerate() {
            if i > 0 {
                params.extend([punct(',')]);
            }
            params.extend([TokenTree::Ident(k.clone()), punct(':')]);
            params.extend([punctuation_key_type(record, &name_of(k), k.span(), &what)]);
        }
        // `punctuate` (one key) and `key_value` (each of several) require
        // a `Key`: a punctuation key of another type is reported here, at
        // the user's token (no check of its own).
        let body = match key.as_slice() {
            [k] => {
                let key_name = name_of(k);
                let mut body = quote_spanned!(k.span()=> ::blazes::__private::punctuate);
                let mut arguments = quote!(&mut self.#field, #name, #key_name,);
                arguments.extend([quote_spanned!(k.span()=> &#k)]);
                body.extend([group(Delimiter::Parenthesis, arguments), punct(';')]);
                body
            }
            _ => {
                let pairs = key.iter().map(|k| {
                    let key_name = name_of(k);
                    let value = quote_spanned!(k.span()=> ::blazes::__private::key_value(&#k));
                    quote!((#key_name, #value))
                });
                quote! {
                    ::blazes::__private::punctuate_keys(&mut self.#field, #name, [#(#pairs),*]);
                }
            }
        };
        let doc = format!(
            "Declares the partition with these key values of output `{name}` complete: \
             this instance emits no more records of it."
        );
        let mut punctuation = quote!(#[doc = #doc] pub fn #punctuate);
        punctuation.extend([
            group(Delimiter::Parenthesis, params),
            group(Delimiter::Brace, body),
        ]);
        methods.extend([punctuation]);
    }
    let doc = format!("The typed outputs of component `{component}`, generated by `#[component]`.");
    let mut handle = quote! {
        #[doc = #doc]
        pub struct #out(::blazes::Emit);
        impl #out
    };
    handle.extend([group(Delimiter::Brace, methods)]);
    handle
}

/// `impl Typed`: the record types of the inputs (in handler order) and of
/// the outputs (in declaration order), which a dataflow checks its streams
/// against by position, the output handle `out`, the field checks (types)
/// and the methods the library's `Handler` impl dispatches to.
fn typed_impl(
    spec: &ImplSpec,
    outputs: &[OutputDecl],
    out: &syn::Ident,
    checks: Vec<TokenStream>,
) -> TokenStream {
    let self_ty = &spec.self_ty;
    let inputs = nested(spec.handlers.iter().filter_map(|h| h.record.clone()));
    let outputs = nested(outputs.iter().map(|o| o.record.to_token_stream()));
    let checks = check_tuple(checks);
    let (seals, dispatch) = dispatch(spec, out);
    // Each part moved into its group (`quote!` would copy it).
    let comma = || TokenTree::Punct(Punct::new(',', Spacing::Alone));
    let parts = TokenStream::from_iter([
        inputs,
        comma(),
        outputs,
        comma(),
        TokenTree::Ident(out.clone()),
        comma(),
        checks,
        comma(),
        seals,
    ]);
    let mut body = quote!(type Parts =);
    body.extend([
        TokenTree::Group(Group::new(Delimiter::Parenthesis, parts)),
        TokenTree::Punct(Punct::new(';', Spacing::Alone)),
    ]);
    body.extend([dispatch]);
    let mut typed = quote!(impl ::blazes::__private::Typed for #self_ty);
    typed.extend([TokenTree::Group(Group::new(Delimiter::Brace, body))]);
    typed
}

/// The type of the typed seal methods (the last of `Typed::Parts`) and
/// `Typed::DISPATCH`: the names of the inputs, the
/// handler method of each (`Self::method`, spanned on the user's method so
/// that a signature error points there) in the order of the inputs,
/// the typed `#[on_seal(input)]` methods with their key fields, and the
/// conversions of the output handle `out` (its constructor, and a closure
/// taking the emitter back). The library's one `Handler` impl for typed
/// components dispatches on them.
fn dispatch(spec: &ImplSpec, out: &syn::Ident) -> (TokenTree, TokenStream) {
    let typed: Vec<_> = spec
        .handlers
        .iter()
        .filter(|h| h.record.is_some())
        .collect();
    let inputs = typed.iter().map(|h| name_of(h.input()));
    // A method whose signature was refused (already an error) gets a
    // placeholder of the right type, so that nothing else is reported.
    let handlers = nested(typed.iter().map(|h| {
        let method = &h.method;
        let kind = if h.slice {
            quote!(::blazes::__private::Method::Slice)
        } else {
            quote!(::blazes::__private::Method::Each)
        };
        let method = if h.callable {
            quote_spanned!(method.span()=> Self::#method)
        } else {
            quote!(|_, _, _| {})
        };
        quote!(#kind(#method))
    }));
    let (seal_types, seal_values): (Vec<TokenStream>, Vec<TokenStream>) = spec
        .typed_seals
        .iter()
        .filter(|t| t.callable)
        .filter_map(|t| {
            let input = name_of(&t.input);
            let handler = spec.handlers.iter().find(|h| name_of(h.input()) == input)?;
            handler.record.as_ref()?;
            let names = t.keys.iter().map(|(ident, _)| name_of(ident));
            let types = t.keys.iter().map(|(_, ty)| ty);
            let method = &t.method;
            let method = quote_spanned!(method.span()=> Self::#method);
            Some((
                quote!(::blazes::__private::Seal<Self, #out, (#(#types,)*)>),
                quote!((#input, &[#(#names),*], #method)),
            ))
        })
        .unzip();
    let field = field_zero();
    let seal_types = nested(seal_types.into_iter());
    let seal_values = nested(seal_values.into_iter());
    // The nested lists moved in (`quote!` would copy them).
    let mut fields = quote!(inputs: &[#(#inputs),*], handlers:);
    fields.extend([handlers]);
    fields.extend([quote!(, seals:)]);
    fields.extend([seal_values]);
    fields.extend([
        quote!(, wrap: #out, unwrap: |out: #out| out.#field, view: |out: &#out| &out.#field,),
    ]);
    let mut dispatch =
        quote!(const DISPATCH: ::blazes::__private::Dispatch<Self> = ::blazes::__private::Dispatch);
    dispatch.extend([
        TokenTree::Group(Group::new(Delimiter::Brace, fields)),
        TokenTree::Punct(Punct::new(';', Spacing::Alone)),
    ]);
    (seal_types, dispatch)
}

/// `(A, (B, ()))`: the list `blazes::__private::At` indexes. Built tree by
/// tree, each element moved in (`quote!` would copy each element and each
/// rest of the list into a new stream).
pub(crate) fn nested(types: impl DoubleEndedIterator<Item = TokenStream>) -> TokenTree {
    let pair = |inner: TokenStream| TokenTree::Group(Group::new(Delimiter::Parenthesis, inner));
    types.rev().fold(pair(TokenStream::new()), |rest, mut ty| {
        ty.extend([TokenTree::Punct(Punct::new(',', Spacing::Alone)), rest]);
        pair(ty)
    })
}

/// The fields a punctuation method of `outputs` checks (that each exists
/// and can be a key, with `check_field`'s message at the punctuation key):
/// (record type as written, field name). Within one impl block the same
/// tokens name the same type, so a gate or seal argument on one of these
/// needs no existence or key check of its own.
fn punctuated_fields(outputs: &[OutputDecl]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for output in outputs {
        let Some(keys) = &output.punctuates else {
            continue;
        };
        let record = output.record.to_token_stream().to_string();
        for key in keys {
            fields.push((record.clone(), name_of(key)));
        }
    }
    fields
}

/// The compile-time checks of the gates and typed seal arguments, as types
/// (the fourth of `Typed::Parts`). (A punctuation key is checked by its parameter's type
/// in the punctuation method, `handle`: that it exists, and that it is a
/// `Key`; a gate on such a field of the same record needs no check, a seal
/// argument on one only the comparison of its type with the field's.)
fn field_checks(spec: &ImplSpec, outputs: &[OutputDecl]) -> Vec<TokenStream> {
    let component = spec.ident.as_ref().map(name_of).unwrap_or_default();
    let punctuated = punctuated_fields(outputs);
    let covered = |record: &TokenStream, name: &str| {
        let record = record.to_string();
        punctuated.iter().any(|(r, n)| *r == record && n == name)
    };
    let mut checks = Vec::new();
    for handler in &spec.handlers {
        let Some(record) = &handler.record else {
            continue;
        };
        for path in &handler.paths {
            let what = format!(
                "the gate of `#[path(from = {}, to = {})]` of `{component}`",
                path.input_name(),
                path.output_name()
            );
            for gate in path
                .gate_names
                .iter()
                .filter(|g| !covered(record, &name_of(g)))
            {
                checks.push(key_check(record, gate, &what));
            }
        }
    }
    for seal in &spec.typed_seals {
        let input = name_of(&seal.input);
        let Some(record) = spec
            .handlers
            .iter()
            .find(|h| name_of(h.input()) == input)
            .and_then(|h| h.record.as_ref())
        else {
            continue;
        };
        let what = format!(
            "the arguments of `#[on_seal({input})] fn {}` of `{component}` (each names a \
             field of the input's record)",
            seal.method
        );
        for (ident, ty) in &seal.keys {
            let name = name_of(ident);
            let id = id_literal(&name);
            let ty_span = ty
                .clone()
                .into_iter()
                .next()
                .map_or(ident.span(), |t| t.span());
            if covered(record, &name) {
                // The field exists (the punctuation method checks it): only
                // its type is compared with the argument's.
                checks.push(quote_spanned! {ty_span=>
                    ::blazes::__private::SealArg<#ty, ::blazes::__private::FieldTy<#record, #id>>
                });
                continue;
            }
            // The field's existence is checked at the argument's name, its
            // type at the argument's type.
            let has = quote_spanned! {ident.span()=>
                { ::blazes::__private::has_checked::<#record>(#name, #what) }
            };
            checks.push(quote_spanned! {ty_span=>
                ::blazes::__private::SealArg<
                    #ty, ::blazes::__private::FieldTypeOr<#record, #id, #has, #ty>
                >
            });
        }
    }
    checks
}
