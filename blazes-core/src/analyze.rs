//! The analysis entry point: two passes (spec §4, and §5 with ordering
//! repairs), then labels, the coordination plan and the violations.

use std::collections::BTreeMap;
use std::sync::Arc;

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::causes::violations;
use crate::engine::{Context, Pass};
use crate::label::Label;
use crate::model::{Component, Dataflow, Permission};
use crate::plan::plan;
use crate::portgraph::{Edge, Port};
use crate::result::Analysis;
use crate::trace::Trace;
use crate::validate::{ValidationError, resolve_valid};

/// Analyses a dataflow: labels every stream, chooses coordination, and checks
/// the requirement under the permission. Fails only on structural errors.
pub fn analyze(dataflow: &Dataflow) -> Result<Analysis, Vec<ValidationError>> {
    let resolved = resolve_valid(dataflow)?;
    let mut ctx = Context::new(dataflow, &resolved);
    drop(resolved);
    let base = ctx.pass(false);
    let planned = ctx.pass(true);

    let mut sources: BTreeMap<String, Label> = BTreeMap::new();
    let mut stream_labels: Vec<(usize, NodeIndex, NodeIndex, crate::rules::Lab)> = ctx
        .graph
        .graph
        .edge_references()
        .filter_map(|e| match *e.weight() {
            Edge::Stream(s) => Some((
                s,
                e.source(),
                e.target(),
                ctx.stream_state(s, e.source(), e.target(), &base.states)
                    .label,
            )),
            Edge::Path(..) | Edge::State(..) => None,
        })
        .collect();

    let components = dataflow.components.iter().map(|c| c.name.clone()).collect();
    let trace = Trace::new(
        ctx.into_parts(),
        components,
        base,
        planned,
        dataflow.coordinate == Permission::Auto,
        dataflow.requires,
    );
    // The nodes sorted by name once: each map below is then built from
    // (nearly) sorted entries, in linear time.
    let by_name = nodes_by_name(&trace, &dataflow.components);
    let mut rank = vec![0u32; by_name.len()];
    for (i, &(_, n)) in by_name.iter().enumerate() {
        rank[n.index()] = i as u32;
    }
    // Streams by the names of their ends: nearly the order of their
    // `from->to` names, which the map then sorts cheaply.
    stream_labels.sort_unstable_by_key(|&(_, from, to, _)| (rank[from.index()], rank[to.index()]));
    let mut stream_entries = Vec::with_capacity(stream_labels.len());
    for (s, producer, _, lab) in stream_labels {
        let label = trace.label(lab);
        if let Port::Source = trace.graph.graph[producer] {
            let entry = sources
                .entry(trace.name(producer).to_string())
                .or_insert_with(|| label.clone());
            if entry.severity() < label.severity() {
                *entry = label.clone();
            }
        }
        stream_entries.push((dataflow.streams[s].name(), label));
    }
    // Stream names are unique (validation refuses a repeated stream).
    let streams: BTreeMap<String, Label> = stream_entries.into_iter().collect();
    let labels = |pass: &Pass, keep: fn(Port) -> bool| -> BTreeMap<String, Label> {
        let g = &trace.graph.graph;
        by_name
            .iter()
            .filter(|&&(_, n)| keep(g[n]))
            .map(|&(name, n)| (name.to_string(), trace.label(pass.states[n.index()].label)))
            .collect()
    };
    let sink_feeds = trace
        .graph
        .graph
        .node_indices()
        .filter(|&n| matches!(trace.graph.graph[n], Port::Sink))
        .map(|n| (trace.name(n).to_string(), trace.producers(n)))
        .collect();
    Ok(Analysis {
        name: dataflow.name.clone(),
        requires: dataflow.requires,
        coordinate: dataflow.coordinate,
        outputs: labels(&trace.base, |p| matches!(p, Port::Out(_))),
        inputs: labels(&trace.base, |p| matches!(p, Port::In(_))),
        sinks: labels(&trace.base, |p| matches!(p, Port::Sink)),
        sources,
        streams,
        coordination: plan(&trace, dataflow.coordinate),
        residual_outputs: labels(trace.residual(), |p| matches!(p, Port::Out(_))),
        residual: labels(trace.residual(), |p| matches!(p, Port::Sink)),
        violations: violations(&trace),
        sink_feeds,
        trace: Arc::new(trace),
    })
}

/// Every node with its name, sorted by name. Port names are `Comp.iface`
/// and component names have no dot, so sorting the components by name with
/// a dot appended, then each component's few ports, sorts the ports: far
/// fewer string comparisons than sorting every port of a large dataflow.
/// Sources and sinks follow, sorted among themselves.
fn nodes_by_name<'t>(trace: &'t Trace, components: &[Component]) -> Vec<(&'t str, NodeIndex)> {
    let g = &trace.graph;
    let mut order: Vec<usize> = (0..components.len()).collect();
    order.sort_unstable_by(|&a, &b| dotted(&components[a].name).cmp(dotted(&components[b].name)));
    let mut sorted = Vec::with_capacity(g.graph.node_count());
    for c in order {
        let start = sorted.len();
        sorted.extend(g.ports_of(c).map(|n| (trace.name(n), n)));
        sorted[start..].sort_unstable();
    }
    let start = sorted.len();
    sorted.extend(
        g.graph
            .node_indices()
            .filter(|&n| matches!(g.graph[n], Port::Source | Port::Sink))
            .map(|n| (trace.name(n), n)),
    );
    sorted[start..].sort_unstable();
    sorted
}

/// A component name's bytes followed by the dot that starts its ports'
/// names.
fn dotted(name: &str) -> impl Iterator<Item = u8> + '_ {
    name.bytes().chain(std::iter::once(b'.'))
}
