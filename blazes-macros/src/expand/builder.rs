//! Writes a `Dataflow` as a constant table (`blazes::__private::DataflowSpec`)
//! that the generated `dataflow()` builds with the builder API at run time:
//! exactly what was checked at compile time. Paths, streams and FDs are
//! written as short strings (decoded by `blazes::__private`): one token each
//! for rustc to read, instead of a nested tuple.

use blazes_core::{Annotation, AttrSet, Dataflow, Fd, Permission, Requirement, Stream};
use proc_macro2::TokenStream;
use quote::quote;

fn list(set: &AttrSet) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(",")
}

/// A path as `"input->output LABEL gate,attrs"`.
pub fn path_text(from: &str, to: &str, annotation: &Annotation) -> String {
    let mut text = format!("{from}->{to} {}", annotation.kind);
    if let Some(gate) = annotation.gates.first().filter(|g| !g.is_empty()) {
        text.push(' ');
        text.push_str(&list(gate));
    }
    text
}

/// A stream as `"from->to seal=a,b seq=a independent rep"`.
pub fn stream_text(stream: &Stream) -> String {
    let a = &stream.annotation;
    let mut text = format!("{}->{}", stream.from, stream.to);
    if let Some(key) = &a.seal {
        text.push_str(&format!(" seal={}", list(key)));
    }
    if let Some(key) = &a.seq {
        text.push_str(&format!(" seq={}", list(key)));
    }
    if a.independent {
        text.push_str(" independent");
    }
    if a.rep {
        text.push_str(" rep");
    }
    text
}

/// An FD as `"a,b->c"` (plain) or `"a,b<->c"` (injective).
pub fn fd_text(fd: &Fd) -> String {
    let arrow = if fd.injective { "<->" } else { "->" };
    format!("{}{arrow}{}", list(&fd.from), fd.to)
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
            .map(|p| path_text(&p.from, &p.to, &p.annotation));
        quote!((#name, #rep, &[#(#paths),*]))
    });
    let streams = dataflow.streams.iter().map(stream_text);
    let fds = dataflow.fds.iter().map(fd_text);
    let requires = match dataflow.requires {
        Requirement::Deterministic => quote!(::blazes::Requirement::Deterministic),
        Requirement::Convergent => quote!(::blazes::Requirement::Convergent),
    };
    let coordinate = match dataflow.coordinate {
        Permission::None => quote!(::blazes::Permission::None),
        Permission::Seal => quote!(::blazes::Permission::Seal),
        Permission::Auto => quote!(::blazes::Permission::Auto),
    };
    let name = dataflow.name.clone().unwrap_or_default();
    quote! {
        ::blazes::__private::DataflowSpec {
            name: #name,
            components: &[#(#components),*],
            streams: &[#(#streams),*],
            fds: &[#(#fds),*],
            requires: #requires,
            coordinate: #coordinate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    #[test]
    fn writes_paths_and_streams_in_the_format_blazes_decodes() {
        let gated = Annotation::ow(attrs(["word", "batch"]));
        assert_eq!(
            path_text("words", "counts", &gated),
            "words->counts OW batch,word"
        );
        assert_eq!(path_text("a", "b", &Annotation::cr()), "a->b CR");
        assert_eq!(
            path_text("a", "b", &Annotation::or(AttrSet::new())),
            "a->b OR"
        );
        let stream = Stream::between("tweets", "Splitter.tweets")
            .sealed(attrs(["batch"]))
            .independent();
        assert_eq!(
            stream_text(&stream),
            "tweets->Splitter.tweets seal=batch independent"
        );
        let fd = |injective| Fd {
            from: attrs(["a", "b"]),
            to: "c".into(),
            injective,
        };
        assert_eq!(fd_text(&fd(false)), "a,b->c");
        assert_eq!(fd_text(&fd(true)), "a,b<->c");
    }
}
