//! The analysis entry point: two passes (spec §4, and §5 with ordering
//! repairs), then labels, the coordination plan and the violations.

use std::sync::Arc;

use petgraph::visit::EdgeRef;

use crate::causes::violations;
use crate::engine::Context;
use crate::labels::{Labels, Read};
use crate::model::{Dataflow, Permission};
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

    let stream_labels = ctx
        .graph
        .graph
        .edge_references()
        .filter_map(|e| match *e.weight() {
            Edge::Stream(s) => Some((
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
        stream_labels,
        base,
        planned,
        dataflow.coordinate == Permission::Auto,
        dataflow.requires,
    );
    let sink_feeds = trace
        .graph
        .graph
        .node_indices()
        .filter(|&n| matches!(trace.graph.graph[n], Port::Sink))
        .map(|n| (trace.name(n).to_string(), trace.producers(n)))
        .collect();
    let coordination = plan(&trace, dataflow.coordinate);
    let violations = violations(&trace);
    let trace = Arc::new(trace);
    let labels = |read| Labels::new(&trace, read);
    Ok(Analysis {
        name: dataflow.name.clone(),
        requires: dataflow.requires,
        coordinate: dataflow.coordinate,
        outputs: labels(Read::Outputs { residual: false }),
        inputs: labels(Read::Inputs),
        sinks: labels(Read::Sinks { residual: false }),
        sources: labels(Read::Sources),
        streams: labels(Read::Streams),
        coordination,
        residual_outputs: labels(Read::Outputs { residual: true }),
        residual: labels(Read::Sinks { residual: true }),
        violations,
        sink_feeds,
        trace,
    })
}
