//! Turns the analysis' coordination plan into the wrapper each input of a
//! component gets: the runtime never hand-wires coordination per dataflow.

use std::collections::BTreeMap;

use blazes_core::{Analysis, AttrSet, Component, Label, OrderKind, Strategy, Vote};

use super::error::BuildError;

/// How the runtime delivers one input of a component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputMode {
    /// No coordination: records go to `handle` as they arrive and seals to
    /// `on_seal` as they arrive, one per producer, with no vote.
    Direct,
    /// Held in the seal buffer `buffer` until the partition's vote completes.
    Sealed {
        /// Index of the component's seal buffer.
        buffer: usize,
    },
    /// Reads that wait for the release of their partition in seal buffer `buffer`.
    ReadGated {
        /// Index of the component's seal buffer.
        buffer: usize,
    },
    /// Applied batch by batch in the order of the `seq` attributes.
    StaticOrder {
        /// The sequence attributes.
        seq: AttrSet,
    },
    /// Applied in the total order a sequencer assigns.
    DynamicOrder,
}

/// One seal buffer of a component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealSpec {
    /// The seal key.
    pub key: AttrSet,
    /// The vote.
    pub vote: Vote,
}

/// The wrappers of one component, from the plan.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ComponentPlan {
    /// The mode of each input, by input index.
    pub inputs: Vec<InputMode>,
    /// The component's seal buffers.
    pub seals: Vec<SealSpec>,
}

/// Whether the runtime applies the analysis' plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CoordinationMode {
    /// Apply every coordination the plan marks `applied`.
    #[default]
    Plan,
    /// Run the same dataflow with no coordination at all (to show what the
    /// analysis warns about).
    Off,
}

impl ComponentPlan {
    /// The plan for `component` given the analysis. A seal coordination's
    /// input whose label is `Seal` on the key is voted on; its other inputs
    /// are reads that wait for the release.
    pub fn for_component(
        component: &Component,
        analysis: &Analysis,
        mode: CoordinationMode,
    ) -> Result<ComponentPlan, BuildError> {
        let inputs = component.inputs();
        let mut plan = ComponentPlan {
            inputs: vec![InputMode::Direct; inputs.len()],
            seals: Vec::new(),
        };
        if mode == CoordinationMode::Off {
            return Ok(plan);
        }
        let mut chosen: BTreeMap<usize, String> = BTreeMap::new();
        for coordination in analysis
            .coordination
            .iter()
            .filter(|c| c.applied && c.component == component.name)
        {
            let seal_buffer = match &coordination.strategy {
                Strategy::Seal { key, vote } => {
                    plan.seals.push(SealSpec {
                        key: key.clone(),
                        vote: *vote,
                    });
                    Some((plan.seals.len() - 1, key))
                }
                Strategy::Order { .. } => None,
            };
            for name in &coordination.inputs {
                let index = inputs.iter().position(|i| i == name).ok_or_else(|| {
                    BuildError::Plan(format!(
                        "coordination at `{}` names unknown input `{name}`",
                        component.name
                    ))
                })?;
                let input_mode = match (&coordination.strategy, seal_buffer) {
                    (Strategy::Seal { .. }, Some((buffer, key))) => {
                        let label = analysis.inputs.get(&format!("{}.{name}", component.name));
                        if label == Some(&Label::Seal(key.clone())) {
                            InputMode::Sealed { buffer }
                        } else {
                            InputMode::ReadGated { buffer }
                        }
                    }
                    (
                        Strategy::Order {
                            kind: OrderKind::Static { seq },
                        },
                        _,
                    ) => InputMode::StaticOrder { seq: seq.clone() },
                    _ => InputMode::DynamicOrder,
                };
                if let Some(previous) = chosen.insert(index, format!("{:?}", coordination.strategy))
                    && plan.inputs[index] != input_mode
                {
                    return Err(BuildError::Plan(format!(
                        "input `{}.{name}` gets two coordinations: {previous} and {:?}",
                        component.name, coordination.strategy
                    )));
                }
                plan.inputs[index] = input_mode;
            }
        }
        Ok(plan)
    }

    /// True when some input is dynamically ordered.
    pub fn is_dynamically_ordered(&self) -> bool {
        self.inputs.contains(&InputMode::DynamicOrder)
    }
}
