//! What the retirement tests across processes share: a `Keep` component that
//! sums each batch and reports the sum at its seal, its dataflow, and the
//! values producers send.

use std::collections::BTreeMap;

use blazes::runtime::SinkRecord;
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Permission, Requirement, Stream, Tuple,
    UnknownInput, attrs,
};

/// Batches each producer sends.
pub const BATCHES: i64 = 3;

/// numbers (sealed on batch) -> Keep -> out. Replicated, `Keep` is ordered
/// by the sequencer (its seal does not cover the gate `v`); alone, it takes
/// its input through a seal buffer, no order.
pub fn dataflow(replicated: bool) -> Dataflow {
    let annotation = if replicated {
        Annotation::ow(attrs(["v"]))
    } else {
        Annotation::ow(attrs(["batch"]))
    };
    Dataflow::new()
        .component(
            Component::new("Keep")
                .path("numbers", "kept", annotation)
                .replicated(replicated),
        )
        .stream(Stream::between("numbers", "Keep.numbers").sealed(attrs(["batch"])))
        .stream(Stream::between("Keep.kept", "out"))
        .requires(Requirement::Convergent)
        .coordinate(Permission::Auto)
}

/// Sums each batch; reports the sum when the batch is sealed.
#[derive(Default)]
pub struct Keep(BTreeMap<i64, i64>);

impl Handler for Keep {
    fn handle(&mut self, input: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
        if input != "numbers" {
            return Err(UnknownInput::new(input, t));
        }
        let batch = t.int("batch").unwrap_or_default();
        *self.0.entry(batch).or_default() += t.int("v").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _: &str, partition: &Tuple, out: &mut Emit) {
        let batch = partition.int("batch").unwrap_or_default();
        let sum = self.0.remove(&batch).unwrap_or_default();
        out.emit("kept", partition.clone().with("sum", sum));
    }
}

pub fn value(producer: usize, batch: i64, i: i64) -> i64 {
    batch * 10 + i + producer as i64 * 100
}

#[allow(dead_code)] // the gaps test's
pub fn record(batch: i64, v: i64) -> Tuple {
    Tuple::new().with("batch", batch).with("v", v)
}

/// Each replica's `(batch, sum)` reports, by replica.
pub fn by_replica(records: &[SinkRecord]) -> BTreeMap<u32, BTreeMap<i64, i64>> {
    let mut replicas: BTreeMap<u32, BTreeMap<i64, i64>> = BTreeMap::new();
    for r in records {
        let batch = r.payload.int("batch").unwrap_or_default();
        let sum = r.payload.int("sum").unwrap_or_default();
        let previous = replicas.entry(r.producer.0).or_default().insert(batch, sum);
        assert_eq!(
            previous, None,
            "batch {batch} reported twice by one replica"
        );
    }
    replicas
}
