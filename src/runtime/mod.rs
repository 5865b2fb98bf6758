//! Runs annotated dataflows with the coordination the analysis chose
//! (runtime spec; paper §V-B, §VIII).
//!
//! Every component instance is a sans-IO state machine
//! ([`sans_io::InstanceCore`]): the component's [`Handler`](crate::Handler)
//! wrapped, input by input, in the wrapper the analysis' plan selects
//! ([`ComponentPlan`], [`InputMode`]): a seal buffer (per-partition
//! punctuations, unanimous or independent vote), a static order (batches
//! applied in `seq` order), or a total order fed by a [`Sequencer`]. The
//! tokio [`DataflowRunner`], the deterministic simulator (`crate::sim`) and
//! the cluster (`crate::dist`) only do I/O around it.
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

// The coordination wrappers an instance's inputs get (seal buffer, static
// and total order, the sequencer's client, dedupe, the forwarder of seals).
pub(crate) mod coordination;
// The node core every driver runs: instances, topology, routing, envelopes.
pub(crate) mod node;
// The tokio driver; the simulator (`crate::sim`) and the cluster
// (`crate::dist`) are the other two.
pub(crate) mod tokio_runner;

pub(crate) mod dead_letter;
pub(crate) mod deployment;
pub(crate) mod error;
pub(crate) mod factories;
pub(crate) mod metrics;
mod partitioning;
pub(crate) mod report;
pub(crate) mod sink;
pub(crate) mod telemetry;
pub(crate) mod workload;

/// The sans-IO node core, for driving component instances with I/O of your
/// own, as the tokio runner, the simulator and the cluster do (as
/// quinn-proto sits under quinn): a [`sans_io::InstanceCore`] built from a
/// [`Topology`] is handed [`sans_io::Delivery`] messages and the time, and
/// yields the envelopes it sends, its dead letters and its checkpoints. The
/// coordination wrappers it runs (seal buffer, static and total order) stay
/// inside it. An application that runs dataflows needs none of this: it
/// uses [`DataflowRunner`], `blazes::sim` or `blazes::dist`.
pub mod sans_io {
    pub use super::node::clock::Time;
    pub use super::node::envelope::{Delivery, Envelope, InputId, Numbering, OutputId};
    pub use super::node::instance::{CheckpointError, InstanceCore};
    pub use super::node::payload::{Payload, PayloadRun};
}

pub use blazes_core::SealLoop;
pub use coordination::plan::{ComponentPlan, CoordinationMode, InputMode};
pub use coordination::recent::DEFAULT_LATE_WINDOW;
pub use coordination::sequencer::{
    AssignedFuture, EmbeddedSequencer, NextStep, OrderRetry, RecoverFuture, Recovered, Sequencer,
    SequencerError, SequencerFuture, Unordered,
};
pub use dead_letter::{DeadLetter, DeadLetterReason};
pub use deployment::{DEFAULT_OVERDUE_AFTER, Deployment, Routing};
pub use error::{
    BuildError, NameError, OrderedTwice, RunError, ScatteredWrites, SplitGroups, UnknownRouteKey,
};
pub use factories::{Factories, HandlerFactory};
pub use metrics::{InstanceMetrics, InstanceSnapshot, UnsealedPartition};
pub use node::envelope::ProducerId;
pub use node::topology::Topology;
pub use report::{
    ReadSinkError, RunFailed, RunFailure, RunReport, Truncated, dead_letter_failures,
};
pub use sink::{NotARecord, SinkCollector, SinkRecord, UnsealedSinkPartition};
pub use tokio_runner::{DataflowRunner, RunningDataflow, SourceHandle};
pub use workload::{SourceEvent, Workload};
