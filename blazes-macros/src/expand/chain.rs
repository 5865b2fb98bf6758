//! A `#[blazes::dataflow]` module that names its components by path
//! (issue 11): `components! { crate::sessions::Sessionize, stats::PerUserStats }`
//! beside `streams!` and `fds!`. The components are declared anywhere, in any
//! crate of the workspace; each hands its annotations over through hidden
//! macros (see [`crate::expand::exported`]).
//!
//! [`begin`] replaces the three declarations with a call to the first
//! component's macro; the chain of calls ends in [`resolve`]
//! (`blazes::__private::resolve_dataflow!`), which reads every component
//! with the readers the other macros use, builds the model, runs the one
//! analysis of `blazes-core` (failing the build on unresolved anomalies, with
//! spans on the user's `#[path]`s and streams), checks that each sealed
//! stream leaving a component is punctuated by it, checks every seal, `seq`,
//! route and FD field against the records of the streams, and generates
//! `dataflow()`, `analysis()`, `factories()` and `deployment()`.

use blazes_core::{Analysis, Label, OrderKind, Permission, Requirement, Strategy};
use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::Token;
use syn::punctuated::Punctuated;

use crate::attrs::{self, name_of};
use crate::check;
use crate::component::{ImplSpec, StructSpec};
use crate::errors::{Errors, SpanRange};
use crate::expand::skeleton::{self, Skeleton};
use crate::expand::{builder, component, dataflow, exported, factories, typed};
use crate::field_id::id_literal;
use crate::light::LightItem;
use crate::model;
use crate::module::{ImplPart, ModuleParts};
use crate::outputs::{ImplArgs, OutputDecl};
use crate::topology::{EndpointDecl, Fds, StreamDecl, Streams};
use crate::warnings::Warnings;

/// True for `components! { .. }` (or `blazes::components!`).
pub fn is_components(item: &LightItem) -> bool {
    matches!(item, LightItem::Macro(m) if is_named(&m.mac.path, "components"))
}

fn is_named(path: &syn::Path, name: &str) -> bool {
    let segments = &path.segments;
    match segments.len() {
        1 => segments[0].ident == name,
        2 => segments[0].ident == "blazes" && segments[1].ident == name,
        _ => false,
    }
}

/// Appends the `;`-separated declarations of one `streams!`/`fds!` body
/// (the first taken as it is: only a body with another after it is
/// walked to see whether it ends with `;`).
fn append_declarations(all: &mut Vec<TokenStream>, body: &TokenStream) {
    if let Some(last) = all.last_mut() {
        end_with_semicolon(last);
    }
    all.push(body.clone());
}

/// `body`, ended with a `;` when it is not.
fn end_with_semicolon(body: &mut TokenStream) {
    let ends_with_semicolon = body
        .clone()
        .into_iter()
        .last()
        .is_none_or(|t| matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == ';'));
    if !ends_with_semicolon {
        body.extend(quote!(;));
    }
}

