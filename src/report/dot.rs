//! A Graphviz picture of the dataflow: components, sources and sinks as
//! nodes, streams as edges coloured by label, coordination points marked.

use std::fmt::Write as _;

use blazes_core::{Analysis, Dataflow, Endpoint, Label, Strategy};

/// The colour of a label: green (sealed) to dark red (divergent).
pub fn color(label: &Label) -> &'static str {
    match label {
        Label::Seal(_) => "forestgreen",
        Label::Async => "steelblue",
        Label::Run => "darkorange",
        Label::Inst => "red",
        Label::Diverge => "darkred",
    }
}

/// Quotes a string for DOT.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

fn node_id(endpoint: &Endpoint, as_sink: bool) -> String {
    match endpoint {
        Endpoint::Port { component, .. } => quote(&format!("c:{component}")),
        Endpoint::External(name) if as_sink => quote(&format!("sink:{name}")),
        Endpoint::External(name) => quote(&format!("source:{name}")),
    }
}

/// Renders the dataflow with the analysis' residual labels.
pub fn render(dataflow: &Dataflow, analysis: &Analysis) -> String {
    let mut out = String::new();
    let title = analysis.name.as_deref().unwrap_or("dataflow");
    let _ = writeln!(out, "digraph {} {{", quote(title));
    let _ = writeln!(out, "  rankdir=LR;");
    let _ = writeln!(
        out,
        "  node [fontname=\"Helvetica\"]; edge [fontname=\"Helvetica\"];"
    );
    for c in &dataflow.components {
        let marks: Vec<String> = analysis
            .coordination
            .iter()
            .filter(|k| k.component == c.name)
            .map(|k| {
                let what = match &k.strategy {
                    Strategy::Seal { key, vote } => {
                        format!(
                            "seal buffer {} ({vote})",
                            blazes_core::label::attrs_to_string(key)
                        )
                    }
                    Strategy::Order { kind } => format!("order: {kind}"),
                };
                if k.applied {
                    what
                } else {
                    format!("{what}, not permitted")
                }
            })
            .collect();
        let mut label = c.name.clone();
        if c.rep {
            label.push_str(" (rep)");
        }
        for p in &c.paths {
            let _ = write!(label, "\n{} -> {}: {}", p.from, p.to, p.annotation);
        }
        for m in &marks {
            let _ = write!(label, "\n[{m}]");
        }
        let style = if marks.is_empty() {
            "shape=box".to_string()
        } else {
            "shape=box, peripheries=2, penwidth=2, color=purple".to_string()
        };
        let _ = writeln!(
            out,
            "  {} [{style}, label={}];",
            quote(&format!("c:{}", c.name)),
            quote(&label)
        );
    }
    for s in &dataflow.streams {
        for (endpoint, sink) in [(&s.from, false), (&s.to, true)] {
            if let Endpoint::External(name) = endpoint {
                let shape = if sink { "doublecircle" } else { "ellipse" };
                let _ = writeln!(
                    out,
                    "  {} [shape={shape}, label={}];",
                    node_id(endpoint, sink),
                    quote(name)
                );
            }
        }
    }
    for s in &dataflow.streams {
        let label = analysis
            .streams
            .get(&s.name())
            .cloned()
            .unwrap_or(Label::Async);
        let iface = match (&s.from, &s.to) {
            (Endpoint::Port { interface, .. }, _) | (_, Endpoint::Port { interface, .. }) => {
                interface.clone()
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {} -> {} [color={c}, fontcolor={c}, penwidth=2, label={}];",
            node_id(&s.from, false),
            node_id(&s.to, true),
            quote(&format!("{iface}\n{label}")),
            c = color(&label)
        );
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::{Annotation, Component, Stream, analyze, attrs};

    #[test]
    fn streams_are_coloured_and_coordination_marked() {
        let d = Dataflow::new()
            .component(Component::new("Count").path(
                "words",
                "counts",
                Annotation::ow(attrs(["word", "batch"])),
            ))
            .stream(Stream::between("words", "Count.words").sealed(attrs(["batch"])))
            .stream(Stream::between("Count.counts", "db"));
        let a = analyze(&d).unwrap();
        let text = render(&d, &a);
        assert!(text.starts_with("digraph"));
        assert!(text.contains("color=forestgreen"), "{text}");
        assert!(text.contains("[seal buffer [batch] (unanimous)]"), "{text}");
        assert!(text.contains("\"sink:db\" [shape=doublecircle"), "{text}");
    }

    #[test]
    fn quotes_are_escaped() {
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
