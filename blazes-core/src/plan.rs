//! Coordination selection (spec §5): seal buffers where the deployed labels
//! rely on compatible seals, ordering where reconciliation introduced an
//! anomaly, grouped by component.

use rustc_hash::FxHashMap as HashMap;

use crate::model::Permission;
use crate::result::{Coordination, Strategy, Vote};
use crate::trace::Trace;

/// Seal buffers (from the deployed pass) and ordering (from the planning
/// pass), grouped by component (spec §5).
pub(crate) fn plan(trace: &Trace, permission: Permission) -> Vec<Coordination> {
    let deployed = trace.residual();
    let planned = &trace.planned;
    let mut plan: Vec<Coordination> = Vec::new();
    // Where each (component, strategy, output port) point sits in `plan`.
    let mut points: HashMap<(usize, Strategy, usize), usize> = HashMap::default();
    let mut add = |component: usize,
                   strategy: Strategy,
                   input: &str,
                   (out, output): (usize, &dyn Fn() -> String),
                   applied| {
        match points.get(&(component, strategy.clone(), out)) {
            Some(&at) => {
                let existing = &mut plan[at];
                if !existing.inputs.iter().any(|i| i == input) {
                    existing.inputs.push(input.to_string());
                }
            }
            None => {
                points.insert((component, strategy.clone(), out), plan.len());
                plan.push(Coordination {
                    component: trace.components[component].clone(),
                    strategy,
                    inputs: vec![input.to_string()],
                    output: output(),
                    applied,
                });
            }
        }
    };
    for point in &deployed.seals {
        let strategy = Strategy::Seal {
            key: trace.attrs.set(point.key).clone(),
            vote: if point.independent {
                Vote::Independent
            } else {
                Vote::Unanimous
            },
        };
        let Some(component) = trace.component_index(point.input) else {
            continue;
        };
        add(
            component,
            strategy,
            trace.interface_of(point.input),
            (point.out.index(), &|| trace.name(point.out).to_string()),
            permission != Permission::None,
        );
    }
    for point in &planned.orders {
        for &input in &point.inputs {
            let Some(component) = trace.component_index(input) else {
                continue;
            };
            add(
                component,
                Strategy::Order {
                    kind: trace.order_kind(point.order),
                },
                trace.interface_of(input),
                (point.out.index(), &|| trace.name(point.out).to_string()),
                permission == Permission::Auto,
            );
        }
    }
    for c in &mut plan {
        c.inputs.sort();
    }
    // An order that does not depend on how the annotation lines were ordered.
    plan.sort_by(|a, b| {
        (
            &a.component,
            &a.output,
            strategy_order(&a.strategy),
            &a.inputs,
        )
            .cmp(&(
                &b.component,
                &b.output,
                strategy_order(&b.strategy),
                &b.inputs,
            ))
    });
    plan
}

/// Seals before orders; seals by key.
fn strategy_order(strategy: &Strategy) -> (u8, Option<&crate::label::AttrSet>) {
    match strategy {
        Strategy::Seal { key, .. } => (0, Some(key)),
        Strategy::Order { .. } => (1, None),
    }
}
