//! Checking one `#[path]` claim against the handler (issue 13, point 3).
//!
//! The handler is run from fresh on the inputs in their given order and in
//! every other [arrangement](super::arrangement); a claim holds when each
//! arrangement gives the same set of outputs on the path's output (and, when
//! a state snapshot is given, the same final state). A confluent path (`CR`,
//! `CW`) must survive permutations and duplicates; an order-sensitive one
//! (`OR[g]`, `OW[g]`) must survive interleavings of the partitions of its
//! gate `g`. Inputs are sealed, partition by partition, right after the last
//! input of the partition: on the gate by default, on [`PathCheck::seal_on`]
//! when the stream is sealed on a coarser key.
//!
//! A path may read state that other paths of its component write (spec §4,
//! state edges). Records fed [beside](PathCheck::beside) the path's inputs,
//! on those other inputs, are rearranged with them: a confluent claim must
//! give the same outputs however the writes interleave with its inputs (a
//! `CR` lookup that answers differently before and after a write is an
//! `OR`), and an order-sensitive one must keep its outputs when the
//! partitions of its gate, writes included, interleave (a read of partition
//! `v` that changes with a write of another partition reads outside its
//! gate).

use std::collections::{BTreeMap, BTreeSet};

use blazes_core::{AttrSet, Path, PathKind};

use super::arrangement;
use super::counterexample::{CheckError, Counterexample, Fed, Observed, Verdict};
use crate::handler::{Emission, Emit, Handler};
use crate::registry::RegisteredPath;
use crate::tuple::Tuple;

/// How many other orders a check tries before it samples.
pub const DEFAULT_BUDGET: usize = 5_000;

/// Builds a fresh handler for each arrangement.
type Make<H> = Box<dyn Fn() -> H>;
/// Reads a handler's state, to compare final states.
type Snapshot<H> = Box<dyn Fn(&H) -> String>;

/// The given order and a rearrangement, as indices into the inputs.
type OrderPair = (Vec<usize>, Vec<usize>);

/// The claim of one path and how to check it against a handler `H`.
pub struct PathCheck<H> {
    make: Make<H>,
    from: String,
    to: String,
    kind: PathKind,
    gate: AttrSet,
    seal_on: Option<AttrSet>,
    state: Option<Snapshot<H>>,
    probes: Option<(String, Vec<Tuple>)>,
    /// Records fed on other inputs, rearranged with the path's own.
    beside: Vec<Fed>,
    duplicates: bool,
    budget: usize,
}

impl<H: Handler> PathCheck<H> {
    /// The claim that the path `from -> to` of handlers made by `make` is
    /// `kind` (with gate `gate` when order-sensitive; ignored otherwise).
    pub fn new(
        make: impl Fn() -> H + 'static,
        from: &str,
        to: &str,
        kind: PathKind,
        gate: AttrSet,
    ) -> PathCheck<H> {
        PathCheck {
            make: Box::new(make),
            from: from.to_string(),
            to: to.to_string(),
            kind,
            gate: if kind.is_order_sensitive() {
                gate
            } else {
                AttrSet::new()
            },
            seal_on: None,
            state: None,
            probes: None,
            beside: Vec::new(),
            duplicates: true,
            budget: DEFAULT_BUDGET,
        }
    }

    /// The claim of a path of the analysis model (a component of a
    /// dataflow, as `#[blazes::dataflow]` modules, the grey-box reader and
    /// the builder give it); the first gate of an order-sensitive path.
    pub fn declared(make: impl Fn() -> H + 'static, path: &Path) -> PathCheck<H> {
        let gate = path.annotation.gates.first().cloned().unwrap_or_default();
        PathCheck::new(make, &path.from, &path.to, path.annotation.kind, gate)
    }

    /// The claim a `#[component]` declared, as the registry lists it.
    pub fn registered(make: impl Fn() -> H + 'static, path: &RegisteredPath) -> PathCheck<H> {
        PathCheck::new(make, &path.from, &path.to, path.label, path.gate.clone())
    }

