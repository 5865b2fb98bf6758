//! Seal buffers that would wait on themselves.
//!
//! A seal buffer holds the records (or reads) of its inputs until every
//! producer of its sealed inputs has sealed the partition. A producer
//! forwards a seal on an output reached only by confluent paths, once the
//! records before it are handled. Where the seals of a sealed input come,
//! forwarded stream after stream, from an output that the buffer's own
//! component emits for records the buffer holds, the seal waits for the
//! records and the records wait for the seal: no partition is ever
//! released. The labels (spec §4) do not see it, since no port cycle is
//! involved; the runtime refuses such a plan when it is deployed, and the
//! macros when the dataflow compiles.

use std::collections::BTreeSet;
use std::fmt;

use crate::label::AttrSet;
use crate::model::{Component, Dataflow, Endpoint};
use crate::result::{Analysis, Strategy};

/// A seal buffer whose release waits on itself (see the module's doc).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealLoop {
    /// The component whose seal buffer waits on itself.
    pub component: String,
    /// The input whose held records feed the loop.
    pub held: String,
    /// The seal buffer's key.
    pub key: AttrSet,
    /// The sealed input whose seals come round the loop.
    pub input: String,
    /// The loop's streams, `From.output -> To.input`, from the component
    /// back to it.
    pub streams: Vec<String>,
}

impl SealLoop {
    /// What is wrong, in one sentence.
    pub fn problem(&self) -> String {
        let streams: Vec<String> = self.streams.iter().map(|s| format!("`{s}`")).collect();
        let key: Vec<&str> = self.key.iter().map(String::as_str).collect();
        format!(
            "`{c}` holds `{held}` on [{key}] until every producer of `{input}` has sealed the \
             partition, but those seals come round a loop from what `{c}` emits for the records \
             it holds ({streams}): a seal is forwarded only once the records before it are \
             handled, so no partition would ever be released",
            c = self.component,
            held = self.held,
            key = key.join(", "),
            input = self.input,
            streams = streams.join(", then "),
        )
    }

    /// How to fix it.
    pub fn fix(&self) -> String {
        format!(
            "the state a read observes cannot be written from the read's own results under a \
             seal; feed `{c}.{input}` from outside the loop, or have the loop's producer \
             punctuate it in its own code (a seal declared on its stream) for partitions that do \
             not wait for `{c}`, or remove the seals that reach the loop so that blazes orders \
             `{c}` instead (`coordinate = auto`)",
            c = self.component,
            input = self.input,
        )
    }
}

/// The problem, then `= fix:` and the fix, as the compile error and the
/// runtime's refusal print them.
impl fmt::Display for SealLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  = fix: {}", self.problem(), self.fix())
    }
}

/// The inputs of `component` whose seals its output `output` forwards: every
/// input with a path into it, when every such path is confluent (`CR`, `CW`)
/// and the output is not inside a cycle of the port graph (spec §4.2: the
/// loop can make more records of a partition after any punctuation).
/// `None` when it forwards none: its seals, if any, are its own code's.
pub fn forwarded_seals(
    component: &Component,
    output: &str,
    analysis: &Analysis,
) -> Option<Vec<String>> {
    let mut inputs: Vec<String> = Vec::new();
    for path in component.paths.iter().filter(|p| p.to == output) {
        if path.annotation.kind.is_order_sensitive() {
            return None;
        }
        if !inputs.contains(&path.from) {
            inputs.push(path.from.clone());
        }
    }
    let in_cycle = analysis.in_cycle(&format!("{}.{output}", component.name));
    (!inputs.is_empty() && !in_cycle).then_some(inputs)
}

/// Every seal buffer of the applied plan of `analysis` whose release waits
/// on itself, at most one per buffer (see the module's doc). The walk goes
/// up from each sealed input of a buffer through outputs that forward their
/// inputs' seals; a stream declared sealed (its producer punctuates it in
/// its own code) or an output that forwards nothing ends it, since what
/// that code waits for is not known here.
pub fn seal_loops(dataflow: &Dataflow, analysis: &Analysis) -> Vec<SealLoop> {
    let mut found = Vec::new();
    for component in &dataflow.components {
        let mut keys: Vec<&AttrSet> = Vec::new();
        for c in analysis.coordination.iter().filter(|c| c.applied) {
            if let Strategy::Seal { key, .. } = &c.strategy
                && c.component == component.name
                && !keys.contains(&key)
            {
                keys.push(key);
            }
        }
        for key in keys {
            let held: BTreeSet<&str> = analysis
                .coordination
                .iter()
                .filter(|c| {
                    c.applied
                        && c.component == component.name
                        && matches!(&c.strategy, Strategy::Seal { key: k, .. } if k == key)
                })
                .flat_map(|c| c.inputs.iter().map(String::as_str))
                .collect();
            let sealed = held.iter().filter(|input| {
                analysis
                    .inputs
                    .get(&format!("{}.{input}", component.name))
                    .is_some_and(|label| *label == crate::Label::Seal(key.clone()))
            });
            let first = sealed
                .filter_map(|input| walk(dataflow, analysis, component, input, &held))
                .next();
            if let Some((held_input, streams, input)) = first {
                found.push(SealLoop {
                    component: component.name.clone(),
                    held: held_input,
                    key: key.clone(),
                    input,
                    streams,
                });
            }
        }
    }
    found
}

/// The walk of [`seal_loops`] from `input` of `component`: the held input
/// whose seals reach it, the streams between (from the component onwards)
/// and the input.
fn walk(
    dataflow: &Dataflow,
    analysis: &Analysis,
    component: &Component,
    input: &str,
    held: &BTreeSet<&str>,
) -> Option<(String, Vec<String>, String)> {
    // Each step: a stream into (consumer, consumer's input), and the
    // streams walked before it.
    let mut stack: Vec<(String, String, Vec<String>)> =
        vec![(component.name.clone(), input.to_string(), Vec::new())];
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    while let Some((to_component, to_input, walked)) = stack.pop() {
        let to = Endpoint::port(&to_component, &to_input);
        for stream in dataflow.streams.iter().filter(|s| s.to == to) {
            let Endpoint::Port {
                component: from_component,
                interface: from_output,
            } = &stream.from
            else {
                continue;
            };
            let mut walked = walked.clone();
            walked.push(format!("{} -> {}", stream.from, stream.to));
            if stream.annotation.seal.is_some()
                || !seen.insert((from_component.clone(), from_output.clone()))
            {
                continue;
            }
            let Some(producer) = dataflow.find_component(from_component) else {
                continue;
            };
            let Some(forwarded) = forwarded_seals(producer, from_output, analysis) else {
                continue;
            };
            if producer.name == component.name
                && let Some(h) = forwarded.iter().find(|i| held.contains(i.as_str()))
            {
                walked.reverse();
                return Some((h.clone(), walked, input.to_string()));
            }
            for i in forwarded {
                stack.push((producer.name.clone(), i, walked.clone()));
            }
        }
    }
    None
}
