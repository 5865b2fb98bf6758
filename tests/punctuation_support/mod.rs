//! The Sum -> Total dataflow whose second seal is made by Sum's handler,
//! shared by `tests/runtime_punctuations.rs` and `tests/dist_punctuations.rs`.

#![allow(dead_code)]

#[cfg(feature = "dist")]
pub mod cluster;
#[cfg(feature = "dist")]
#[path = "../cluster_sources/mod.rs"]
mod cluster_sources;

use std::collections::BTreeMap;

use blazes::runtime::{Deployment, Factories, Routing, RunReport, SinkRecord, Workload};
use blazes::{Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, attrs};

/// numbers (sealed on batch) -> Sum (`OW[batch]`) -> Total (`OW[batch]`,
/// its input sealed on batch by Sum's own punctuations) -> out.
pub fn dataflow() -> Dataflow {
    Dataflow::new()
        .component(Component::new("Sum").path("numbers", "sums", Annotation::ow(attrs(["batch"]))))
        .component(Component::new("Total").path("sums", "totals", Annotation::ow(attrs(["batch"]))))
        .stream(Stream::between("numbers", "Sum.numbers").sealed(attrs(["batch"])))
        .stream(Stream::between("Sum.sums", "Total.sums").sealed(attrs(["batch"])))
        .stream(Stream::between("Total.totals", "out"))
}

/// Two source producers; two Sum instances, each batch at one of them (by
/// key), so the other has no record of it and must still punctuate it.
pub fn deployment() -> Deployment {
    Deployment::new()
        .source_producers("numbers", 2)
        .instances("Sum", 2)
        .route("numbers", "Sum.numbers", Routing::by_key(["batch"]))
}

/// Sums each batch; when the batch is released, emits its sum (if it saw
/// any record of it) and punctuates the batch on `sums`.
#[derive(Default)]
pub struct Sum {
    pub sums: BTreeMap<i64, i64>,
    /// A faulty Sum: it does not punctuate this batch when it saw no record
    /// of it (the instance that does not own the batch never votes).
    pub skip_unseen: Option<i64>,
    /// Punctuate at all (false: the punctuation removed).
    pub punctuate: bool,
    /// A faulty Sum: it punctuates a batch before emitting its sum.
    pub punctuate_first: bool,
    /// A faulty Sum: it punctuates on an output it does not have.
    pub wrong_output: bool,
}

impl Handler for Sum {
    fn handle(&mut self, input: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
        if input != "numbers" {
            return Err(UnknownInput::new(input, t));
        }
        let batch = t.int("batch").unwrap_or_default();
        *self.sums.entry(batch).or_default() += t.int("v").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _: &str, partition: &Tuple, out: &mut Emit) {
        let batch = partition.int("batch").unwrap_or_default();
        if self.punctuate_first {
            out.punctuate("sums", partition.clone());
        }
        let seen = self.sums.remove(&batch);
        if let Some(sum) = seen {
            out.emit("sums", partition.clone().with("sum", sum));
        }
        let output = if self.wrong_output { "sum" } else { "sums" };
        if self.punctuate && !(seen.is_none() && self.skip_unseen == Some(batch)) {
            out.punctuate(output, partition.clone());
        }
    }
}

/// Adds the sums of a batch; emits the total when the batch is released.
#[derive(Default)]
pub struct Total(BTreeMap<i64, i64>);

impl Handler for Total {
    fn handle(&mut self, input: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
        if input != "sums" {
            return Err(UnknownInput::new(input, t));
        }
        let batch = t.int("batch").unwrap_or_default();
        *self.0.entry(batch).or_default() += t.int("sum").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _: &str, partition: &Tuple, out: &mut Emit) {
        let batch = partition.int("batch").unwrap_or_default();
        let total = self.0.remove(&batch).unwrap_or_default();
        out.emit("totals", partition.clone().with("total", total));
    }
}

/// Sum punctuating (or not), and skipping the batch `skip_unseen` where it
/// saw no record of it.
pub fn factories(punctuate: bool, skip_unseen: Option<i64>) -> Factories {
    factories_with(move || Sum {
        punctuate,
        skip_unseen,
        ..Sum::default()
    })
}

/// Sum as `sum` makes it, Total as usual.
pub fn factories_with(sum: impl Fn() -> Sum + 'static) -> Factories {
    Factories::new()
        .with("Sum", move || Box::new(sum()))
        .with("Total", || Box::<Total>::default())
}

pub const BATCHES: i64 = 4;

/// Each producer sends values into every batch, then seals every batch.
pub fn workload() -> Workload {
    let mut w = Workload::new();
    for producer in 0..2 {
        for batch in 1..=BATCHES {
            for v in 0..3 {
                let value = batch * 10 + v + producer as i64 * 100;
                w = w.record(
                    "numbers",
                    producer,
                    Tuple::new().with("batch", batch).with("v", value),
                );
            }
        }
        for batch in 1..=BATCHES {
            w = w.seal("numbers", producer, Tuple::new().with("batch", batch));
        }
    }
    w
}

/// The totals computed directly from the workload.
pub fn truth() -> BTreeMap<i64, i64> {
    let mut totals = BTreeMap::new();
    for producer in 0..2i64 {
        for batch in 1..=BATCHES {
            for v in 0..3 {
                *totals.entry(batch).or_default() += batch * 10 + v + producer * 100;
            }
        }
    }
    totals
}

pub fn totals(report: &RunReport) -> BTreeMap<i64, i64> {
    totals_of(report.records("out"))
}

/// The `(batch, total)` of each record that reached `out`.
pub fn totals_of(records: &[SinkRecord]) -> BTreeMap<i64, i64> {
    records
        .iter()
        .map(|r| {
            (
                r.payload.int("batch").unwrap_or_default(),
                r.payload.int("total").unwrap_or_default(),
            )
        })
        .collect()
}
