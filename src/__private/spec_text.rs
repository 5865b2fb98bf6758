//! The dataflow of a `#[blazes::dataflow]` module that names its components
//! by path, as one line-based text that the generated `dataflow()` decodes:
//! one string literal in place of thousands of tokens of typed constants,
//! which every `cargo check` of the user's crate would otherwise parse,
//! lower and hash. `blazes-macros` writes it (`expand/spec_text.rs`) from
//! the same model it checked. Names are Rust identifiers, so a space
//! separates the words of a line:
//!
//! ```text
//! <requires: d|c> <coordinate: n|s|a>
//! c <component> <rep: 0|1>
//! p <from> <to> <CR|CW|OR|OW> [gate field ..]        (a path of the component above)
//! s <from> <to> <flags: -|i|r|ir> <seal> <seq>       (Comp.iface or external name;
//!                                                     key: `-` none, `=a,b` the fields)
//! f <injective: 0|1> <to> [from field ..]
//! ```

use blazes_core::{
    Annotation, AttrSet, Component, Dataflow, Fd, PathKind, Permission, Requirement, Stream,
};

/// The dataflow `text` describes, named `name`.
///
/// # Panics
/// When `text` is not what `blazes-macros` writes: generated code only, so a
/// panic here is a bug in blazes, not in the user's code.
pub fn decode_dataflow(name: &str, text: &str) -> Dataflow {
    match decode(name, text) {
        Ok(dataflow) => dataflow,
        Err(line) => panic!(
            "blazes: the dataflow text generated for `{name}` is malformed at `{line}` \
             (a bug in blazes-macros)"
        ),
    }
}

/// The dataflow, or the line that is not understood.
fn decode(name: &str, text: &str) -> Result<Dataflow, String> {
    let mut lines = text.lines();
    let head = lines.next().unwrap_or_default();
    let (requires, coordinate) = match head.split_once(' ') {
        Some(("d", c)) => (Requirement::Deterministic, c),
        Some(("c", c)) => (Requirement::Convergent, c),
        _ => return Err(head.to_string()),
    };
    let coordinate = match coordinate {
        "n" => Permission::None,
        "s" => Permission::Seal,
        "a" => Permission::Auto,
        _ => return Err(head.to_string()),
    };
    let mut dataflow = Dataflow::new().requires(requires).coordinate(coordinate);
    dataflow.name = Some(name.to_string());
    let mut component: Option<Component> = None;
    for line in lines {
        let words: Vec<&str> = line.split(' ').collect();
        let bad = || line.to_string();
        match words.as_slice() {
            ["c", name, rep] => {
                dataflow.components.extend(component.take());
                component = Some(Component::new(*name).replicated(*rep == "1"));
            }
            ["p", from, to, kind, gate @ ..] => {
                let kind = path_kind(kind).ok_or_else(bad)?;
                let annotation = Annotation::new(kind, attrs(gate.iter().copied()));
                let current = component.take().ok_or_else(bad)?;
                component = Some(current.path(from, to, annotation));
            }
            ["s", from, to, flags, seal, seq] => {
                dataflow.components.extend(component.take());
                let mut stream = Stream::between(from, to);
                if let Some(key) = key(seal).ok_or_else(bad)? {
                    stream = stream.sealed(key);
                }
                if let Some(key) = key(seq).ok_or_else(bad)? {
                    stream = stream.sequenced(key);
                }
                if flags.contains('i') {
                    stream = stream.independent();
                }
                if flags.contains('r') {
                    stream = stream.replicated();
                }
                dataflow.streams.push(stream);
            }
            ["f", injective, to, from @ ..] => {
                dataflow.components.extend(component.take());
                dataflow.fds.push(Fd {
                    from: attrs(from.iter().copied()),
                    to: (*to).to_string(),
                    injective: *injective == "1",
                });
            }
            _ => return Err(bad()),
        }
    }
    dataflow.components.extend(component);
    Ok(dataflow)
}

fn path_kind(word: &str) -> Option<PathKind> {
    Some(match word {
        "CR" => PathKind::CR,
        "CW" => PathKind::CW,
        "OR" => PathKind::OR,
        "OW" => PathKind::OW,
        _ => return None,
    })
}

/// `-`: no key (`Some(None)`); `=a,b`: the key's fields; anything else is
/// malformed (`None`).
fn key(word: &str) -> Option<Option<AttrSet>> {
    if word == "-" {
        return Some(None);
    }
    let fields = word.strip_prefix('=')?;
    Some(Some(attrs(fields.split(',').filter(|f| !f.is_empty()))))
}

fn attrs<'a>(names: impl Iterator<Item = &'a str>) -> AttrSet {
    names.map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    #[test]
    fn decodes_components_paths_streams_and_fds() {
        let text = "c a\n\
                    c Split 1\n\
                    p tweets words OW batch word\n\
                    p config words CW\n\
                    c Count 0\n\
                    p words counts CR\n\
                    s tweets Split.tweets i =batch -\n\
                    s Split.words Count.words r - =word\n\
                    s Count.counts out - =a,b =\n\
                    f 1 c a b";
        let dataflow = decode_dataflow("flow", text);
        let expected = Dataflow::new()
            .requires(Requirement::Convergent)
            .coordinate(Permission::Auto)
            .component(
                Component::new("Split")
                    .replicated(true)
                    .path("tweets", "words", Annotation::ow(attrs(["batch", "word"])))
                    .path(
                        "config",
                        "words",
                        Annotation::new(PathKind::CW, AttrSet::new()),
                    ),
            )
            .component(Component::new("Count").path(
                "words",
                "counts",
                Annotation::new(PathKind::CR, AttrSet::new()),
            ))
            .stream(
                Stream::between("tweets", "Split.tweets")
                    .sealed(attrs(["batch"]))
                    .independent(),
            )
            .stream(
                Stream::between("Split.words", "Count.words")
                    .sequenced(attrs(["word"]))
                    .replicated(),
            )
            .stream(
                Stream::between("Count.counts", "out")
                    .sealed(attrs(["a", "b"]))
                    .sequenced(AttrSet::new()),
            )
            .fd(attrs(["a", "b"]), "c");
        assert_eq!(
            dataflow,
            Dataflow {
                name: Some("flow".into()),
                ..expected
            }
        );
    }

    #[test]
    fn a_line_it_does_not_know_is_an_error_naming_it() {
        for (text, line) in [
            ("x s", "x s"),
            ("d s\np a b CR", "p a b CR"),
            ("d s\nc A 0\np a b XX", "p a b XX"),
            ("d s\ns a b - batch -", "s a b - batch -"),
            ("d s\nq", "q"),
        ] {
            assert_eq!(decode("f", text), Err(line.to_string()), "{text}");
        }
    }
}
