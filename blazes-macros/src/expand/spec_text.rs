//! Writes a `Dataflow` as the line-based text that
//! `blazes::__private::decode_dataflow` reads back (the format is described
//! there): what a dataflow naming its components by path hands to its
//! `dataflow()`, one string literal instead of typed constants.

use std::fmt::Write;

use blazes_core::{AttrSet, Dataflow, Endpoint, Permission, Requirement};

fn endpoint(out: &mut String, end: &Endpoint) {
    match end {
        Endpoint::External(name) => out.push_str(name),
        Endpoint::Port {
            component,
            interface,
        } => {
            let _ = write!(out, "{component}.{interface}");
        }
    }
}

fn key(out: &mut String, key: Option<&AttrSet>) {
    match key {
        Some(set) => {
            out.push('=');
            out.push_str(&set.iter().cloned().collect::<Vec<_>>().join(","));
        }
        None => out.push('-'),
    }
}

fn words(out: &mut String, set: &AttrSet) {
    for name in set {
        out.push(' ');
        out.push_str(name);
    }
}

/// The text of `dataflow` (its name is passed apart: it may hold spaces).
pub fn dataflow_text(dataflow: &Dataflow) -> String {
    let mut out = String::new();
    out.push(match dataflow.requires {
        Requirement::Deterministic => 'd',
        Requirement::Convergent => 'c',
    });
    out.push(' ');
    out.push(match dataflow.coordinate {
        Permission::None => 'n',
        Permission::Seal => 's',
        Permission::Auto => 'a',
    });
    for component in &dataflow.components {
        let rep = u8::from(component.rep);
        let _ = write!(out, "\nc {} {rep}", component.name);
        for path in &component.paths {
            let annotation = &path.annotation;
            let _ = write!(out, "\np {} {} {}", path.from, path.to, annotation.kind);
            if let Some(gate) = annotation.gates.first() {
                words(&mut out, gate);
            }
        }
    }
    for stream in &dataflow.streams {
        let a = &stream.annotation;
        out.push_str("\ns ");
        endpoint(&mut out, &stream.from);
        out.push(' ');
        endpoint(&mut out, &stream.to);
        out.push(' ');
        match (a.independent, a.rep) {
            (false, false) => out.push('-'),
            (independent, rep) => {
                if independent {
                    out.push('i');
                }
                if rep {
                    out.push('r');
                }
            }
        }
        out.push(' ');
        key(&mut out, a.seal.as_ref());
        out.push(' ');
        key(&mut out, a.seq.as_ref());
    }
    for fd in &dataflow.fds {
        let _ = write!(out, "\nf {} {}", u8::from(fd.injective), fd.to);
        words(&mut out, &fd.from);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::{Annotation, Component, Stream, attrs};

    #[test]
    fn writes_one_line_per_component_path_stream_and_fd() {
        let dataflow = Dataflow::new()
            .requires(Requirement::Convergent)
            .coordinate(Permission::Auto)
            .component(
                Component::new("Split")
                    .replicated(true)
                    .path("tweets", "words", Annotation::ow(attrs(["word", "batch"])))
                    .path("config", "words", Annotation::cr()),
            )
            .stream(
                Stream::between("tweets", "Split.tweets")
                    .sealed(attrs(["batch"]))
                    .independent(),
            )
            .stream(Stream::between("Split.words", "out").sequenced(attrs(["b", "a"])))
            .fd(attrs(["a", "b"]), "c");
        assert_eq!(
            dataflow_text(&dataflow),
            "c a\n\
             c Split 1\n\
             p tweets words OW batch word\n\
             p config words CR\n\
             s tweets Split.tweets i =batch -\n\
             s Split.words out - - =a,b\n\
             f 1 c a b"
        );
    }
}
