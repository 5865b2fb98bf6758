//! Issue 13: inputs generated from the record types. A record derives its
//! proptest strategy with `proptest-derive` (keys drawn from a small range
//! so that they collide); an annotation check catches a planted lie and the
//! witness search finds a witness, from drawn inputs only.

#![cfg(feature = "proptest")]

use std::collections::BTreeMap;

use blazes::check::{PathCheck, SearchPlan, WitnessSearch, WorkloadDraw};
use blazes::runtime::{Deployment, Factories};
use blazes::sim::Simulation;
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Label, PathKind, Stream, Tuple, UnknownInput,
    analyze, attrs,
};
use proptest::prelude::any;
use proptest_derive::Arbitrary;
use serde::{Deserialize, Serialize};

/// A keyed value; keys collide often.
#[derive(blazes::Record, Serialize, Deserialize, Clone, Debug, PartialEq, Arbitrary)]
struct KeyValue {
    #[proptest(strategy = "0..2i64")]
    key: i64,
    #[proptest(strategy = "0..10i64")]
    value: i64,
}

/// Declared `CR`, but emits the first value per key and drops the later
/// ones: a lie whenever a key has two values.
#[derive(Default)]
struct FirstSeen {
    seen: BTreeMap<i64, i64>,
}

impl Handler for FirstSeen {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "in" {
            return Err(UnknownInput::new(input, tuple));
        }
        let key = tuple.int("key").unwrap_or_default();
        if let std::collections::btree_map::Entry::Vacant(slot) = self.seen.entry(key) {
            slot.insert(tuple.int("value").unwrap_or_default());
            out.emit("out", tuple);
        }
        Ok(())
    }
}

#[test]
fn a_planted_lie_is_caught_from_drawn_inputs() {
    let check = PathCheck::new(
        FirstSeen::default,
        "in",
        "out",
        PathKind::CR,
        attrs::<[&str; 0], &str>([]),
    );
    let verdict = check
        .check_drawn(&any::<KeyValue>(), 6, 7)
        .expect("draws and runs");
    let lie = verdict.lie().expect("a lie");
    println!("{lie}");
    // Minimised to two values of one key.
    assert_eq!(lie.inputs.len(), 2);
    assert_eq!(
        lie.inputs[0].record.int("key"),
        lie.inputs[1].record.int("key")
    );
    assert_ne!(
        lie.inputs[0].record.int("value"),
        lie.inputs[1].record.int("value")
    );
    assert_ne!(lie.left.outputs, lie.right.outputs);
}

#[test]
fn the_same_seed_draws_the_same_workload() {
    let draw = |seed| {
        WorkloadDraw::new(seed)
            .records("in", 0, 3, &any::<KeyValue>())
            .expect("draws")
            .records("in", 1, 3, &any::<KeyValue>())
            .expect("draws")
            .workload()
    };
    assert_eq!(draw(3).script("in", 0), draw(3).script("in", 0));
    assert_eq!(draw(3).script("in", 1), draw(3).script("in", 1));
    assert_ne!(draw(3).script("in", 0), draw(3).script("in", 1));
}

#[test]
fn a_witness_is_found_from_a_drawn_workload() {
    let dataflow = Dataflow::new()
        .component(Component::new("First").path("in", "out", Annotation::ow(attrs(["key"]))))
        .stream(Stream::between("in", "First.in"))
        .stream(Stream::between("First.out", "out"));
    let analysis = analyze(&dataflow).expect("valid");
    let sim = Simulation::new(
        &dataflow,
        &analysis,
        &Deployment::new().source_producers("in", 2),
        Factories::new().with("First", || Box::<FirstSeen>::default()),
    )
    .expect("deployable");
    let workload = WorkloadDraw::new(1)
        .records("in", 0, 2, &any::<KeyValue>())
        .expect("draws")
        .records("in", 1, 2, &any::<KeyValue>())
        .expect("draws")
        .workload();
    let found = WitnessSearch::new(&sim, &analysis)
        .plan(SearchPlan::default())
        .search_sink(&workload, "out", &Label::Run)
        .expect("runs");
    println!("{found}");
    let witness = found.witness.as_ref().expect("a witness");
    assert_ne!(witness.left.outputs, witness.right.outputs);
    assert!(witness.records <= 2);
}
