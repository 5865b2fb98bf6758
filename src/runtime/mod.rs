//! Runs annotated dataflows with the coordination the analysis chose
//! (runtime spec; paper §V-B, §VIII).
//!
//! Every component instance is an [`InstanceCore`]: the component's
//! [`Handler`](crate::Handler) wrapped, input by input, in the wrapper the
//! analysis' plan selects ([`ComponentPlan`]): a [`SealBuffer`] (per-partition
//! punctuations, unanimous or independent vote), a [`StaticOrder`] (batches
//! applied in `seq` order), or a [`TotalOrder`] fed by a [`Sequencer`]. The
//! wrappers are sans-IO state machines, driven by the tokio
//! [`DataflowRunner`] and by the deterministic simulator (`crate::sim`).
//!
//! ```
//! use blazes::runtime::{DataflowRunner, Deployment, Factories, Workload};
//! use blazes::{analyze, attrs, Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput};
//!
//! /// Sums each batch, emitting the sum when the batch is sealed.
//! #[derive(Default)]
//! struct Sum(i64);
//! impl Handler for Sum {
//!     fn handle(&mut self, _: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
//!         self.0 += t.int("v").unwrap_or_default();
//!         Ok(())
//!     }
//!     fn on_seal(&mut self, _: &str, batch: &Tuple, out: &mut Emit) {
//!         out.emit("sums", batch.clone().with("sum", std::mem::take(&mut self.0)));
//!     }
//! }
//!
//! let dataflow = Dataflow::new()
//!     .component(Component::new("Sum").path("in", "sums", Annotation::ow(attrs(["batch"]))))
//!     .stream(Stream::between("numbers", "Sum.in").sealed(attrs(["batch"])))
//!     .stream(Stream::between("Sum.sums", "out"));
//! let analysis = analyze(&dataflow).expect("valid");
//! // Two producers: each batch is released once both have sealed it.
//! let deployment = Deployment::new().source_producers("numbers", 2);
//! let mut workload = Workload::new();
//! for producer in 0..2 {
//!     for v in 1..=3 {
//!         workload = workload.record("numbers", producer, Tuple::new().with("batch", 1).with("v", v));
//!     }
//!     workload = workload.seal("numbers", producer, Tuple::new().with("batch", 1));
//! }
//! let factories = Factories::new().with("Sum", || Box::<Sum>::default());
//! let runner = DataflowRunner::new(&dataflow, &analysis, &deployment, factories).expect("deployable");
//! let rt = tokio::runtime::Runtime::new().expect("tokio");
//! let running = rt.block_on(async { runner.start() }).expect("started");
//! let report = rt.block_on(running.run_workload(&workload)).expect("runs");
//! assert_eq!(report.records("out")[0].payload.int("sum"), Some(12));
//! assert!(report.balanced());
//! ```

pub(crate) mod contain;
pub(crate) mod dead_letter;
pub(crate) mod dedup;
pub(crate) mod deployment;
pub(crate) mod envelope;
pub(crate) mod error;
pub(crate) mod factories;
pub(crate) mod forwarder;
pub(crate) mod instance;
pub(crate) mod key_kinds;
pub(crate) mod metrics;
pub(crate) mod node;
pub(crate) mod outgoing;
mod partitioning;
pub(crate) mod plan;
pub(crate) mod recent;
pub(crate) mod report;
pub(crate) mod router;
pub(crate) mod runner;
pub(crate) mod seal_buffer;
pub(crate) mod sequencer;
pub(crate) mod sink;
pub(crate) mod static_order;
pub(crate) mod telemetry;
pub(crate) mod topology;
pub(crate) mod total_order;
pub(crate) mod workload;

pub use dead_letter::{DeadLetter, DeadLetterReason};
pub use deployment::{DEFAULT_OVERDUE_AFTER, Deployment, Routing};
pub use envelope::{Envelope, Inbound, Numbering, ProducerId};
pub use error::{BuildError, NameError, RunError, SplitGroups};
pub use factories::{Factories, HandlerFactory};
pub use instance::{CheckpointError, InstanceCore};
pub use metrics::{InstanceMetrics, InstanceSnapshot, UnsealedPartition};
pub use plan::{ComponentPlan, CoordinationMode, InputMode};
pub use recent::DEFAULT_LATE_WINDOW;
pub use report::{ReadSinkError, RunFailure, RunReport, dead_letter_failures};
pub use runner::{DataflowRunner, RunningDataflow, SourceHandle};
pub use seal_buffer::{Admission, HeldRecord, SealBuffer, SealOutcome};
pub use sequencer::{
    EmbeddedSequencer, NextStep, OrderRetry, RecoverFuture, Recovered, Sequencer, SequencerCore,
    SequencerError, SequencerFuture, Unordered,
};
pub use sink::{SinkCollector, SinkRecord};
pub use static_order::StaticOrder;
pub use topology::Topology;
pub use total_order::TotalOrder;
pub use workload::{SourceEvent, Workload};