/// Starts the chain: removes `components!`, `streams!` and `fds!` from the
/// module's items and appends the call of the first component's macro.
pub fn begin(
    args: TokenStream,
    name: String,
    items: &mut Vec<LightItem>,
    errors: &mut Errors,
) -> Option<TokenStream> {
    let (mut paths, mut streams, mut fds) = (Vec::new(), Vec::new(), Vec::new());
    items.retain(|item| {
        let LightItem::Macro(mac) = item else {
            return true;
        };
        let path = &mac.mac.path;
        if is_named(path, "components") {
            let parsed = match plain_paths(mac.mac.tokens.clone()) {
                Some(list) => Ok(list),
                None => mac
                    .mac
                    .parse_body_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                    .map(|list| list.into_iter().collect()),
            };
            if let Some(list) = errors.keep(parsed) {
                paths.extend(list);
            }
        } else if is_named(path, "streams") {
            append_declarations(&mut streams, &mac.mac.tokens);
        } else if is_named(path, "fds") {
            append_declarations(&mut fds, &mac.mac.tokens);
        } else {
            return true;
        }
        false
    });
    if paths.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`components! { .. }` lists the paths of the dataflow's `#[component]` structs",
        ));
        return None;
    }
    // The structs' steps first, then the impl blocks': each step re-reads
    // (as the compiler parses the call) everything gathered before it, and
    // a struct's payload is two tokens, an impl block's some seventy.
    // Each group built from its trees (`quote!` would copy every stream it
    // interpolates).
    let group = |delimiter, stream: TokenStream| TokenTree::Group(Group::new(delimiter, stream));
    let mut steps: Vec<TokenTree> = paths
        .iter()
        .skip(1)
        .map(|path| group(Delimiter::Parenthesis, path.to_token_stream()))
        .collect();
    for path in &paths {
        let mut impl_path = path.clone();
        if let Some(last) = impl_path.segments.last_mut() {
            last.ident = exported::impl_macro_name(&last.ident);
        }
        steps.push(group(Delimiter::Parenthesis, impl_path.to_token_stream()));
    }
    // The steps after the first, nested (`[ (step) [ (step) [ .. [] ] ] ]`)
    // so that each macro of the chain matches one step and one group of
    // what is left, whatever the length of the chain.
    // The last step is the module's own `__blazes_resolve!`, which holds
    // the header (below); the chain hands it one token of the user's, the
    // first of the first path, whose hygiene `resolve_dataflow!` gives the
    // header's tokens back.
    let resolve_macro = Ident::new("__blazes_resolve", Span::call_site());
    let anchor = paths[0]
        .segments
        .first()
        .map(|segment| segment.ident.clone().into_token_stream())
        .unwrap_or_default();
    let mut rest = group(
        Delimiter::Bracket,
        TokenStream::from_iter([
            group(Delimiter::Parenthesis, resolve_macro.to_token_stream()),
            group(Delimiter::Bracket, anchor),
        ]),
    );
    for step in steps.into_iter().rev() {
        rest = group(Delimiter::Bracket, TokenStream::from_iter([step, rest]));
    }
    let first = paths[0].to_token_stream();
    let chain = Ident::new(exported::CHAIN, Span::call_site());
    let header = quote! {
        header [ #args ] [ #name ] [ #(#paths),* ] [ #(#streams)* ] [ #(#fds)* ]
    };
    // Each path must name a `#[component]` struct: a check type per path
    // (`IsComponent<path>`, spanned on it), the elements of the one tuple
    // field of a struct whose well-formedness is the check (no constant to
    // evaluate; one field, not a field per path: each field is a definition
    // of its own for the compiler, with its queries). Written here,
    // not at the end of the chain, so that it is reported even when a
    // path's macro is missing and the chain stops.
    let checks = paths.iter().map(|path| {
        let site = path_site(path);
        let private = Ident::new(exported::PRIVATE, site.start);
        let close = proc_macro2::Punct::new('>', proc_macro2::Spacing::Alone);
        let mut close = proc_macro2::TokenTree::Punct(close);
        close.set_span(site.end);
        quote_spanned! {site.start=> #private::IsComponent<#path #close }
    });
    let not_components = quote! {
        struct __BlazesComponents((#(#checks,)*));
    };
    // The header waits in a macro of the module for the last step, not
    // passed on by each step (every step's call is parsed whole: some 2 000
    // tokens a step in a dataflow of 50 components). Tokens written in a
    // macro's body carry that macro in their hygiene, which would make
    // every error at a stream or FD also name it: `resolve_dataflow!` gives
    // them the hygiene of the user's token the chain carried (`anchor`),
    // their places unchanged.
    let private_use = exported::private_use();
    let d = exported::dollar();
    Some(quote! {
        #private_use
        #not_components
        macro_rules! #resolve_macro {
            (#chain #d rest:tt #d acc:tt) => {
                ::blazes::__private::resolve_dataflow! { #chain #d rest #d acc #header }
            };
        }
        #first! { #chain #rest [] }
    })
}

/// `a::b::C, ::d::E` (an optional trailing comma), each path made of
/// identifiers only, read from the tokens (spans kept) without a syntax
/// tree's buffer, which would first fetch every token from the compiler.
/// `None` for anything else, which syn reads (and reports).
fn plain_paths(tokens: TokenStream) -> Option<Vec<syn::Path>> {
    let mut paths = Vec::new();
    let mut trees = tokens.into_iter().peekable();
    let colons = |first: proc_macro2::Punct, second: Option<TokenTree>| match second {
        Some(TokenTree::Punct(second))
            if first.spacing() == proc_macro2::Spacing::Joint && second.as_char() == ':' =>
        {
            Some(Token![::]([first.span(), second.span()]))
        }
        _ => None,
    };
    while trees.peek().is_some() {
        let mut path = syn::Path {
            leading_colon: None,
            segments: Punctuated::new(),
        };
        loop {
            // A segment (after a leading `::` for the first).
            match trees.next() {
                Some(TokenTree::Punct(first))
                    if first.as_char() == ':'
                        && path.leading_colon.is_none()
                        && path.segments.is_empty() =>
                {
                    path.leading_colon = Some(colons(first, trees.next())?);
                    continue;
                }
                Some(TokenTree::Ident(ident)) => {
                    path.segments.push_value(syn::PathSegment::from(ident))
                }
                _ => return None,
            }
            // Then `::` and another segment, a comma or the end.
            match trees.next() {
                Some(TokenTree::Punct(first)) if first.as_char() == ':' => {
                    path.segments.push_punct(colons(first, trees.next())?);
                }
                Some(TokenTree::Punct(comma)) if comma.as_char() == ',' => break,
                None => break,
                _ => return None,
            }
        }
        paths.push(path);
    }
    Some(paths)
}

/// Where `path` is written, from its first token to its last (taken from
/// the path itself when its segments have no generic arguments).
fn path_site(path: &syn::Path) -> SpanRange {
    let plain = path
        .segments
        .iter()
        .all(|segment| segment.arguments.is_none());
    match (path.segments.first(), path.segments.last()) {
        (Some(first), Some(last)) if plain => SpanRange {
            start: path
                .leading_colon
                .as_ref()
                .map_or(first.ident.span(), |colons| colons.spans[0]),
            end: last.ident.span(),
        },
        _ => SpanRange::of(path),
    }
}

/// What a component's two macros handed over.
struct Payload {
    rep: bool,
    outputs: ImplArgs,
    skeleton: Skeleton,
}

/// The input of `resolve_dataflow!`.
struct Resolved {
    /// A token of the user's whose hygiene the header's spans get back
    /// (none when the header came inside the payloads).
    anchor: Option<Span>,
    args: TokenStream,
    name: String,
    paths: Vec<syn::Path>,
    streams: TokenStream,
    fds: TokenStream,
    payloads: Vec<Payload>,
}

/// The payloads gathered by the chain, in order: each step wraps what it
/// received in a new group followed by its payload
/// (`[ [ [ header .. ] struct .. ] impl .. ]`), so no step re-reads the
/// payloads of the steps before it; this undoes the nesting.
/// The trees are kept as trees: each stream built from them would send
/// them to the compiler again, and reading it fetch them back.
fn unnest(acc: TokenStream) -> Vec<TokenTree> {
    let mut layers: Vec<Vec<TokenTree>> = Vec::new();
    let mut current = acc;
    let mut flat = loop {
        let mut tokens = current.into_iter();
        match tokens.next() {
            Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Bracket => {
                layers.push(tokens.collect());
                current = group.stream();
            }
            first => break first.into_iter().chain(tokens).collect::<Vec<_>>(),
        }
    };
    for layer in layers.into_iter().rev() {
        flat.extend(layer);
    }
    flat
}

impl Resolved {
    /// Reads `__blazes_chain [anchor] [ .. ] header ..`, the last step of
    /// the chain: the top-level trees are taken apart by hand (a syntax
    /// tree of the whole input would walk every payload once more than the
    /// one reading of the unnested payloads needs). What the header's
    /// tokens give (written in the module's `__blazes_resolve!`) gets the
    /// hygiene of `anchor`, a token of the user's (see [`Resolved::at`]); a
    /// header inside the payloads (`[ [ header .. ] .. ]`, no anchor) is
    /// read as it is.
    fn read(input: TokenStream) -> syn::Result<Self> {
        let mut trees = input.into_iter();
        let chain = trees.next();
        let steps_left = trees.next();
        let acc = trees.next();
        match (chain, steps_left, acc) {
            (
                Some(proc_macro2::TokenTree::Ident(_)),
                Some(proc_macro2::TokenTree::Group(left)),
                Some(proc_macro2::TokenTree::Group(acc)),
            ) if acc.delimiter() == proc_macro2::Delimiter::Bracket => {
                let anchor = left.stream().into_iter().next().map(|t| t.span());
                Resolved::from_flat(trees.chain(unnest(acc.stream())), anchor)
            }
            _ => Err(malformed()),
        }
    }

    /// Reads the unnested input by its top-level trees: `header [args]
    /// ["name"] [paths] [streams] [fds]`, one `struct <rep>` per component,
    /// then one `impl [outputs] impl Name { skeleton }` per component. Only
    /// the name, the paths, each `outputs` and each skeleton's methods go
    /// through syn (the streams and FDs are read later, once): no token
    /// buffer of the whole input.
    fn from_flat(flat: impl Iterator<Item = TokenTree>, anchor: Option<Span>) -> syn::Result<Self> {
        let mut trees = flat.peekable();
        if !matches!(trees.next(), Some(TokenTree::Ident(word)) if word == "header") {
            return Err(malformed());
        }
        let at = |span: Span| at(anchor, span);
        let mut args = next_group(&mut trees)?;
        if anchor.is_some() {
            args = respan(args, &at);
        }
        let name: syn::LitStr = syn::parse2(next_group(&mut trees)?)?;
        let paths_tokens = next_group(&mut trees)?;
        let mut paths = match plain_paths(paths_tokens.clone()) {
            Some(paths) => paths,
            None => syn::parse::Parser::parse2(
                Punctuated::<syn::Path, Token![,]>::parse_terminated,
                paths_tokens,
            )?
            .into_iter()
            .collect(),
        };
        if anchor.is_some() {
            for path in paths.iter_mut() {
                respan_path(path, &at);
            }
        }
        let streams = next_group(&mut trees)?;
        let fds = next_group(&mut trees)?;
        let mut reps = Vec::new();
        while matches!(trees.peek(), Some(TokenTree::Ident(word)) if word == "struct") {
            trees.next();
            match trees.next() {
                Some(TokenTree::Ident(rep)) if rep == "true" => reps.push(true),
                Some(TokenTree::Ident(rep)) if rep == "false" => reps.push(false),
                _ => return Err(malformed()),
            }
        }
        let mut payloads = Vec::new();
        for rep in reps {
            // `impl [outputs] impl Type { .. }`: the type is skipped (the
            // dataflow names the component by its path).
            if !matches!(trees.next(), Some(TokenTree::Ident(word)) if word == "impl") {
                return Err(malformed());
            }
            let outputs = ImplArgs::read(next_group(&mut trees)?)?;
            let body = loop {
                match trees.next() {
                    Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => {
                        break group.stream();
                    }
                    Some(_) => {}
                    None => return Err(malformed()),
                }
            };
            let skeleton = Skeleton::read_tokens(body)?;
            payloads.push(Payload {
                rep,
                outputs,
                skeleton,
            });
        }
        if trees.next().is_some() {
            return Err(malformed());
        }
        Ok(Resolved {
            anchor,
            args,
            name: name.value(),
            paths: paths.into_iter().collect(),
            streams,
            fds,
            payloads,
        })
    }
}

/// `span` in its place with the hygiene of `anchor`, the user's token the
/// chain carried: tokens written in the body of a `macro_rules!` (the
/// header, in the module's `__blazes_resolve!`) carry that macro in their
/// hygiene, so that an error spanned on one would also say that it
/// "originates in the macro". Only the spans that the reading keeps are
/// given back (each is a call to the compiler).
fn at(anchor: Option<Span>, span: Span) -> Span {
    anchor.map_or(span, |anchor| span.resolved_at(anchor))
}

/// `error` at the same place, with the hygiene of [`at`].
fn error_at(anchor: Option<Span>, error: syn::Error) -> syn::Error {
    match anchor {
        Some(_) => syn::Error::new(at(anchor, error.span()), error.to_string()),
        None => error,
    }
}

/// `tokens` with each span `to(span)` (a group's delimiters both get the
/// group's whole span): for the dataflow's few arguments.
fn respan(tokens: TokenStream, to: &impl Fn(Span) -> Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(group) => {
                let mut new = Group::new(group.delimiter(), respan(group.stream(), to));
                new.set_span(to(group.span()));
                TokenTree::Group(new)
            }
            mut other => {
                other.set_span(to(other.span()));
                other
            }
        })
        .collect()
}

/// `path` with each span `to(span)` (its segments' generic arguments, which
/// a component's path has none of, are left as they are).
fn respan_path(path: &mut syn::Path, to: &impl Fn(Span) -> Span) {
    if let Some(colons) = &mut path.leading_colon {
        colons.spans = colons.spans.map(to);
    }
    for mut pair in path.segments.pairs_mut() {
        let segment = pair.value_mut();
        segment.ident.set_span(to(segment.ident.span()));
        if let Some(colons) = pair.punct_mut() {
            colons.spans = colons.spans.map(to);
        }
    }
}

/// The tokens of the next tree, a group.
fn next_group(trees: &mut impl Iterator<Item = TokenTree>) -> syn::Result<TokenStream> {
    match trees.next() {
        Some(TokenTree::Group(group)) => Ok(group.stream()),
        _ => Err(malformed()),
    }
}

/// The error for an input of `resolve_dataflow!` that no chain wrote.
fn malformed() -> syn::Error {
    syn::Error::new(
        Span::call_site(),
        "`resolve_dataflow!` is the end of the chain of a `#[blazes::dataflow]` \
         module's components: generated code only",
    )
}

/// Expands `blazes::__private::resolve_dataflow! { .. }`: the end of the chain.
pub fn resolve(input: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let resolved = match Resolved::read(input) {
        Ok(resolved) => resolved,
        Err(error) => return error.to_compile_error(),
    };
    let options = errors
        .keep(attrs::parse_dataflow_args(resolved.args.clone()))
        .unwrap_or_default();
    let mut parts = ModuleParts {
        by_path: true,
        ..ModuleParts::default()
    };
    let mut outputs: Vec<(String, Vec<OutputDecl>)> = Vec::new();
    let mut types: Vec<Interfaces> = Vec::new();
    for (path, payload) in resolved.paths.iter().zip(resolved.payloads) {
        let Some(last) = path.segments.last() else {
            continue;
        };
        let name = name_of(&last.ident);
        let ident = Ident::new(&name, last.ident.span());
        let ty = syn::Type::Path(syn::TypePath {
            attrs: Vec::new(),
            qself: None,
            path: path.clone(),
        });
        parts.components.push(StructSpec {
            ident: ident.clone(),
            rep: payload.rep,
            generics: syn::Generics::default(),
        });
        let spec = skeleton::read(payload.skeleton, ty.clone(), ident, &mut errors);
        types.push(Interfaces {
            name: name.clone(),
            ty: path.clone(),
            inputs: typed_inputs(&spec),
            outputs: payload
                .outputs
                .outputs
                .iter()
                .map(|o| name_of(&o.name))
                .collect(),
        });
        parts.impls.push(ImplPart { spec, stray: false });
        outputs.push((name, payload.outputs.outputs));
    }
    let anchor = resolved.anchor;
    let to = |span: Span| at(anchor, span);
    // The plain forms read from their tokens; anything else (and every
    // error) by syn.
    let streams = Streams::read_plain(resolved.streams.clone())
        .map_or_else(|| syn::parse2::<Streams>(resolved.streams), Ok);
    if let Some(Streams(mut decls)) = errors.keep(streams.map_err(|e| error_at(anchor, e))) {
        if anchor.is_some() {
            decls.iter_mut().for_each(|decl| decl.respan(&to));
        }
        parts.streams = decls;
    }
    let fds = syn::parse2::<Fds>(resolved.fds);
    if let Some(Fds(mut decls)) = errors.keep(fds.map_err(|e| error_at(anchor, e))) {
        if anchor.is_some() {
            decls.iter_mut().for_each(|decl| decl.respan(&to));
        }
        parts.fds = decls;
    }
    let requires = options.requires.map_or(Requirement::default(), |r| r.0);
    let coordinate = options.coordinate.map_or(Permission::default(), |p| p.0);
    let name = options.name.clone().unwrap_or(resolved.name);
    let mut built = model::build(name, requires, coordinate, &parts, &mut errors);
    declare_unreached_outputs(&mut built, &outputs);
    let mut warnings = Warnings::new();
    let mut field_checks = TokenStream::new();
    if errors.is_empty() {
        let mut found = Errors::new();
        let analysed = check::run(
            &built,
            &parts,
            options.enforce.unwrap_or(true),
            &mut found,
            &mut warnings,
        );
        check_punctuations(&parts, &outputs, analysed.as_ref(), &mut errors);
        check_seal_arguments(&parts, &mut errors);
        if let Some(analysis) = analysed.as_ref() {
            warn_seals_that_never_come(&parts, analysis, &mut warnings);
        }
        if analysed.is_some() {
            // The field-existence expression only matters when an anomaly is
            // to be reported: built only then.
            let (checks, check_types, fields_ok) =
                stream_field_checks(&parts, &types, &outputs, !found.is_empty());
            field_checks = typed::const_block(checks);
            field_checks.extend([checks_struct(check_types)]);
            field_checks.extend([deferred_violations(&found, &fields_ok)]);
        } else {
            for (range, message) in found.each() {
                errors.spanned(range, message);
            }
        }
    }
    // Typed constants (`rep` as the components' macros handed it over: the
    // types are named by the component checks and `factories()` already),
    // registered with the methods of each component for `registry()`.
    let spec = builder::dataflow_spec(&built.dataflow, |_| None);
    let spec_fn = dataflow::spec_fn(&spec);
    let (list, list_alias) = component_list(&parts);
    let registration = registration(&parts, &list_alias);
    let factories = factories::factories_fn(&parts, Some(list_alias));
    let deployment = deployment_fn(&parts);
    let errors = errors.to_compile_errors();
    quote! {
        #warnings
        #field_checks
        #list
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
        #deployment
        #errors
    }
}

/// One registration for the dataflow: its constant, the methods of each
/// component, and the module that declares each (`module_of` over `list`,
/// the components' nested pairs), for `registry()`.
fn registration(parts: &ModuleParts, list: &TokenStream) -> TokenStream {
    let methods = parts
        .impls
        .iter()
        .filter(|part| part.expands_here())
        .map(|part| component::methods_spec(&part.spec));
    let private = exported::private();
    dataflow::dataflow_record(methods, quote!(#private::module_of::<#list>))
}

/// The components this module expands (every one a dataflow names by
/// path) as nested pairs (`(A, (B, ()))`, in the order in which
/// `factories()` and `registration` list them), written once as a type
/// alias of the module, and the alias: named by `factories()` and by the
/// registration (the module of each component, through `module_of`, in
/// place of an `Annotated::MODULE_PATH` constant per component).
fn component_list(parts: &ModuleParts) -> (TokenStream, TokenStream) {
    let alias = Ident::new("__BlazesComponentList", Span::call_site());
    let list = typed::nested(
        parts
            .impls
            .iter()
            .filter(|part| part.expands_here())
            .map(|part| part.spec.self_ty.to_token_stream()),
    );
    (quote!(type #alias = #list;), quote!(#alias))
}

/// The consumer and input of each stream of `parts` (`None` for a sink),
/// as text once rather than once per seal method that looks for its streams.
fn consumers(parts: &ModuleParts) -> Vec<Option<(String, String)>> {
    parts
        .streams
        .iter()
        .map(|decl| match &decl.to {
            EndpointDecl::Port {
                component,
                interface,
            } => Some((name_of(component), name_of(interface))),
            EndpointDecl::External(_) => None,
        })
        .collect()
}

/// A typed `#[on_seal(input)]` method receives the key of each released
/// partition of `input`: where a stream into that input is declared sealed,
/// every argument must be a field of that seal key (a released partition
/// carries no other), else every seal would be refused at run time.
fn check_seal_arguments(parts: &ModuleParts, errors: &mut Errors) {
    let consumers = consumers(parts);
    for part in &parts.impls {
        let Some(component) = part.spec.ident.as_ref().map(name_of) else {
            continue;
        };
        for seal in &part.spec.typed_seals {
            let input = name_of(&seal.input);
            for (decl, to) in parts.streams.iter().zip(&consumers) {
                let (Some(key), Some((consumer, interface))) = (&decl.annotation.seal, to) else {
                    continue;
                };
                if *consumer != component || *interface != input {
                    continue;
                }
                let outside: Vec<String> = seal
                    .keys
                    .iter()
                    .map(|(name, _)| name_of(name))
                    .filter(|name| !key.contains(name))
                    .collect();
                if outside.is_empty() {
                    continue;
                }
                let key_text = key.iter().cloned().collect::<Vec<_>>().join(", ");
                let stream = format!("{} -> {}", decl.from.endpoint(), decl.to.endpoint());
                errors.spanned(
                    seal_site(decl),
                    format!(
                        "stream `{stream}` is sealed on [{key_text}], but `{component}::{}` \
                         (`#[on_seal({input})]`) takes `{}`, which a released partition of \
                         [{key_text}] does not carry: every seal would be refused at run time. \
                         Take only fields of the seal key as arguments (`{}`), or seal the \
                         stream on a key that includes `{}`",
                        seal.method,
                        outside.join("`, `"),
                        key.iter().cloned().collect::<Vec<_>>().join("`, `"),
                        outside.join("`, `"),
                    ),
                );
            }
        }
    }
}

/// A typed `#[on_seal(input)]` method runs when a seal reaches `input`. When
/// every stream into that input is labelled without a seal (nothing seals
/// it, or a loop or an order-sensitive path upstream drops the seals), the
/// method never runs in this dataflow: a handler that emits only there
/// would leave its output empty without a word. A warning at the first
/// such stream says so (the component may be meant for other dataflows, so
/// not an error).
fn warn_seals_that_never_come(parts: &ModuleParts, analysis: &Analysis, warnings: &mut Warnings) {
    let consumers = consumers(parts);
    for part in &parts.impls {
        let Some(component) = part.spec.ident.as_ref().map(name_of) else {
            continue;
        };
        for seal in &part.spec.typed_seals {
            let input = name_of(&seal.input);
            let into: Vec<&StreamDecl> = parts
                .streams
                .iter()
                .zip(&consumers)
                .filter(|(_, to)| {
                    to.as_ref().is_some_and(|(consumer, interface)| {
                        *consumer == component && *interface == input
                    })
                })
                .map(|(decl, _)| decl)
                .collect();
            // A stream declared sealed carries seals (its producer must
            // punctuate it, or the build fails), even where its label is
            // not `Seal`: they then reach the method uncoordinated. (Asked
            // first: it needs no label.)
            if into.iter().any(|decl| decl.annotation.seal.is_some()) {
                continue;
            }
            // The label after the permitted coordination, as the errors
            // show it (a source's stream keeps its own).
            let labels: Option<Vec<&Label>> = into
                .iter()
                .map(|decl| {
                    let key = format!("{}->{}", decl.from.endpoint(), decl.to.endpoint());
                    analysis
                        .residual_outputs
                        .get(&decl.from.endpoint().to_string())
                        .or_else(|| analysis.streams.get(&key))
                })
                .collect();
            let (Some(labels), Some(first)) = (labels, into.first()) else {
                continue;
            };
            // A seal buffer or a static order (`seq`: each batch ends with
            // a call of the method) at this input delivers what it waits for.
            let coordinated = analysis.coordination.iter().any(|c| {
                c.applied
                    && c.component == component
                    && c.inputs.contains(&input)
                    && matches!(
                        c.strategy,
                        Strategy::Seal { .. }
                            | Strategy::Order {
                                kind: OrderKind::Static { .. }
                            }
                    )
            });
            if coordinated || labels.iter().any(|l| matches!(l, Label::Seal(_))) {
                continue;
            }
            let streams: Vec<String> = into
                .iter()
                .zip(&labels)
                .map(|(decl, label)| {
                    format!(
                        "`{} -> {}` ({label})",
                        decl.from.endpoint(),
                        decl.to.endpoint()
                    )
                })
                .collect();
            warnings.push(
                first.tokens.start,
                format!(
                    "`{component}::{}` (`#[on_seal({input})]`) never runs in this dataflow: no \
                     seal reaches `{component}.{input}` (stream {} carries none). Seal the \
                     stream into it (`{{ seal: [..] }}`), or emit from the record handlers",
                    seal.method,
                    streams.join(", ")
                ),
            );
        }
    }
}

/// Where a stream's `seal: [..]` is written (the whole declaration when it
/// has none), for errors about its seal.
fn seal_site(decl: &StreamDecl) -> SpanRange {
    match (decl.seal_names.first(), decl.seal_names.last()) {
        (Some(first), Some(last)) => SpanRange {
            start: first.span(),
            end: last.span(),
        },
        _ => decl.tokens,
    }
}

/// Gives each component the outputs it declares that no `#[path]` reaches
/// (the component's own expansion reports them): a stream from one is then
/// not reported a second time, as an interface the component lacks.
fn declare_unreached_outputs(built: &mut model::Built, outputs: &[(String, Vec<OutputDecl>)]) {
    for (component, declared) in outputs {
        let Some(c) = built
            .dataflow
            .components
            .iter_mut()
            .find(|c| c.name == *component)
        else {
            continue;
        };
        for output in declared {
            let name = name_of(&output.name);
            if !c.outputs().contains(&name.as_str()) {
                c.extra_outputs.push(name);
            }
        }
    }
}

/// A sealed stream leaving a component must be punctuated by it, on the
/// same key: otherwise its seal buffer would never release a partition.
fn check_punctuations(
    parts: &ModuleParts,
    outputs: &[(String, Vec<OutputDecl>)],
    analysis: Option<&Analysis>,
    errors: &mut Errors,
) {
    for decl in &parts.streams {
        let (
            Some(seal),
            EndpointDecl::Port {
                component,
                interface,
            },
        ) = (&decl.annotation.seal, &decl.from)
        else {
            continue;
        };
        let component = name_of(component);
        let interface = name_of(interface);
        let Some((_, declared)) = outputs.iter().find(|(c, _)| *c == component) else {
            continue;
        };
        let Some(output) = declared.iter().find(|o| name_of(&o.name) == interface) else {
            // Not an output of the component: the validation reports it.
            continue;
        };
        let punctuated = output.punctuation_key();
        let key: Vec<String> = seal.iter().cloned().collect();
        let matches = punctuated.as_ref().is_some_and(|p| {
            let mut p = p.clone();
            p.sort();
            p == key
        });
        if matches {
            continue;
        }
        // The output already carries seals on this key through confluent
        // paths (spec §1): the runtime forwards them once every producer of
        // the component's inputs has sealed a partition.
        let forwarded = analysis
            .and_then(|a| a.outputs.get(&format!("{component}.{interface}")))
            .is_some_and(|label| matches!(label, Label::Seal(k) if *k == *seal));
        if forwarded {
            continue;
        }
        let record = output.record.to_token_stream().to_string();
        let stream = format!("{} -> {}", decl.from.endpoint(), decl.to.endpoint());
        let key_text = key.join(", ");
        let has = match &punctuated {
            Some(other) => format!("punctuates it on [{}] instead", other.join(", ")),
            None => "never declares that it punctuates it".to_string(),
        };
        errors.spanned(
            seal_site(decl),
            format!(
                "stream `{stream}` is declared sealed on [{key_text}], but its producer \
                 `{component}` {has}, so no partition of it would ever be released. Either \
                 declare `{interface}: {record} {{ punctuates: [{key_text}] }}` in \
                 `#[component(outputs {{ .. }})]` on `{component}`'s impl block and call \
                 `out.punctuate_{interface}(..)` when a partition is complete, or drop \
                 `seal: [{key_text}]` from this stream and accept the coordination blazes \
                 then synthesises"
            ),
        );
    }
}

/// A component of the dataflow: its type and the names of its typed inputs
/// and outputs, in the order of `Parts::Inputs` and `Parts::Outputs` (of `Typed::Parts`).
struct Interfaces {
    name: String,
    /// The component's path (a syntax tree: interpolated, it writes its
    /// tokens one by one, where a token stream is copied whole, a call to
    /// the compiler each time).
    ty: syn::Path,
    inputs: Vec<String>,
    outputs: Vec<String>,
}

/// The inputs of `spec` whose handler takes a record, in handler order (the
/// positions `#[component]` gave them in `Parts::Inputs`).
fn typed_inputs(spec: &ImplSpec) -> Vec<String> {
    spec.handlers
        .iter()
        .filter(|h| h.record.is_some())
        .map(|h| name_of(h.input()))
        .collect()
}

/// The record type of input (`output` false) or output `interface` of
/// `component`: `InRecord<Type, position>` or `OutRecord<..>`, spanned at
/// `span` (where an error about it points).
fn interface_record(
    types: &[Interfaces],
    component: &Ident,
    interface: &Ident,
    output: bool,
    span: Span,
) -> Option<TokenStream> {
    let name = name_of(component);
    let found = types.iter().find(|t| t.name == name)?;
    let interface = name_of(interface);
    let ty = &found.ty;
    let private = Ident::new(exported::PRIVATE, span);
    if output {
        let at = found.outputs.iter().position(|o| *o == interface)?;
        Some(quote_spanned!(span=> #private::OutRecord<#ty, #at>))
    } else {
        let at = found.inputs.iter().position(|i| *i == interface)?;
        Some(quote_spanned!(span=> #private::InRecord<#ty, #at>))
    }
}

/// The record type of the stream `decl` (its consumer's input, or its
/// producer's output for a stream into a sink).
fn stream_record(decl: &StreamDecl, types: &[Interfaces]) -> Option<TokenStream> {
    match (&decl.to, &decl.from) {
        (
            EndpointDecl::Port {
                component,
                interface,
            },
            _,
        ) => interface_record(types, component, interface, false, Span::call_site()),
        (
            _,
            EndpointDecl::Port {
                component,
                interface,
            },
        ) => interface_record(types, component, interface, true, Span::call_site()),
        _ => None,
    }
}

/// For a stream between two components: its producer's output record type
/// must be its consumer's input record type (or either be the dynamic
/// `Tuple`), a check type spanned on the declaration: `StreamRecord`, or,
/// for a stream sealed on exactly the key its producer punctuates
/// (`sealed`, the key as written), `SealedStream`, which also stands for
/// the seal key's field checks (the producer's punctuation method checks
/// them on the same record).
fn stream_type_check(
    decl: &StreamDecl,
    types: &[Interfaces],
    sealed: Option<&[Ident]>,
) -> Option<TokenStream> {
    let (
        EndpointDecl::Port {
            component: producer,
            interface: output,
        },
        EndpointDecl::Port {
            component: consumer,
            interface: input,
        },
    ) = (&decl.from, &decl.to)
    else {
        return None;
    };
    let span = decl.tokens.start;
    let carried = interface_record(types, producer, output, true, span)?;
    let taken = interface_record(types, consumer, input, false, span)?;
    let private = Ident::new(exported::PRIVATE, span);
    let Some(keys) = sealed else {
        return Some(quote_spanned! {span=>
            #private::StreamRecord<#carried, #taken>
        });
    };
    // Each part moved in (`quote!` would copy each interpolated stream).
    let ids = keys.iter().rev().fold(
        builder::group(Delimiter::Parenthesis, TokenStream::new()),
        |rest, key| {
            let id = id_literal(&name_of(key));
            let mut pair = quote!(#private::KeyId<#id>,);
            pair.extend([rest]);
            builder::group(Delimiter::Parenthesis, pair)
        },
    );
    let spanned = |c| {
        let mut punct = proc_macro2::Punct::new(c, proc_macro2::Spacing::Alone);
        punct.set_span(span);
        TokenTree::Punct(punct)
    };
    let mut check = quote_spanned!(span=> #private::SealedStream);
    check.extend([spanned('<')]);
    check.extend([carried]);
    check.extend([spanned(',')]);
    check.extend([taken]);
    check.extend([spanned(','), ids, spanned('>')]);
    Some(check)
}

/// The seal key of `decl` as written, when the stream runs between two
/// components and its producer declares its output punctuated on exactly
/// that key (the same names, in any order).
fn punctuated_seal<'a>(
    decl: &'a StreamDecl,
    outputs: &[(String, Vec<OutputDecl>)],
) -> Option<&'a [Ident]> {
    let (
        Some(seal),
        EndpointDecl::Port {
            component,
            interface,
        },
        EndpointDecl::Port { .. },
    ) = (&decl.annotation.seal, &decl.from, &decl.to)
    else {
        return None;
    };
    let component = name_of(component);
    let interface = name_of(interface);
    let (_, declared) = outputs.iter().find(|(c, _)| *c == component)?;
    let output = declared.iter().find(|o| name_of(&o.name) == interface)?;
    let mut punctuated = output.punctuation_key()?;
    punctuated.sort();
    let key: Vec<String> = seal.iter().cloned().collect();
    let mut written: Vec<String> = decl.seal_names.iter().map(name_of).collect();
    written.sort();
    (punctuated == key && written == key).then_some(decl.seal_names.as_slice())
}

/// The dataflow's check types (`StreamRecord`, `KeyField`) as the fields of
/// one struct, whose well-formedness is the check: evaluated with the
/// struct's declaration, they need no constant of their own.
fn checks_struct(checks: Vec<TokenStream>) -> TokenStream {
    if checks.is_empty() {
        return TokenStream::new();
    }
    // The check types moved in (`quote!` would copy each).
    let mut checks_struct = quote! {
        struct __BlazesChecks
    };
    checks_struct.extend([
        builder::group(
            Delimiter::Parenthesis,
            builder::comma_separated(checks.into_iter()),
        ),
        builder::punct(';'),
    ]);
    checks_struct
}

/// The anomalies the analysis found, each a compile error at its site
/// unless a gate, seal, `seq` or FD names an unknown field (`fields_ok`):
/// the analysis then read a typo, and the field error says what to fix.
fn deferred_violations(found: &Errors, fields_ok: &TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    for (range, message) in found.each() {
        // The call spans the whole element (its path at the first token,
        // its arguments at the last), so rustc underlines all of it.
        let call = quote_spanned!(range.start=> ::blazes::__private::violation);
        let mut arguments = Group::new(Delimiter::Parenthesis, quote!(#fields_ok, #message));
        arguments.set_span(range.end);
        out.extend(quote_spanned! {range.start=>
            const _: () = #call #arguments;
        });
    }
    out
}

/// The checks of the streams and FDs: the statements of a const block (the
/// FDs' fields), the check types (each stream's records and key fields) and
/// (when `with_fields_ok`) an expression that is true when every gate,
/// seal, `seq` and FD field exists.
fn stream_field_checks(
    parts: &ModuleParts,
    types: &[Interfaces],
    outputs: &[(String, Vec<OutputDecl>)],
    with_fields_ok: bool,
) -> (TokenStream, Vec<TokenStream>, TokenStream) {
    let mut checks = TokenStream::new();
    let mut check_types = Vec::new();
    let mut fields_ok = vec![quote!(true)];
    for part in parts.impls.iter().filter(|_| with_fields_ok) {
        let ty = &part.spec.self_ty;
        let typed = part.spec.handlers.iter().filter(|h| h.record.is_some());
        for (at, handler) in typed.enumerate() {
            let record = quote!(::blazes::__private::InRecord<#ty, #at>);
            for path in &handler.paths {
                for gate in &path.gate_names {
                    let gate = name_of(gate);
                    fields_ok.push(quote!(::blazes::__private::field_ok::<#record>(#gate)));
                }
            }
        }
    }
    for decl in &parts.streams {
        let sealed = punctuated_seal(decl, outputs);
        check_types.extend(stream_type_check(decl, types, sealed));
        // The record type and the text of the stream only when one of its
        // keys needs a check of its own (most streams have none: no key,
        // or a seal their `SealedStream` covers).
        let needs_record = (!decl.seal_names.is_empty() && (sealed.is_none() || with_fields_ok))
            || !decl.seq_names.is_empty()
            || !decl.route_names.is_empty();
        if !needs_record {
            continue;
        }
        let Some(record) = stream_record(decl, types) else {
            continue;
        };
        let stream = format!("{} -> {}", decl.from.endpoint(), decl.to.endpoint());
        for (names, what) in [
            (&decl.seal_names, "seal"),
            (&decl.seq_names, "`seq`"),
            (&decl.route_names, "route key"),
        ] {
            let analysed = what != "route key";
            // A key its stream check covers (`SealedStream`) needs no
            // check of its own.
            let covered = what == "seal" && sealed.is_some();
            let what = format!("the {what} of stream `{stream}`");
            for name in names {
                if !covered {
                    check_types.push(typed::key_check(&record, name, &what));
                }
                if analysed && with_fields_ok {
                    let name = name_of(name);
                    fields_ok.push(quote!(::blazes::__private::field_ok::<#record>(#name)));
                }
            }
        }
    }
    let mut records = Vec::new();
    // The records are only needed to check the FDs' fields.
    for component in types.iter().filter(|_| !parts.fds.is_empty()) {
        let ty = &component.ty;
        for at in 0..component.inputs.len() {
            records.push(quote!(::blazes::__private::InRecord<#ty, #at>));
        }
        for at in 0..component.outputs.len() {
            records.push(quote!(::blazes::__private::OutRecord<#ty, #at>));
        }
    }
    let mut distinct: Vec<String> = Vec::new();
    records.retain(|r| {
        let text = r.to_string();
        let new = !distinct.contains(&text);
        distinct.push(text);
        new
    });
    let entries = records.iter().map(|r| {
        quote!((<#r as ::blazes::Record>::NAME, <#r as ::blazes::Record>::FIELDS, <#r as ::blazes::Record>::DYNAMIC))
    });
    let table = quote!(&[#(#entries),*]);
    for fd in &parts.fds {
        let arrow = if fd.injective { "<->" } else { "->" };
        let from: Vec<String> = fd.from_names.iter().map(name_of).collect();
        let text = format!("{} {arrow} {}", from.join(", "), fd.to);
        for ident in fd.from_names.iter().chain([&fd.to_name]) {
            let name = name_of(ident);
            checks.extend(quote_spanned! {ident.span()=>
                ::blazes::__private::check_fd_field(#table, #name, #text);
            });
            if with_fields_ok {
                fields_ok.push(quote!(::blazes::__private::fd_field_ok(#table, #name)));
            }
            // In every record that has it, the field must be a key.
            for record in &records {
                let ty = typed::field_type(record, &name, ident.span());
                checks.extend(quote_spanned! {ident.span()=>
                    ::blazes::__private::assert_key::<#ty>();
                });
            }
        }
    }
    (checks, check_types, quote!(#(#fields_ok)&&*))
}

/// `deployment()`: a `Deployment` with the `route: [..]` of each stream.
fn deployment_fn(parts: &ModuleParts) -> TokenStream {
    let routes = parts
        .streams
        .iter()
        .filter(|d| !d.route_names.is_empty())
        .map(|d| {
            let from = d.from.endpoint().to_string();
            let to = d.to.endpoint().to_string();
            let key: Vec<String> = d.route_names.iter().map(name_of).collect();
            quote!(.route(#from, #to, ::blazes::runtime::Routing::by_key([#(#key),*])))
        });
    quote! {
        /// A deployment with the routes the streams declare (`route: [..]`),
        /// checked against their records at compile time; add instance
        /// counts and options to it.
        pub fn deployment() -> ::blazes::runtime::Deployment {
            ::blazes::runtime::Deployment::new() #(#routes)*
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two components by path: Sessionize (punctuating `sessions` on
    /// `punctuates`) and Board (replicated when `board_rep`, its impl block's
    /// items `board`); `streams` wires them, under the dataflow's `args`.
    fn resolved(
        args: TokenStream,
        punctuates: TokenStream,
        board_rep: bool,
        board: TokenStream,
        streams: TokenStream,
    ) -> String {
        resolve(quote! {
            __blazes_chain [] [ [ [ [ [
            header [ #args ] ["flow"] [crate::a::Sessionize, crate::b::Board] [ #streams ] [ session -> user; ]
            ]
            struct false
            ]
            struct #board_rep
            ]
            impl [ outputs { sessions: Session #punctuates } ]
            impl Sessionize {
                #[path(from = events, to = sessions, label = OW, gate = [session])]
                fn events;
            }
            ]
            impl [ outputs { view: Session } ]
            impl Board {
                #board
            }
            ]
        })
        .to_string()
    }

    /// Sessionize and a replicated, confluent Board.
    fn chain(punctuates: TokenStream, streams: TokenStream) -> String {
        let board = quote! {
            #[path(from = sessions, to = view, label = CW)]
            fn sessions;
        };
        resolved(quote!(), punctuates, true, board, streams)
    }

    fn sealed_streams() -> TokenStream {
        quote! {
            events -> Sessionize.events { seal: [session] };
            Sessionize.sessions -> Board.sessions { seal: [user], route: [user] };
            Board.view -> screen;
        }
    }

    #[test]
    fn resolves_components_by_path_with_their_accessors_and_field_checks() {
        let out = chain(quote!({ punctuates: [user] }), sealed_streams());
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("pub fn analysis"), "{out}");
        assert!(out.contains("pub fn factories"), "{out}");
        assert!(
            out.contains(". route (\"Sessionize.sessions\" , \"Board.sessions\""),
            "{out}"
        );
        assert!(out.contains("__blazes_spec"), "{out}");
        assert!(out.contains("DataflowRecord"), "{out}");
        assert!(out.contains("struct __BlazesChecks"), "{out}");
        assert!(out.contains("KeyField"), "{out}");
        assert!(out.contains("check_fd_field"), "{out}");
        assert!(!out.contains("violation"), "the dataflow is sound: {out}");
    }

    #[test]
    fn a_sealed_stream_its_producer_never_punctuates_is_an_error_naming_both_fixes() {
        let out = chain(TokenStream::new(), sealed_streams());
        assert!(out.contains("compile_error"), "{out}");
        assert!(
            out.contains(
                "stream `Sessionize.sessions -> Board.sessions` is declared sealed on [user]"
            ),
            "{out}"
        );
        assert!(
            out.contains("never declares that it punctuates it"),
            "{out}"
        );
        assert!(out.contains("punctuates: [user]"), "{out}");
        assert!(out.contains("drop `seal: [user]`"), "{out}");
    }

    /// Board with a typed `#[on_seal(sessions)]`, its path `board` (a
    /// `#[path]` attribute), under the dataflow's `args`.
    fn chain_with_board_seal(
        args: TokenStream,
        punctuates: TokenStream,
        board: TokenStream,
        streams: TokenStream,
    ) -> String {
        let board = quote! {
            #board
            fn sessions;
            #[on_seal(sessions)]
            fn closed(user);
        };
        resolved(args, punctuates, false, board, streams)
    }

    #[test]
    fn a_typed_on_seal_no_seal_reaches_is_a_warning() {
        let cw = quote!(#[path(from = sessions, to = view, label = CW)]);
        let unsealed = quote! {
            events -> Sessionize.events { seal: [session] };
            Sessionize.sessions -> Board.sessions;
            Board.view -> screen;
        };
        let out = chain_with_board_seal(quote!(), quote!(), cw.clone(), unsealed);
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            out.contains(
                "`Board::closed` (`#[on_seal(sessions)]`) never runs in this dataflow: no seal \
                 reaches `Board.sessions` (stream `Sessionize.sessions -> Board.sessions` (Async) \
                 carries none)"
            ),
            "{out}"
        );
        // Sealed by Sessionize's punctuations: the method runs, no warning.
        let out = chain_with_board_seal(
            quote!(),
            quote!({ punctuates: [user] }),
            cw.clone(),
            sealed_streams(),
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(!out.contains("never runs"), "{out}");
        // Declared sealed, so Sessionize punctuates it: the seals come,
        // uncoordinated, though the label is not `Seal` (unsealed events
        // make Sessionize's output Run). No warning.
        let declared = quote! {
            events -> Sessionize.events;
            Sessionize.sessions -> Board.sessions { seal: [user] };
            Board.view -> screen;
        };
        let out = chain_with_board_seal(
            quote!(requires = convergent),
            quote!({ punctuates: [user] }),
            cw,
            declared,
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(!out.contains("violation"), "{out}");
        assert!(!out.contains("never runs"), "{out}");
        // A static order (`seq`) planned at the input ends each batch with a
        // call of the method: no warning either.
        let ordered = quote! {
            events -> Sessionize.events { seal: [session] };
            Sessionize.sessions -> Board.sessions { seq: [user] };
            Board.view -> screen;
        };
        let out = chain_with_board_seal(
            quote!(coordinate = auto),
            quote!(),
            quote!(#[path(from = sessions, to = view, label = OW, gate = [user])]),
            ordered,
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            !out.contains("violation"),
            "the static order makes it sound: {out}"
        );
        assert!(!out.contains("never runs"), "{out}");
    }

    #[test]
    fn a_punctuation_on_another_key_does_not_seal_the_stream() {
        let out = chain(quote!({ punctuates: [session] }), sealed_streams());
        assert!(out.contains("punctuates it on [session] instead"), "{out}");
    }

    #[test]
    fn an_unresolved_anomaly_is_an_error_unless_a_field_is_unknown() {
        let out = chain(
            quote!({ punctuates: [user] }),
            quote! {
                events -> Sessionize.events;
                Sessionize.sessions -> Board.sessions;
                Board.view -> screen;
            },
        );
        assert!(
            out.contains(":: blazes :: __private :: violation (true &&"),
            "{out}"
        );
        assert!(out.contains("field_ok"), "{out}");
    }

    #[test]
    fn a_stream_naming_a_component_not_listed_says_how_to_add_it() {
        let out = chain(
            quote!({ punctuates: [user] }),
            quote! { events -> Sessionise.events; Board.view -> screen; },
        );
        assert!(
            out.contains("`Sessionise` is not a component of this dataflow (its components: Sessionize, Board)"),
            "{out}"
        );
    }
}

#[cfg(test)]
mod begin_tests {
    #[test]
    fn several_streams_bodies_are_joined_with_a_semicolon_between_them() {
        let out = crate::expand::dataflow::expand(
            quote::quote!(),
            quote::quote! {
                pub mod flow {
                    blazes::components! { crate::parts::Board }
                    streams! { events -> Board.events }
                    streams! { Board.view -> screen }
                }
            },
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            out.contains("[events -> Board . events ; Board . view -> screen]"),
            "{out}"
        );
    }

    #[test]
    fn begins_a_chain_with_both_macros_of_each_component() {
        let out = crate::expand::dataflow::expand(
            quote::quote!(),
            quote::quote! {
                pub mod flow {
                    blazes::components! { crate::parts::Sessionize, crate::parts::Board }
                    streams! { events -> Sessionize.events; }
                }
            },
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            out.contains("crate :: parts :: Sessionize ! { __blazes_chain"),
            "{out}"
        );
        assert!(
            out.contains("(crate :: parts :: __blazes_impl_Sessionize)"),
            "{out}"
        );
        assert!(
            out.contains("(crate :: parts :: __blazes_impl_Board)"),
            "{out}"
        );
        assert!(
            out.contains("IsComponent < crate :: parts :: Board >"),
            "{out}"
        );
        assert!(!out.contains("streams !"), "{out}");
        // The header (streams, FDs) waits in the module's own last step,
        // which the chain reaches with the first token of the first path
        // (whose hygiene `resolve_dataflow!` gives the header back); the
        // payloads start empty.
        assert!(out.contains("(__blazes_resolve) [crate]"), "{out}");
        assert!(
            out.contains("__blazes_chain [(crate :: parts :: Board)"),
            "{out}"
        );
        assert!(
            out.contains(
                "macro_rules ! __blazes_resolve { (__blazes_chain $ rest : tt $ acc : tt) => \
                 { :: blazes :: __private :: resolve_dataflow ! { __blazes_chain $ rest $ acc \
                 header [] [\"flow\"] [crate :: parts :: Sessionize , crate :: parts :: Board] \
                 [events -> Sessionize . events ;] [] } } ; }"
            ),
            "{out}"
        );
        assert!(
            out.ends_with("[(__blazes_resolve) [crate]]]]] [] } }"),
            "{out}"
        );
    }

    #[test]
    fn plain_paths_are_read_from_their_tokens_as_syn_reads_them() {
        let source = quote::quote!(crate::a::Sessionize, ::b::Board, Local, super::c::D,);
        let plain = super::plain_paths(source.clone()).expect("plain paths");
        let full = syn::parse::Parser::parse2(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            source,
        )
        .expect("parses");
        let text = |paths: Vec<syn::Path>| {
            paths
                .iter()
                .map(|p| quote::quote!(#p).to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(text(plain), text(full.into_iter().collect()));
        for source in [
            quote::quote!(a::b<T>),
            quote::quote!(a::),
            quote::quote!(a:b),
            quote::quote!(a b),
            quote::quote!(a,,b),
            quote::quote!(::),
        ] {
            assert!(super::plain_paths(source.clone()).is_none(), "{source}");
        }
    }

    #[test]
    fn the_header_after_the_payloads_reads_as_the_header_inside_them() {
        // The form the module's `__blazes_resolve!` writes: the header
        // after the payloads, an anchor token in the steps left.
        let header = quote::quote! {
            header [] ["flow"] [crate::a::Sessionize] [ events -> Sessionize.events; ] []
        };
        let payloads = quote::quote! {
            struct false
            impl [outputs { sessions: Session }]
            impl Sessionize {
                #[path(from = events, to = sessions, label = CR)] fn events;
            }
        };
        let after =
            super::resolve(quote::quote!(__blazes_chain [crate] [ [ [] #payloads ] ] #header))
                .to_string();
        let inside =
            super::resolve(quote::quote!(__blazes_chain [] [ [ #header #payloads ] ])).to_string();
        assert!(!after.contains("compile_error"), "{after}");
        assert!(after.contains("pub fn dataflow"), "{after}");
        assert_eq!(after, inside);
    }
}