    /// Seals the input on `key` (the stream's seal) instead of the gate: the
    /// handler's `on_seal` runs for a partition of `key` right after its last
    /// input (builder style). An empty key seals nothing.
    pub fn seal_on(mut self, key: AttrSet) -> PathCheck<H> {
        self.seal_on = Some(key);
        self
    }

    /// Compares the final states too, as `snapshot` reads them (builder
    /// style). The snapshot must not depend on how the state was reached
    /// (print a `BTreeMap`, not a `HashMap`).
    pub fn state(mut self, snapshot: impl Fn(&H) -> String + 'static) -> PathCheck<H> {
        self.state = Some(Box::new(snapshot));
        self
    }

    /// Compares the final states as the handler's `Debug` prints them: the
    /// derived snapshot (builder style).
    pub fn debug_state(self) -> PathCheck<H>
    where
        H: std::fmt::Debug,
    {
        self.state(|h| format!("{h:?}"))
    }

    /// Reads the final state through the handler itself (builder style):
    /// after the inputs, `probes` are fed on input `input` in the order
    /// given, and everything they emit is the state compared. For a path
    /// that writes state and emits nothing (a click counter read by
    /// requests).
    pub fn probe(mut self, input: &str, probes: Vec<Tuple>) -> PathCheck<H> {
        self.probes = Some((input.to_string(), probes));
        self
    }

    /// Feeds `records` on `input`, another input of the component whose
    /// path writes state this path may read, rearranged with the path's own
    /// inputs (builder style; once per such input). In the given order they
    /// come first, each once in every arrangement (the runtime delivers a
    /// write once); the outputs compared are those of the path's own inputs.
    pub fn beside(mut self, input: &str, records: Vec<Tuple>) -> PathCheck<H> {
        self.beside.extend(records.into_iter().map(|record| Fed {
            input: input.to_string(),
            record,
        }));
        self
    }

    /// Tries permutations only, no duplicated input (builder style): for a
    /// path whose equal inputs are distinct events (two identical clicks),
    /// which the runtime delivers once each, deduplicating by sequence
    /// number.
    pub fn without_duplicates(mut self) -> PathCheck<H> {
        self.duplicates = false;
        self
    }

    /// Tries at most this many other orders before sampling (builder style).
    pub fn budget(mut self, budget: usize) -> PathCheck<H> {
        self.budget = budget.max(1);
        self
    }

    /// `from -> to`.
    pub fn path(&self) -> String {
        format!("{} -> {}", self.from, self.to)
    }

    /// The claim as written: `CW`, `OW[word,batch]`.
    pub fn claim(&self) -> String {
        if self.kind.is_order_sensitive() {
            let gate: Vec<&str> = self.gate.iter().map(String::as_str).collect();
            format!("{}[{}]", self.kind, gate.join(","))
        } else {
            self.kind.to_string()
        }
    }

    /// Checks the claim on `inputs` (in the order given) and every other
    /// arrangement of them; a lie comes with a counterexample minimised to
    /// the fewest inputs that still show it.
    pub fn check(&self, inputs: &[Tuple]) -> Result<Verdict, CheckError> {
        let all: Vec<Fed> = self
            .beside
            .iter()
            .cloned()
            .chain(inputs.iter().map(|record| Fed {
                input: self.from.clone(),
                record: record.clone(),
            }))
            .collect();
        let (tried, found) = self.search(&all)?;
        let Some((mut reference, mut arranged)) = found else {
            return Ok(Verdict::Holds {
                arrangements: tried,
            });
        };
        // Greedy minimisation: drop any input whose absence keeps a lie.
        let mut kept = all;
        let mut i = 0;
        while i < kept.len() {
            let mut fewer = kept.clone();
            fewer.remove(i);
            if let (_, Some(smaller)) = self.search(&fewer)? {
                kept = fewer;
                (reference, arranged) = smaller;
                i = 0;
            } else {
                i += 1;
            }
        }
        let left = self.run(&kept, &reference)?;
        let right = self.run(&kept, &arranged)?;
        Ok(Verdict::Lie(Box::new(Counterexample {
            path: self.path(),
            declared: self.claim(),
            inputs: reference.iter().map(|i| kept[*i].clone()).collect(),
            rearranged: arranged.iter().map(|i| kept[*i].clone()).collect(),
            left,
            right,
            tried,
        })))
    }

