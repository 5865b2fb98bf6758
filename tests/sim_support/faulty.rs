//! A handler that panics on chosen inputs (issue 15): one sealed component,
//! `Check` (`OW[batch]`), that passes records on and emits each batch's sum
//! when the batch is sealed. It panics on a record with `v == 2` and in
//! `on_seal` for batch 2, each time after emitting a tuple that must not
//! reach the sink.

use blazes::runtime::{Deployment, Factories, RunReport, Workload};
use blazes::{Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, attrs};

/// The record `Check` panics on.
pub fn poisoned() -> Tuple {
    Tuple::new().with("batch", 1).with("v", 2)
}

/// What `Check` panics with on [`poisoned`].
pub const RECORD_PANIC: &str = "cannot check v = 2";

/// `numbers` (sealed on batch) -> Check -> `out`.
pub fn dataflow() -> Dataflow {
    Dataflow::new()
        .component(Component::new("Check").path("numbers", "out", Annotation::ow(attrs(["batch"]))))
        .stream(Stream::between("numbers", "Check.numbers").sealed(attrs(["batch"])))
        .stream(Stream::between("Check.out", "out"))
}

/// One producer, one instance.
pub fn deployment() -> Deployment {
    Deployment::new()
}

/// Batch 1: v = 1, 2 (poisoned), 3; batch 2: v = 4; both sealed.
pub fn workload() -> Workload {
    let record = |batch: i64, v: i64| Tuple::new().with("batch", batch).with("v", v);
    Workload::new()
        .record("numbers", 0, record(1, 1))
        .record("numbers", 0, poisoned())
        .record("numbers", 0, record(1, 3))
        .seal("numbers", 0, Tuple::new().with("batch", 1))
        .record("numbers", 0, record(2, 4))
        .seal("numbers", 0, Tuple::new().with("batch", 2))
}

/// Passes records on and sums each batch; panics as described above.
#[derive(Default)]
pub struct Check {
    sum: i64,
}

impl Handler for Check {
    fn handle(&mut self, _input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        let v = tuple.int("v").unwrap_or_default();
        if v == 2 {
            out.emit("out", Tuple::new().with("emitted_before_panic", v));
            panic!("{RECORD_PANIC}");
        }
        self.sum += v;
        out.emit("out", tuple);
        Ok(())
    }

    fn on_seal(&mut self, _input: &str, batch: &Tuple, out: &mut Emit) {
        let sum = std::mem::take(&mut self.sum);
        out.emit("out", batch.clone().with("sum", sum));
        if batch.int("batch") == Some(2) {
            panic!("cannot seal batch 2");
        }
    }
}

/// The handler factory.
pub fn factories() -> Factories {
    Factories::new().with("Check", || Box::<Check>::default())
}

/// What reached the sink, in order.
pub fn delivered(report: &RunReport) -> Vec<Tuple> {
    report
        .records("out")
        .iter()
        .map(|r| r.payload.clone())
        .collect()
}

/// What the sink must hold: the records but the poisoned one, the sum of
/// batch 1 (1 + 3), and nothing from the panicking seal of batch 2.
pub fn expected() -> Vec<Tuple> {
    let record = |batch: i64, v: i64| Tuple::new().with("batch", batch).with("v", v);
    vec![
        record(1, 1),
        record(1, 3),
        Tuple::new().with("batch", 1).with("sum", 4),
        record(2, 4),
    ]
}
