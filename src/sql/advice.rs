//! A violation told in the SQL's own terms (issue 12: the violation says
//! "order-sensitive because of `HAVING COUNT(*) < 100` at line 7" and the fix
//! names the seal to add on the source table). It reads the analysis's
//! causes (spec §5) and the locations the white box recorded.

use std::fmt::Write;

use blazes_core::label::attrs_to_string;
use std::collections::BTreeSet;

use blazes_core::{
    Analysis, AttrSet, Dataflow, Endpoint, Fd, Fix, Origin, Stream, attrs, compatible,
    dependencies_for, explain, result::Cause,
};

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
                    for line in seal_fixes(streams, gate, dataflow, locations) {
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

/// One fix of `cause` as a `.sql` file writes it: the `blazes.seal` or
/// `blazes.seq` option to put on a table, or, for what SQL has no option
/// for (ordering, a seal on a view's output), the analysis's own words and
/// where to write them (the grey-box file `blazes check --emit yaml`
/// prints). An alternative to the cause's first fix begins with "or", as
/// the analysis words it.
pub(crate) fn fix_in_sql(
    fix: &Fix,
    analysis: &Analysis,
    cause: &Cause,
    dataflow: &Dataflow,
    locations: &Locations,
) -> Vec<String> {
    let words = explain::instruction_of(fix, analysis, cause);
    let or = if explain::is_alternative(fix, cause) {
        "or "
    } else {
        ""
    };
    let mut lines = match fix {
        Fix::Seal { streams, gate } => seal_fixes(streams, gate, dataflow, locations),
        Fix::Sequence { streams } => {
            let examples = explain::sequence_examples(analysis, cause);
            match shared_seq_fix(streams, &examples, dataflow, locations) {
                Some(line) => vec![line],
                None => streams
                    .iter()
                    .map(|stream| seq_fix(stream, &examples, &words, dataflow, locations))
                    .collect(),
            }
        }
        Fix::Order { .. } => vec![format!(
            "{words}; SQL has no option for it: set it in the grey-box file that `blazes check \
             --emit yaml` prints"
        )],
        Fix::Upstream { .. } => vec![words],
    };
    if let Some(first) = lines.first_mut() {
        first.insert_str(0, or);
    }
    lines
}

/// The `blazes.seq` option that stamps a table's stream (`examples` are the
/// gate attributes the analysis offers as candidates); the analysis's own
/// `words` where the stream is not a table's.
fn seq_fix(
    stream: &str,
    examples: &[String],
    words: &str,
    dataflow: &Dataflow,
    locations: &Locations,
) -> String {
    let Some(found) = find_stream(dataflow, stream) else {
        return words.to_string();
    };
    let Endpoint::External(table) = &found.from else {
        return format!(
            "{words}; a view's output cannot take 'blazes.seq': set it in the grey-box file that \
             `blazes check --emit yaml` prints"
        );
    };
    let columns = locations.source_attributes(table).unwrap_or_default();
    let candidate = examples.iter().find(|e| columns.contains(e));
    let column = candidate.map_or("<column>", String::as_str);
    format!(
        "add 'blazes.seq' = '{column}' to the WITH (...) of CREATE TABLE {table}{}, if `{column}` \
         is an epoch or transaction number that each producer sends in non-decreasing order \
         (not a key): the order is then static and deterministic",
        at_line(locations, found)
    )
}

/// [`seq_fix`] for several streams, all from tables: one line, since a
/// static order needs every input it orders stamped (one table alone does
/// not make the order static). `None` when a stream is not a table's.
fn shared_seq_fix(
    streams: &[String],
    examples: &[String],
    dataflow: &Dataflow,
    locations: &Locations,
) -> Option<String> {
    if streams.len() < 2 {
        return None;
    }
    let mut tables: Vec<(&str, &Stream)> = Vec::new();
    for name in streams {
        let stream = find_stream(dataflow, name)?;
        let Endpoint::External(table) = &stream.from else {
            return None;
        };
        tables.push((table, stream));
    }
    let shared = examples.iter().find(|e| {
        tables.iter().all(|(table, _)| {
            locations
                .source_attributes(table)
                .is_some_and(|columns| columns.contains(e))
        })
    });
    let column = shared.map_or("<column>", String::as_str);
    let places: Vec<String> = tables
        .iter()
        .map(|(table, stream)| format!("CREATE TABLE {table}{}", at_line(locations, stream)))
        .collect();
    Some(format!(
        "add 'blazes.seq' = '{column}' to the WITH (...) of each of {}, if `{column}` is an \
         epoch or transaction number that each producer sends in non-decreasing order (not a \
         key): the order is then static and deterministic (it needs every one of them stamped)",
        places.join(" and ")
    ))
}

/// The columns of `table` a seal on which alone is compatible with `gate`
/// (spec §3, the analysis's own predicate), in declaration order; `None`
/// when the file does not declare its columns.
fn candidate_columns(
    table: &str,
    gate: &AttrSet,
    dataflow: &Dataflow,
    locations: &Locations,
) -> Option<Vec<String>> {
    let columns = locations.source_attributes(table)?;
    Some(
        columns
            .iter()
            .filter(|c| compatible(&dataflow.fds, gate, &attrs([c.as_str()])))
            .cloned()
            .collect(),
    )
}

/// Where `stream`'s table is sealed on a key not compatible with `gate`:
/// the dependencies among the table's columns that would make it compatible
/// (spec §3, [`dependencies_for`]), as `blazes.fds` writes them, each with
/// what it claims: `'merchant -> region' (each merchant has one region)`.
/// `None` where there is no seal, or no such dependency among its columns.
fn fds_making_the_seal_do(
    stream: &Stream,
    gate: &AttrSet,
    dataflow: &Dataflow,
    locations: &Locations,
) -> Option<String> {
    let key = stream.annotation.seal.as_ref()?;
    let Endpoint::External(table) = &stream.from else {
        return None;
    };
    let columns = locations.source_attributes(table)?;
    let written: Vec<String> = dependencies_for(&dataflow.fds, gate, key)
        .iter()
        .filter(|fds| {
            fds.iter()
                .all(|fd| fd.from.iter().chain([&fd.to]).all(|a| columns.contains(a)))
        })
        .map(|fds| {
            let option: Vec<String> = fds.iter().map(fd_text).collect();
            let claim: Vec<String> = fds
                .iter()
                .map(|fd| format!("each {} has one {}", joined(&fd.from), fd.to))
                .collect();
            format!("'{}' ({})", option.join("; "), claim.join(", "))
        })
        .collect();
    (!written.is_empty()).then(|| written.join(" or "))
}

/// `a, b -> c` as `blazes.fds` writes a plain dependency.
fn fd_text(fd: &Fd) -> String {
    format!("{} -> {}", joined(&fd.from), fd.to)
}

/// `a, b`.
fn joined(set: &AttrSet) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// `'a'` or `'a' or 'b'`: seal keys as the `WITH` option writes them.
fn quoted(columns: &[String]) -> String {
    let each: Vec<String> = columns.iter().map(|c| format!("'{c}'")).collect();
    each.join(" or ")
}

/// The stream a fix names (`from->to`, or a source's name).
fn find_stream<'d>(dataflow: &'d Dataflow, stream: &str) -> Option<&'d Stream> {
    dataflow
        .streams
        .iter()
        .find(|s| s.name() == stream || matches!(&s.from, Endpoint::External(n) if n == stream))
}

