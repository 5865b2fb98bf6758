//! Writes a `Dataflow` as typed constants (`blazes::__private::spec`:
//! `DataflowSpec`, `ComponentSpec`, `PathSpec`, `StreamSpec`, `FdSpec`) that
//! the generated `dataflow()` builds with the builder API at run time:
//! exactly what was checked at compile time, with nothing to decode. The
//! constants are written inside a block that imports `spec::*`, so each
//! type or variant (`Port`, `External`, `OW`, ..) is one token for rustc to
//! read.

use blazes_core::{Annotation, AttrSet, Dataflow, Endpoint, Fd, Permission, Requirement, Stream};
use proc_macro2::TokenStream;
use quote::quote;

fn names(set: &AttrSet) -> TokenStream {
    let names = set.iter();
    quote!(&[#(#names),*])
}

fn kind(annotation: &Annotation) -> TokenStream {
    let kind =
        proc_macro2::Ident::new(&annotation.kind.to_string(), proc_macro2::Span::call_site());
    quote!(#kind)
}

/// A `PathSpec` (names resolved through `spec::*`).
pub fn path_spec(from: &str, to: &str, annotation: &Annotation) -> TokenStream {
    let kind = kind(annotation);
    let gate = names(annotation.gates.first().unwrap_or(&AttrSet::new()));
    quote!(PathSpec { from: #from, to: #to, kind: #kind, gate: #gate })
}

fn end_spec(endpoint: &Endpoint) -> TokenStream {
    match endpoint {
        Endpoint::External(name) => quote!(External(#name)),
        Endpoint::Port {
            component,
            interface,
        } => quote!(Port(#component, #interface)),
    }
}

fn key(key: Option<&AttrSet>) -> TokenStream {
    match key {
        Some(set) => {
            let names = names(set);
            quote!(Some(#names))
        }
        None => quote!(None),
    }
}

/// A `StreamSpec`: its ends and the annotations it has, the others taken
/// from `spec::STREAM` (none).
pub fn stream_spec(stream: &Stream) -> TokenStream {
    let a = &stream.annotation;
    let (from, to) = (end_spec(&stream.from), end_spec(&stream.to));
    let mut fields = quote!(from: #from, to: #to,);
    if a.seal.is_some() {
        let seal = key(a.seal.as_ref());
        fields.extend(quote!(seal: #seal,));
    }
    if a.seq.is_some() {
        let seq = key(a.seq.as_ref());
        fields.extend(quote!(seq: #seq,));
    }
    if a.independent {
        fields.extend(quote!(independent: true,));
    }
    if a.rep {
        fields.extend(quote!(rep: true,));
    }
    quote!(StreamSpec { #fields ..STREAM })
}

/// An `FdSpec`.
pub fn fd_spec(fd: &Fd) -> TokenStream {
    let (from, to, injective) = (names(&fd.from), &fd.to, fd.injective);
    quote!(FdSpec { from: #from, to: #to, injective: #injective })
}

/// `expr`, with the names of `blazes::__private::spec` in scope.
pub fn with_spec_names(expr: TokenStream) -> TokenStream {
    quote!({
        #[allow(unused_imports)]
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
        let rep = match annotated(&c.name) {
            Some(ty) => quote!(<#ty as ::blazes::Annotated>::REP),
            None => {
                let rep = c.rep;
                quote!(#rep)
            }
        };
        let name = &c.name;
        let paths = c
            .paths
            .iter()
            .map(|p| path_spec(&p.from, &p.to, &p.annotation));
        quote!(ComponentSpec { name: #name, rep: #rep, paths: &[#(#paths),*] })
    });
    let streams = dataflow.streams.iter().map(stream_spec);
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
    with_spec_names(quote! {
        DataflowSpec {
            name: #name,
            components: &[#(#components),*],
            streams: &[#(#streams),*],
            fds: &[#(#fds),*],
            requires: #requires,
            coordinate: #coordinate,
        }
    })
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
            quote!(PathSpec {
                from: "words",
                to: "counts",
                kind: OW,
                gate: &["batch", "word"]
            })
            .to_string()
        );
        assert_eq!(
            path_spec("a", "b", &Annotation::cr()).to_string(),
            quote!(PathSpec {
                from: "a",
                to: "b",
                kind: CR,
                gate: &[]
            })
            .to_string()
        );
        let stream = Stream::between("tweets", "Splitter.tweets")
            .sealed(attrs(["batch"]))
            .independent();
        assert_eq!(
            stream_spec(&stream).to_string(),
            quote!(StreamSpec {
                from: External("tweets"),
                to: Port("Splitter", "tweets"),
                seal: Some(&["batch"]),
                independent: true,
                ..STREAM
            })
            .to_string()
        );
        let plain = Stream::between("a.out", "b")
            .sequenced(attrs(["n"]))
            .replicated();
        assert_eq!(
            stream_spec(&plain).to_string(),
            quote!(StreamSpec {
                from: Port("a", "out"),
                to: External("b"),
                seq: Some(&["n"]),
                rep: true,
                ..STREAM
            })
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
