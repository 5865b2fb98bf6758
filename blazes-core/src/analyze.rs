//! The analysis entry point: two passes (spec §4, and §5 with ordering
//! repairs), then labels, the coordination plan and the violations.

use std::collections::BTreeMap;
use std::sync::Arc;

use petgraph::visit::EdgeRef;

use crate::causes::violations;
use crate::engine::{Context, Pass};
use crate::label::Label;
use crate::model::{Dataflow, Permission};
use crate::plan::plan;
use crate::portgraph::{Edge, Port};
use crate::result::Analysis;
use crate::trace::Trace;
use crate::validate::{ValidationError, validate};

/// Analyses a dataflow: labels every stream, chooses coordination, and checks
/// the requirement under the permission. Fails only on structural errors.
pub fn analyze(dataflow: &Dataflow) -> Result<Analysis, Vec<ValidationError>> {
    validate(dataflow)?;
    let mut ctx = Context::new(dataflow);
    let base = ctx.pass(false);
    let planned = ctx.pass(true);

    let mut streams = BTreeMap::new();
    let mut sources: BTreeMap<String, Label> = BTreeMap::new();
    let stream_labels: Vec<(usize, petgraph::graph::NodeIndex, crate::rules::Lab)> = ctx
        .graph
        .graph
        .edge_references()
        .filter_map(|e| match *e.weight() {
            Edge::Stream(s) => Some((
                s,
                e.source(),
                ctx.stream_state(s, e.source(), e.target(), &base.states)
                    .label,
            )),
            Edge::Path(..) | Edge::State(..) => None,
        })
        .collect();

    let components = dataflow.components.iter().map(|c| c.name.clone()).collect();
    let (graph, attrs) = ctx.into_parts();
    let trace = Trace::new(
        graph,
        attrs,
        components,
        base,
        planned,
        dataflow.coordinate == Permission::Auto,
        dataflow.requires,
    );
    for (s, producer, lab) in stream_labels {
        let label = trace.label(lab);
        if let Port::Source = trace.graph.graph[producer] {
            let entry = sources
                .entry(trace.name(producer).to_string())
                .or_insert_with(|| label.clone());
            if entry.severity() < label.severity() {
                *entry = label.clone();
            }
        }
        streams.insert(dataflow.streams[s].name(), label);
    }
    let labels = |pass: &Pass, keep: fn(Port) -> bool| -> BTreeMap<String, Label> {
        let g = &trace.graph.graph;
        g.node_indices()
            .filter(|&n| keep(g[n]))
            .map(|n| {
                (
                    trace.name(n).to_string(),
                    trace.label(pass.states[n.index()].label),
                )
            })
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
