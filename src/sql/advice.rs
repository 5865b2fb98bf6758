//! A violation told in the SQL's own terms (issue 12: the violation says
//! "order-sensitive because of `HAVING COUNT(*) < 100` at line 7" and the fix
//! names the seal to add on the source table). It reads the analysis's
//! causes (spec §5) and the locations the white box recorded.

use std::fmt::Write;

use blazes_core::label::attrs_to_string;
use std::collections::BTreeSet;

use blazes_core::{Analysis, Dataflow, Endpoint, Fix, Origin};

use crate::locations::Locations;

/// For each violation: the SQL clauses where its anomaly starts, and the
/// `blazes.seal` options that would fix it. Empty when the analysis is ok.
pub fn advice(analysis: &Analysis, dataflow: &Dataflow, locations: &Locations) -> String {
    let mut out = String::new();
    let mut fixes: Vec<String> = Vec::new();
    for violation in &analysis.violations {
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "in the SQL, sink `{}` is {} because:",
            violation.sink, violation.label
        );
        for cause in analysis.causes(violation) {
            for origin in &cause.origins {
                let Origin::Path {
                    component, from, ..
                } = origin;
                if let Some(at) = locations.path(origin) {
                    let note = at.note.as_deref().unwrap_or("");
                    let _ = writeln!(
                        out,
                        "  {}:{}:{}: view `{component}` reading `{from}` is {note}",
                        locations.file(),
                        at.line,
                        at.column
                    );
                }
            }
            for fix in &cause.fixes {
                if let Fix::Seal { streams, gate } = fix {
                    for stream in streams {
                        let line = seal_fix(stream, gate, dataflow, locations);
                        if !fixes.contains(&line) {
                            let _ = writeln!(out, "  fix: {line}");
                            fixes.push(line);
                        }
                    }
                }
            }
        }
    }
    out
}

/// The option to add for sealing `stream` on a key compatible with `gate`.
fn seal_fix(
    stream: &str,
    gate: &blazes_core::AttrSet,
    dataflow: &Dataflow,
    locations: &Locations,
) -> String {
    let found = dataflow
        .streams
        .iter()
        .find(|s| s.name() == stream || matches!(&s.from, Endpoint::External(n) if n == stream));
    match found.map(|s| (&s.from, s.name())) {
        Some((Endpoint::External(table), name)) => {
            let line = locations
                .stream(&name)
                .map(|at| format!(" (line {})", at.line))
                .unwrap_or_default();
            format!(
                "add 'blazes.seal' = '<columns>' to the WITH (...) of CREATE TABLE {table}{line}, on columns of {table} in the gate {} (or that an identity maps into it)",
                attrs_to_string(gate)
            )
        }
        // The analysis proposes a stream out of a view only where no seal
        // upstream of the view can reach the gate (the view's query is
        // order-sensitive, or lies on a cycle): sealing its tables does
        // not help, and SQL has no way to make a view punctuate.
        Some((Endpoint::Port { component, .. }, _)) => {
            let order_sensitive = dataflow.find_component(component).and_then(|c| {
                c.paths
                    .iter()
                    .find(|p| p.annotation.kind.is_order_sensitive())
                    .map(|p| p.annotation.to_string())
            });
            let why = match order_sensitive {
                Some(annotation) => format!(
                    "view `{component}` is order-sensitive ({annotation}): it consumes the \
                     seals of what it reads, and SQL cannot declare that a view punctuates its \
                     output"
                ),
                None => format!(
                    "the stream comes from view `{component}`, and SQL cannot declare that a \
                     view punctuates its output"
                ),
            };
            format!(
                "{why}, so no 'blazes.seal' on a table reaches the gate {}: use the other fixes \
                 (ordering or a static order, set in the grey-box file that `blazes check --emit \
                 yaml` prints)",
                attrs_to_string(gate)
            )
        }
        None => format!(
            "seal `{stream}` on a key compatible with {}",
            attrs_to_string(gate)
        ),
    }
}

/// For `--explain NODE`: the SQL clause behind each path of the views that
/// `node` (an output `view.view`, a sink or a stream `from->to`) depends on,
/// upstream first. Empty when `node` names nothing of the dataflow.
pub fn explain(node: &str, dataflow: &Dataflow, locations: &Locations) -> String {
    let start: Option<&str> = match node.split_once("->") {
        Some((from, _)) => from.split_once('.').map(|(c, _)| c),
        None => match node.split_once('.') {
            Some((component, _)) => Some(component),
            None => dataflow
                .streams
                .iter()
                .find_map(|s| match (&s.from, &s.to) {
                    (Endpoint::Port { component, .. }, Endpoint::External(sink))
                        if sink == node =>
                    {
                        Some(component.as_str())
                    }
                    _ => None,
                }),
        },
    };
    let Some(start) = start else {
        return String::new();
    };
    // The views `start` reads, transitively.
    let mut order: Vec<&str> = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut stack = vec![start];
    while let Some(view) = stack.pop() {
        if !seen.insert(view) {
            continue;
        }
        order.push(view);
        for s in &dataflow.streams {
            if let (
                Endpoint::Port {
                    component: from, ..
                },
                Endpoint::Port { component: to, .. },
            ) = (&s.from, &s.to)
                && to == view
            {
                stack.push(from.as_str());
            }
        }
    }
    let mut out = String::new();
    for view in order.iter().rev() {
        let Some(component) = dataflow.find_component(view) else {
            continue;
        };
        for path in &component.paths {
            let origin = Origin::Path {
                component: component.name.clone(),
                from: path.from.clone(),
                to: path.to.clone(),
            };
            if let Some(at) = locations.path(&origin) {
                let _ = writeln!(
                    out,
                    "{}:{}:{}: view `{}` reading `{}` is {}",
                    locations.file(),
                    at.line,
                    at.column,
                    component.name,
                    path.from,
                    at.note.as_deref().unwrap_or("")
                );
            }
        }
    }
    out
}