/// ` (line N)`: where a table's stream is declared, when known.
fn at_line(locations: &Locations, stream: &Stream) -> String {
    locations
        .stream(&stream.name())
        .map(|at| format!(" (line {})", at.line))
        .unwrap_or_default()
}

/// What to write for a seal fix over `streams`: one line per table stream,
/// each naming the columns that would do (a table already sealed is told to
/// change its seal, not to add one). Streams merged into one input must be
/// sealed on one and the same key (spec §4: seals on different keys merge
/// to `Async`), so with several tables only the columns they share count;
/// where no column does, the line says so instead of proposing a seal.
fn seal_fixes(
    streams: &[String],
    gate: &AttrSet,
    dataflow: &Dataflow,
    locations: &Locations,
) -> Vec<String> {
    if streams.len() > 1
        && let Some(lines) = shared_seal(streams, gate, dataflow, locations)
    {
        return lines;
    }
    streams
        .iter()
        .map(|stream| seal_fix(stream, gate, dataflow, locations))
        .collect()
}

/// [`seal_fixes`] for several streams, all from tables whose columns are
/// known: the lines sealing each on a column they share, or the one line
/// saying that none does. `None` otherwise.
fn shared_seal(
    streams: &[String],
    gate: &AttrSet,
    dataflow: &Dataflow,
    locations: &Locations,
) -> Option<Vec<String>> {
    let mut tables: Vec<(&str, &Stream)> = Vec::new();
    let mut shared: Option<Vec<String>> = None;
    for name in streams {
        let stream = find_stream(dataflow, name)?;
        let Endpoint::External(table) = &stream.from else {
            return None;
        };
        let columns = candidate_columns(table, gate, dataflow, locations)?;
        shared = Some(match shared {
            None => columns,
            Some(before) => before.into_iter().filter(|c| columns.contains(c)).collect(),
        });
        tables.push((table, stream));
    }
    let shared = shared.unwrap_or_default();
    if shared.is_empty() {
        let names: Vec<&str> = tables.iter().map(|(t, _)| *t).collect();
        return Some(vec![format!(
            "{} all reach the gate {}, and their seals merge only on one and the same key: no \
             column they share is compatible with the gate, so no 'blazes.seal' on the tables \
             reaches it; use the other fixes (ordering or a static order, set in the grey-box \
             file that `blazes check --emit yaml` prints)",
            names.join(" and "),
            attrs_to_string(gate)
        )]);
    }
    Some(
        tables
            .iter()
            .map(|(table, stream)| table_seal(table, stream, &shared, gate, locations))
            .collect(),
    )
}

