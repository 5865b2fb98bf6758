//! The dataflow of a SQL file (issue 12, spec §1): each view a component with
//! one input per relation it reads (named after the relation; a self-join
//! reads it through one input) and one output named after the view; each
//! table a source; streams from a table or view to every view that reads
//! it; a view nothing reads feeds a sink named after it. Every path and
//! every annotated source is located in the SQL, with a note saying why.

use std::collections::HashMap;

use blazes_core::label::attrs_to_string;
use blazes_core::{Component, Dataflow, Endpoint, Fd, Origin, Path, Stream, StreamAnnotation};

use super::facts::{Reason, ViewFacts};
use super::statements::{Table, View};
use super::text::SqlText;
use crate::locations::{Located, Locations};

/// A view with its derivation.
pub(crate) struct ViewPart<'v> {
    /// The statement.
    pub view: &'v View,
    /// The facts of its inputs.
    pub facts: ViewFacts,
}

/// Builds the dataflow and its locations.
pub(crate) fn build(
    tables: &[&Table],
    mut views: Vec<ViewPart>,
    fds: Vec<Fd>,
    file_name: &str,
    text: &SqlText,
) -> (Dataflow, Locations) {
    let tables: HashMap<&str, &Table> = tables.iter().map(|t| (t.name.as_str(), *t)).collect();
    mark_read_views(&mut views);
    let mut dataflow = Dataflow::new();
    let mut locations = Locations::new(file_name, text.text());
    for table in tables.values() {
        locations.insert_source_attributes(
            table.name.clone(),
            table.columns.iter().map(|c| c.name.clone()).collect(),
        );
    }
    let read: Vec<String> = views
        .iter()
        .flat_map(|v| v.facts.inputs().iter().map(|(i, _)| i.clone()))
        .collect();
    for part in &views {
        let name = &part.view.name;
        let mut component = Component::new(name.as_str()).replicated(part.view.rep);
        for (input, facts) in part.facts.inputs() {
            component.paths.push(Path {
                from: input.clone(),
                to: name.clone(),
                annotation: facts.annotation(),
            });
            locations.insert_path(
                Origin::Path {
                    component: name.clone(),
                    from: input.clone(),
                    to: name.clone(),
                },
                Located::in_text(text.text(), facts.deciding()).with_note(facts.note(text.text())),
            );
            let to = Endpoint::port(name, input);
            let stream = match tables.get(input.as_str()) {
                Some(table) => {
                    let stream = Stream {
                        from: Endpoint::External(input.clone()),
                        to,
                        annotation: table.annotation.clone(),
                    };
                    // Located at its `blazes.*` options, or at its name.
                    let at = table.annotated_at.as_ref().unwrap_or(&table.at);
                    locations.insert_stream(
                        stream.name(),
                        Located::in_text(text.text(), at.clone())
                            .with_note(describe(&table.name, &table.annotation)),
                    );
                    stream
                }
                None => Stream::new(Endpoint::port(input, input), to),
            };
            dataflow.streams.push(stream);
        }
        if !read.contains(name) {
            dataflow.streams.push(Stream::new(
                Endpoint::port(name, name),
                Endpoint::External(name.clone()),
            ));
        }
        dataflow.components.push(component);
    }
    let mut unique: Vec<Fd> = Vec::new();
    for fd in fds {
        if !unique.contains(&fd) {
            unique.push(fd);
        }
    }
    dataflow.fds = unique;
    (dataflow, locations)
}

/// A view read by later views keeps its result for them: each of its paths
/// writes state (issue 12: "views read by other views" accumulate).
fn mark_read_views(views: &mut [ViewPart]) {
    let mut readers: HashMap<String, Vec<Reason>> = HashMap::new();
    for part in views.iter() {
        for (input, facts) in part.facts.inputs() {
            readers.entry(input.clone()).or_default().push(Reason {
                at: facts.read_at.clone(),
                clause: format!("{} reads {input}", part.view.name),
                why: "a view read by other views keeps its result for them".into(),
            });
        }
    }
    for part in views.iter_mut() {
        if let Some(reasons) = readers.get(&part.view.name) {
            let inputs = part.facts.inputs().iter().map(|(i, _)| i.clone()).collect();
            for reason in reasons {
                part.facts.writes(&inputs, reason);
            }
        }
    }
}

/// "`clicks` is sealed on [campaign] (independent)".
fn describe(table: &str, a: &StreamAnnotation) -> String {
    let mut parts = Vec::new();
    if let Some(seal) = &a.seal {
        parts.push(format!(
            "sealed on {}{}",
            attrs_to_string(seal),
            if a.independent { " (independent)" } else { "" }
        ));
    }
    if let Some(seq) = &a.seq {
        parts.push(format!("sequenced on {}", attrs_to_string(seq)));
    }
    if a.rep {
        parts.push("delivered to every replica".to_string());
    }
    if parts.is_empty() {
        return format!("`{table}` declares no stream annotation");
    }
    format!("`{table}` is {}", parts.join(", "))
}
