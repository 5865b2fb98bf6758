//! Writes a `Dataflow` as typed constants (`blazes::__private::spec`:
//! `DataflowSpec`, `ComponentSpec`, `PathSpec`, `StreamSpec`, `FdSpec`; the
//! middle three tuples, whose expressions the compiler reads for less) that
//! the generated `dataflow()` builds with the builder API at run time:
//! exactly what was checked at compile time, with nothing to decode. The
//! constants are written inside a block that imports `spec::*`, so each
//! type or variant (`Port`, `External`, `OW`, ..) is one token for rustc to
//! read.

use blazes_core::{Annotation, AttrSet, Dataflow, Endpoint, Fd, Permission, Requirement, Stream};
pub(crate) use proc_macro2::Delimiter;
use proc_macro2::{Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::quote;

// The constants are written tree by tree, each group's stream moved into
// it: interpolated into `quote!`, a token stream or a group is copied
// whole, a few calls to the compiler each time (some 10 000 instructions
// in the unoptimised macro), and the spec of a dataflow of 50 components
// has some 500 of them.

pub(crate) fn ident(name: &str) -> TokenTree {
    TokenTree::Ident(Ident::new(name, Span::call_site()))
}

pub(crate) fn punct(c: char) -> TokenTree {
    TokenTree::Punct(Punct::new(c, Spacing::Alone))
}

pub(crate) fn group(delimiter: Delimiter, stream: TokenStream) -> TokenTree {
    TokenTree::Group(Group::new(delimiter, stream))
}

/// `name: ` before a field's value.
pub(crate) fn field(out: &mut TokenStream, name: &str) {
    out.extend([ident(name), punct(':')]);
}

/// `&["a", "b"]`.
fn names(set: &AttrSet) -> [TokenTree; 2] {
    let names = set.iter();
    [punct('&'), group(Delimiter::Bracket, quote!(#(#names),*))]
}

/// `Name { fields }`.
pub(crate) fn literal(name: &str, fields: TokenStream) -> TokenStream {
    TokenStream::from_iter([ident(name), group(Delimiter::Brace, fields)])
}

/// Each item, separated by commas, in one stream (the items moved in).
pub(crate) fn comma_separated(items: impl Iterator<Item = TokenStream>) -> TokenStream {
    let mut list = TokenStream::new();
    for (i, item) in items.enumerate() {
        if i > 0 {
            list.extend([punct(',')]);
        }
        list.extend([item]);
    }
    list
}

/// A `PathSpec`, `(from, to, kind, gate)` (names resolved through
/// `spec::*`).
pub fn path_spec(from: &str, to: &str, annotation: &Annotation) -> TokenStream {
    let mut fields = TokenStream::from_iter([
        TokenTree::Literal(Literal::string(from)),
        punct(','),
        TokenTree::Literal(Literal::string(to)),
        punct(','),
        ident(&annotation.kind.to_string()),
        punct(','),
    ]);
    fields.extend(names(annotation.gates.first().unwrap_or(&AttrSet::new())));
    TokenStream::from_iter([group(Delimiter::Parenthesis, fields)])
}

/// The two ends of a `StreamSpec`: `"Component", "interface"`, or `"",
/// "name"` for an external source or sink.
fn end_spec(endpoint: &Endpoint, out: &mut TokenStream) {
    let (component, interface) = match endpoint {
        Endpoint::External(name) => ("", name),
        Endpoint::Port {
            component,
            interface,
        } => (component.as_str(), interface),
    };
    out.extend([
        TokenTree::Literal(Literal::string(component)),
        punct(','),
        TokenTree::Literal(Literal::string(interface)),
        punct(','),
    ]);
}

/// `Some(&[..])` (the key is there).
fn key(set: &AttrSet) -> [TokenTree; 2] {
    [
        ident("Some"),
        group(Delimiter::Parenthesis, TokenStream::from_iter(names(set))),
    ]
}

/// A `StreamSpec`, `(from, from interface, to, to interface, annotations)`:
/// `Plain`, `Sealed(&[..])`, or `Options(StreamOptions { .. })` with the
/// annotations it has, the others `None` or false.
pub fn stream_spec(stream: &Stream) -> TokenStream {
    let a = &stream.annotation;
    let mut row = TokenStream::new();
    end_spec(&stream.from, &mut row);
    end_spec(&stream.to, &mut row);
    match (&a.seal, &a.seq, a.independent, a.rep) {
        (None, None, false, false) => row.extend([ident("Plain")]),
        (Some(seal), None, false, false) => row.extend([
            ident("Sealed"),
            group(Delimiter::Parenthesis, TokenStream::from_iter(names(seal))),
        ]),
        (seal, seq, independent, rep) => {
            let mut fields = TokenStream::new();
            for (name, key_set) in [("seal", seal), ("seq", seq)] {
                field(&mut fields, name);
                match key_set {
                    Some(set) => fields.extend(key(set)),
                    None => fields.extend([ident("None")]),
                }
                fields.extend([punct(',')]);
            }
            field(&mut fields, "independent");
            fields.extend([
                ident(if independent { "true" } else { "false" }),
                punct(','),
            ]);
            field(&mut fields, "rep");
            fields.extend([ident(if rep { "true" } else { "false" })]);
            let options = literal("StreamOptions", fields);
            row.extend([ident("Options"), group(Delimiter::Parenthesis, options)]);
        }
    }
    TokenStream::from_iter([group(Delimiter::Parenthesis, row)])
}

/// An `FdSpec`.
pub fn fd_spec(fd: &Fd) -> TokenStream {
    let (from, to, injective) = (
        TokenStream::from_iter(names(&fd.from)),
        &fd.to,
        fd.injective,
    );
    quote!(FdSpec { from: #from, to: #to, injective: #injective })
}

/// `expr`, with the names of `blazes::__private::spec` in scope.
pub fn with_spec_names(expr: TokenStream) -> TokenStream {
    quote!({
        use ::blazes::__private::spec::*;
        #expr
    })
}

/// The `blazes::__private::DataflowSpec` of `dataflow`. A component whose
/// struct implements `blazes::Annotated` (`annotated` says which) reads its
/// `rep` from there: the dataflow then names the type, which keeps a component
/// that is declared but never built from being reported as dead code.
pub fn dataflow_spec(
    dataflow: &Dataflow,
    annotated: impl Fn(&str) -> Option<TokenStream>,
) -> TokenStream {
    let components = dataflow.components.iter().map(|c| {
        let mut fields =
            TokenStream::from_iter([TokenTree::Literal(Literal::string(&c.name)), punct(',')]);
        match annotated(&c.name) {
            Some(ty) => fields.extend([quote!(<#ty as ::blazes::Annotated>::REP)]),
            None => fields.extend([ident(if c.rep { "true" } else { "false" })]),
        }
        let paths = c
            .paths
            .iter()
            .map(|p| path_spec(&p.from, &p.to, &p.annotation));
        fields.extend([
            punct(','),
            punct('&'),
            group(Delimiter::Bracket, comma_separated(paths)),
        ]);
        TokenStream::from_iter([group(Delimiter::Parenthesis, fields)])
    });
    let components = group(Delimiter::Bracket, comma_separated(components));
    let streams = group(
        Delimiter::Bracket,
        comma_separated(dataflow.streams.iter().map(stream_spec)),
    );
    let fds = dataflow.fds.iter().map(fd_spec);
    let requires = match dataflow.requires {
        Requirement::Deterministic => quote!(Requirement::Deterministic),
        Requirement::Convergent => quote!(Requirement::Convergent),
    };
    let coordinate = match dataflow.coordinate {
        Permission::None => quote!(Permission::None),
        Permission::Seal => quote!(Permission::Seal),
        Permission::Auto => quote!(Permission::Auto),
    };
    let name = dataflow.name.clone().unwrap_or_default();
    let mut fields = quote!(name: #name, components: &);
    fields.extend([components]);
    fields.extend([quote!(, streams: &)]);
    fields.extend([streams]);
    fields.extend([quote! {
        ,
        fds: &[#(#fds),*],
        requires: #requires,
        coordinate: #coordinate,
    }]);
    with_spec_names(literal("DataflowSpec", fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    #[test]
    fn writes_paths_streams_and_fds_as_typed_constants() {
        let gated = Annotation::ow(attrs(["word", "batch"]));
        assert_eq!(
            path_spec("words", "counts", &gated).to_string(),
            quote!(("words", "counts", OW, &["batch", "word"])).to_string()
        );
        assert_eq!(
            path_spec("a", "b", &Annotation::cr()).to_string(),
            quote!(("a", "b", CR, &[])).to_string()
        );
        let sealed = Stream::between("tweets", "Splitter.tweets").sealed(attrs(["batch"]));
        assert_eq!(
            stream_spec(&sealed).to_string(),
            quote!(("", "tweets", "Splitter", "tweets", Sealed(&["batch"]))).to_string()
        );
        assert_eq!(
            stream_spec(&Stream::between("a.out", "b")).to_string(),
            quote!(("a", "out", "", "b", Plain)).to_string()
        );
        let stream = Stream::between("tweets", "Splitter.tweets")
            .sealed(attrs(["batch"]))
            .independent();
        assert_eq!(
            stream_spec(&stream).to_string(),
            quote!((
                "",
                "tweets",
                "Splitter",
                "tweets",
                Options(StreamOptions {
                    seal: Some(&["batch"]),
                    seq: None,
                    independent: true,
                    rep: false
                })
            ))
            .to_string()
        );
        let plain = Stream::between("a.out", "b")
            .sequenced(attrs(["n"]))
            .replicated();
        assert_eq!(
            stream_spec(&plain).to_string(),
            quote!((
                "a",
                "out",
                "",
                "b",
                Options(StreamOptions {
                    seal: None,
                    seq: Some(&["n"]),
                    independent: false,
                    rep: true
                })
            ))
            .to_string()
        );
        let fd = Fd {
            from: attrs(["a", "b"]),
            to: "c".into(),
            injective: true,
        };
        assert_eq!(
            fd_spec(&fd).to_string(),
            quote!(FdSpec {
                from: &["a", "b"],
                to: "c",
                injective: true
            })
            .to_string()
        );
    }
}