/// The line that seals `table` (whose stream is `stream`) on one of
/// `columns`, compatible with `gate`.
fn table_seal(
    table: &str,
    stream: &Stream,
    columns: &[String],
    gate: &AttrSet,
    locations: &Locations,
) -> String {
    let line = at_line(locations, stream);
    let gate = attrs_to_string(gate);
    match &stream.annotation.seal {
        Some(key) => format!(
            "change 'blazes.seal' = '{}' in the WITH (...) of CREATE TABLE {table}{line} to \
             {}: a seal compatible with the gate {gate}",
            key.iter().cloned().collect::<Vec<_>>().join(","),
            quoted(columns)
        ),
        None => format!(
            "add 'blazes.seal' = {} to the WITH (...) of CREATE TABLE {table}{line}: a seal \
             compatible with the gate {gate}",
            quoted(columns)
        ),
    }
}

/// The option to add for sealing `stream` on a key compatible with `gate`.
fn seal_fix(stream: &str, gate: &AttrSet, dataflow: &Dataflow, locations: &Locations) -> String {
    let Some(found) = find_stream(dataflow, stream) else {
        return format!(
            "seal `{stream}` on a key compatible with {}",
            attrs_to_string(gate)
        );
    };
    match &found.from {
        Endpoint::External(table) => {
            let line = at_line(locations, found);
            match candidate_columns(table, gate, dataflow, locations) {
                Some(columns) if !columns.is_empty() => {
                    let mut line = table_seal(table, found, &columns, gate, locations);
                    if let Some(fds) = fds_making_the_seal_do(found, gate, dataflow, locations) {
                        let _ = write!(
                            line,
                            "; or keep the seal and, if it is true of the data, declare {fds} \
                             in 'blazes.fds' of CREATE TABLE {table}{}",
                            at_line(locations, found)
                        );
                    }
                    line
                }
                Some(_) => format!(
                    "no column of CREATE TABLE {table}{line} ({}) is compatible with the gate \
                     {}: no 'blazes.seal' on it reaches the gate; use the other fixes",
                    locations
                        .source_attributes(table)
                        .unwrap_or_default()
                        .join(", "),
                    attrs_to_string(gate)
                ),
                None => format!(
                    "add 'blazes.seal' = '<columns>' to the WITH (...) of CREATE TABLE \
                     {table}{line}, on columns of {table} in the gate {} (or that an identity \
                     maps into it)",
                    attrs_to_string(gate)
                ),
            }
        }
        // The analysis proposes a stream out of a view only where no seal
        // upstream of the view can reach the gate (the view's query is
        // order-sensitive, or lies on a cycle): sealing its tables does
        // not help, and SQL has no way to make a view punctuate.
        Endpoint::Port { component, .. } => {
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