    /// Runs the arrangements of `inputs`; how many were tried, and the
    /// first whose observation differs from the given order's.
    fn search(&self, inputs: &[Fed]) -> Result<(usize, Option<OrderPair>), CheckError> {
        let identity: Vec<usize> = (0..inputs.len()).collect();
        let expected = self.run(inputs, &identity)?;
        let own = |i: usize| inputs[i].input == self.from;
        let orders = if self.kind.is_order_sensitive() {
            arrangement::interleavings(&self.partitions(inputs, &self.gate), self.budget)
        } else {
            arrangement::confluent(inputs.len(), self.budget)
                .into_iter()
                .filter(|order| {
                    // A duplicate is of the path's own input, and only
                    // when duplicates are tried (a permutation needs no
                    // counting).
                    order.len() == inputs.len()
                        || (self.duplicates
                            && (0..inputs.len())
                                .filter(|i| order.iter().filter(|j| *j == i).count() > 1)
                                .all(own))
                })
                .collect()
        };
        for (tried, order) in orders.iter().enumerate() {
            if self.run(inputs, order)? != expected {
                return Ok((tried + 1, Some((identity, order.clone()))));
            }
        }
        Ok((orders.len(), None))
    }

    /// The partition of each input on `key`, numbered from 0 by first
    /// appearance; inputs lacking an attribute of `key` share one partition.
    fn partitions(&self, inputs: &[Fed], key: &AttrSet) -> Vec<usize> {
        let mut numbers: BTreeMap<Option<Tuple>, usize> = BTreeMap::new();
        inputs
            .iter()
            .map(|fed| {
                let next = numbers.len();
                *numbers
                    .entry(fed.record.project(key.iter().map(String::as_str)))
                    .or_insert(next)
            })
            .collect()
    }

    /// Feeds a fresh handler `inputs` in `order`, sealing each partition of
    /// the path's input after its last input, and observes the outputs of
    /// the path's own inputs (and the state).
    fn run(&self, inputs: &[Fed], order: &[usize]) -> Result<Observed, CheckError> {
        let seal_key = self.seal_on.as_ref().unwrap_or(&self.gate);
        let mut last: BTreeMap<Tuple, usize> = BTreeMap::new();
        if !seal_key.is_empty() {
            for (position, i) in order.iter().enumerate() {
                let fed = &inputs[*i];
                if fed.input != self.from {
                    continue;
                }
                if let Some(p) = fed.record.project(seal_key.iter().map(String::as_str)) {
                    last.insert(p, position);
                }
            }
        }
        let mut handler = (self.make)();
        let mut out = Emit::new();
        let mut outputs = BTreeSet::new();
        for (position, i) in order.iter().enumerate() {
            let fed = &inputs[*i];
            handler
                .handle(&fed.input, fed.record.clone(), &mut out)
                .map_err(|source| CheckError::Handler {
                    path: self.path(),
                    source,
                })?;
            let own = fed.input == self.from;
            if !own {
                // What the write emits is its own path's output, not this one's.
                out.drain_all();
                continue;
            }
            for (partition, at) in &last {
                if *at == position {
                    handler.on_seal(&self.from, partition, &mut out);
                }
            }
            for emission in out.drain_all() {
                if let Emission::Record { output, tuple } = emission
                    && output == self.to
                {
                    outputs.insert(tuple);
                }
            }
        }
        let mut state = self.state.as_ref().map(|s| s(&handler));
        if let Some((input, probes)) = &self.probes {
            let mut read = String::new();
            for probe in probes {
                handler
                    .handle(input, probe.clone(), &mut out)
                    .map_err(|source| CheckError::Handler {
                        path: self.path(),
                        source,
                    })?;
                for emission in out.drain_all() {
                    if let Emission::Record { output, tuple } = emission {
                        read.push_str(&format!("{output}: {tuple}; "));
                    }
                }
            }
            state = Some(state.unwrap_or_default() + &read);
        }
        Ok(Observed { outputs, state })
    }
}
