//! Turns the analysis' coordination plan into the wrapper each input of a
//! component gets: the runtime never hand-wires coordination per dataflow.

use blazes_core::{Analysis, AttrSet, Component, Label, OrderKind, Strategy, Vote};

use crate::runtime::error::BuildError;

/// How the runtime delivers one input of a component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputMode {
    /// No coordination: records go to `handle` as they arrive; seals to
    /// `on_seal` as they arrive, one per producer, unless the plan votes
    /// the input's seals ([`ComponentPlan::voted_seals`]).
    Direct,
    /// Held in the seal buffer `buffer` until the partition's vote completes.
    Sealed {
        /// Index of the component's seal buffer.
        buffer: usize,
    },
    /// Reads that wait for the release of their partition in seal buffer
    /// `buffer`. A seal of the input's own stream (on another key) reaches
    /// `on_seal` once every producer sealed the partition and the reads of
    /// it the buffer held were handled.
    ReadGated {
        /// Index of the component's seal buffer.
        buffer: usize,
    },
    /// Applied batch by batch in the order of the `seq` attributes.
    StaticOrder {
        /// The sequence attributes.
        seq: AttrSet,
    },
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
    /// By input index: true for an input a sequencer orders. Its messages
    /// (records, seals, ends) reach every instance of the component's group
    /// in the one order the sequencer assigns, and are then applied in the
    /// input's mode: an ordered input may also be sealed (held in a seal
    /// buffer) or read-gated, since every replica then sees the same
    /// sequence of records and seals and holds and releases alike.
    pub ordered: Vec<bool>,
    /// The component's seal buffers.
    pub seals: Vec<SealSpec>,
    /// By input index: true for a `Direct` input (ordered or not) whose
    /// streams are sealed (its label is `Seal`). A seal is a claim about the
    /// whole stream, so it reaches `on_seal`, and is forwarded, once every
    /// producer of the input has sealed the partition: the seal buffer's
    /// unanimous vote without holding records (each producer's records
    /// come before its seal, in the order the input applies them).
    pub voted_seals: Vec<bool>,
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
    /// are reads that wait for the release. An input no coordination wraps
    /// whose label is `Seal` has its seals voted on.
    pub fn for_component(
        component: &Component,
        analysis: &Analysis,
        mode: CoordinationMode,
    ) -> Result<ComponentPlan, BuildError> {
        let inputs = component.inputs();
        let mut plan = ComponentPlan {
            inputs: vec![InputMode::Direct; inputs.len()],
            ordered: vec![false; inputs.len()],
            seals: Vec::new(),
            voted_seals: vec![false; inputs.len()],
        };
        if mode == CoordinationMode::Off {
            return Ok(plan);
        }
        // One source for what cannot be combined: the macros refuse the
        // same plans when the dataflow compiles.
        let here = analysis
            .coordination
            .iter()
            .filter(|c| c.component == component.name);
        if let Some(conflict) = blazes_core::coordination_conflicts(here).into_iter().next() {
            return Err(BuildError::CoordinationConflict(Box::new(conflict)));
        }
        for coordination in analysis
            .coordination
            .iter()
            .filter(|c| c.applied && c.component == component.name)
        {
            let seal_buffer = match &coordination.strategy {
                Strategy::Seal { key, vote } => Some((plan.seal_buffer(key, *vote), key)),
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
                    _ => {
                        // A sequencer's order composes with whatever mode
                        // the input has: it only fixes the arrival order.
                        plan.ordered[index] = true;
                        continue;
                    }
                };
                plan.inputs[index] = input_mode;
            }
        }
        for (index, name) in inputs.iter().enumerate() {
            let label = analysis.inputs.get(&format!("{}.{name}", component.name));
            plan.voted_seals[index] = matches!(plan.inputs[index], InputMode::Direct)
                && matches!(label, Some(Label::Seal(_)));
        }
        Ok(plan)
    }

    /// The index of the seal buffer on `key`, added if new: every output of
    /// a component that relies on a seal on one key shares one buffer (the
    /// write input of a register votes once, its reads wait on the same
    /// release). A unanimous vote wins over an independent one.
    fn seal_buffer(&mut self, key: &AttrSet, vote: Vote) -> usize {
        if let Some(at) = self.seals.iter().position(|s| s.key == *key) {
            if vote == Vote::Unanimous {
                self.seals[at].vote = Vote::Unanimous;
            }
            return at;
        }
        self.seals.push(SealSpec {
            key: key.clone(),
            vote,
        });
        self.seals.len() - 1
    }

    /// True when some input is dynamically ordered.
    pub fn is_dynamically_ordered(&self) -> bool {
        self.ordered.contains(&true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::{Annotation, Dataflow, Stream, analyze, attrs};
    use std::collections::BTreeMap;

    fn register(put_seals: &[&str]) -> Dataflow {
        let mut register = Component::new("Register").replicated(true).path(
            "get",
            "value",
            Annotation::or(attrs(["key", "day"])),
        );
        let mut dataflow = Dataflow::new();
        for (i, key) in put_seals.iter().enumerate() {
            let input = format!("put{i}");
            register = register.path(&input, "ack", Annotation::ow(attrs([*key])));
            dataflow = dataflow.stream(
                Stream::between(&format!("puts{i}"), &format!("Register.{input}"))
                    .sealed(attrs([*key])),
            );
        }
        dataflow
            .component(register)
            .stream(Stream::between("gets", "Register.get"))
            .stream(Stream::between("Register.value", "values"))
            .stream(Stream::between("Register.ack", "acks"))
    }

    /// Spec S12: the put input votes once and the get input waits on the
    /// same buffer, although two outputs (ack, value) rely on the seal.
    #[test]
    fn outputs_relying_on_one_key_share_one_seal_buffer() {
        let dataflow = register(&["key"]);
        let analysis = analyze(&dataflow).expect("valid");
        assert_eq!(
            analysis.coordination.len(),
            2,
            "{:?}",
            analysis.coordination
        );
        let plan = ComponentPlan::for_component(
            &dataflow.components[0],
            &analysis,
            CoordinationMode::Plan,
        )
        .expect("deployable");
        assert_eq!(plan.seals.len(), 1);
        let modes: BTreeMap<&str, &InputMode> = dataflow.components[0]
            .inputs()
            .into_iter()
            .zip(&plan.inputs)
            .collect();
        assert_eq!(modes["put0"], &InputMode::Sealed { buffer: 0 });
        assert_eq!(modes["get"], &InputMode::ReadGated { buffer: 0 });
    }

    /// A read waiting under two keys is refused with the reason, not run
    /// with one of the two.
    #[test]
    fn a_read_under_two_keys_is_refused_with_the_reason() {
        let dataflow = register(&["key", "day"]);
        let analysis = analyze(&dataflow).expect("valid");
        let error = ComponentPlan::for_component(
            &dataflow.components[0],
            &analysis,
            CoordinationMode::Plan,
        )
        .expect_err("two read gates");
        let BuildError::CoordinationConflict(conflict) = &error else {
            panic!("not a conflict: {error}");
        };
        assert_eq!(conflict.input, "get");
        assert!(error.to_string().contains("on one key"), "{error}");
    }
}
