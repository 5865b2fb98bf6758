//! Writes a `Dataflow` as typed constants (`blazes::__private::spec`:
//! `DataflowSpec`, `ComponentSpec`, `PathSpec`, `StreamSpec`, `FdSpec`) that
//! the generated `dataflow()` builds with the builder API at run time:
//! exactly what was checked at compile time, with nothing to decode. The
//! constants are written inside a block that imports `spec::*`, so each
//! type or variant is one token for rustc to read.

use std::fmt::Write as _;

use blazes_core::{Annotation, AttrSet, Dataflow, Endpoint, Fd, Permission, Requirement, Stream};
use proc_macro2::TokenStream;
use quote::quote;

/// A string literal, as Rust source.
fn lit(text: &str) -> String {
    format!("{text:?}")
}

fn names(set: &AttrSet) -> String {
    let names: Vec<String> = set.iter().map(|n| lit(n)).collect();
    format!("&[{}]", names.join(", "))
}

/// `text` (source the macros wrote, spanned nowhere in particular) as
/// tokens: parsed by the compiler in one call, which costs far less than
/// building each token through the proc-macro bridge.
pub fn parse_text(text: &str) -> TokenStream {
    text.parse().unwrap_or_else(|error| {
        let message = format!("blazes: generated code did not lex ({error:?}): {text}");
        quote!(::core::compile_error!(#message);)
    })
}

fn path_spec_text(from: &str, to: &str, annotation: &Annotation) -> String {
    let gate = names(annotation.gates.first().unwrap_or(&AttrSet::new()));
    format!(
        "PathSpec {{ from: {}, to: {}, kind: PathKind::{}, gate: {gate} }}",
        lit(from),
        lit(to),
        annotation.kind
    )
}

/// A `PathSpec` (names resolved through `spec::*`).
pub fn path_spec(from: &str, to: &str, annotation: &Annotation) -> TokenStream {
    parse_text(&path_spec_text(from, to, annotation))
}

fn end_spec(endpoint: &Endpoint) -> String {
    match endpoint {
        Endpoint::External(name) => format!("EndSpec::External({})", lit(name)),
        Endpoint::Port {
            component,
            interface,
        } => format!("EndSpec::Port({}, {})", lit(component), lit(interface)),
    }
}

fn key(key: Option<&AttrSet>) -> String {
    match key {
        Some(set) => format!("Some({})", names(set)),
        None => "None".to_string(),
    }
}

fn stream_spec_text(stream: &Stream) -> String {
    let a = &stream.annotation;
    format!(
        "StreamSpec {{ from: {}, to: {}, seal: {}, seq: {}, independent: {}, rep: {} }}",
        end_spec(&stream.from),
        end_spec(&stream.to),
        key(a.seal.as_ref()),
        key(a.seq.as_ref()),
        a.independent,
        a.rep
    )
}

fn fd_spec_text(fd: &Fd) -> String {
    format!(
        "FdSpec {{ from: {}, to: {}, injective: {} }}",
        names(&fd.from),
        lit(&fd.to),
        fd.injective
    )
}

/// `expr`, with the names of `blazes::__private::spec` in scope.
pub fn with_spec_names(expr: TokenStream) -> TokenStream {
    quote!({
        #[allow(unused_imports)]
        use ::blazes::__private::spec::*;
        #expr
    })
}

/// The `blazes::__private::DataflowSpec` of `dataflow`, written as text and
/// parsed once (it holds no user token: nothing for an error to point at).
/// A component whose struct implements `blazes::Annotated` in the module
/// (`annotated` gives the struct's name as written there) reads its `rep`
/// from there: the dataflow then names the type, which keeps a component
/// that is declared but never built from being reported as dead code.
pub fn dataflow_spec(dataflow: &Dataflow, annotated: impl Fn(&str) -> Option<String>) -> TokenStream {
    let mut text = String::from(
        "{ #[allow(unused_imports)] use ::blazes::__private::spec::*; DataflowSpec { name: ",
    );
    text.push_str(&lit(dataflow.name.as_deref().unwrap_or_default()));
    text.push_str(", components: &[");
    for c in &dataflow.components {
        let rep = match annotated(&c.name) {
            Some(ty) => format!("<{ty} as ::blazes::Annotated>::REP"),
            None => c.rep.to_string(),
        };
        let paths: Vec<String> = c
            .paths
            .iter()
            .map(|p| path_spec_text(&p.from, &p.to, &p.annotation))
            .collect();
        let _ = write!(
            text,
            "ComponentSpec {{ name: {}, rep: {rep}, paths: &[{}] }}, ",
            lit(&c.name),
            paths.join(", ")
        );
    }
    text.push_str("], streams: &[");
    for stream in &dataflow.streams {
        text.push_str(&stream_spec_text(stream));
        text.push_str(", ");
    }
    text.push_str("], fds: &[");
    for fd in &dataflow.fds {
        text.push_str(&fd_spec_text(fd));
        text.push_str(", ");
    }
    let requires = match dataflow.requires {
        Requirement::Deterministic => "Deterministic",
        Requirement::Convergent => "Convergent",
    };
    let coordinate = match dataflow.coordinate {
        Permission::None => "None",
        Permission::Seal => "Seal",
        Permission::Auto => "Auto",
    };
    let _ = write!(
        text,
        "], requires: Requirement::{requires}, coordinate: Permission::{coordinate} }} }}"
    );
    parse_text(&text)
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
                kind: PathKind::OW,
                gate: &["batch", "word"]
            })
            .to_string()
        );
        assert_eq!(
            path_spec("a", "b", &Annotation::cr()).to_string(),
            quote!(PathSpec {
                from: "a",
                to: "b",
                kind: PathKind::CR,
                gate: &[]
            })
            .to_string()
        );
        let stream = Stream::between("tweets", "Splitter.tweets")
            .sealed(attrs(["batch"]))
            .independent();
        assert_eq!(
            parse_text(&stream_spec_text(&stream)).to_string(),
            quote!(StreamSpec {
                from: EndSpec::External("tweets"),
                to: EndSpec::Port("Splitter", "tweets"),
                seal: Some(&["batch"]),
                seq: None,
                independent: true,
                rep: false
            })
            .to_string()
        );
        let fd = Fd {
            from: attrs(["a", "b"]),
            to: "c".into(),
            injective: true,
        };
        assert_eq!(
            parse_text(&fd_spec_text(&fd)).to_string(),
            quote!(FdSpec {
                from: &["a", "b"],
                to: "c",
                injective: true
            })
            .to_string()
        );
    }
}
