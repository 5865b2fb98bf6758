//! Runs annotated dataflows with the coordination the analysis chose
//! (runtime spec; paper §V-B, §VIII).
//!
//! Every component instance is an [`InstanceCore`]: the component's
//! [`Handler`](crate::Handler) wrapped, input by input, in the wrapper the
//! analysis' plan selects ([`plan`]): a [`SealBuffer`] (per-partition
//! punctuations, unanimous or independent vote), a [`StaticOrder`] (batches
//! applied in `seq` order), or a [`TotalOrder`] fed by a [`Sequencer`]. The
//! wrappers are sans-IO state machines, driven by the tokio
//! [`DataflowRunner`] and by the deterministic simulator (`crate::sim`).

pub mod dead_letter;
pub mod dedup;
pub mod deployment;
pub mod envelope;
pub mod error;
pub mod factories;
pub mod forwarder;
pub mod instance;
pub mod metrics;
pub mod outgoing;
pub mod plan;
pub mod report;
pub mod router;
pub mod runner;
pub mod seal_buffer;
pub mod sequencer;
pub mod sink;
pub mod static_order;
pub mod topology;
pub mod total_order;
pub mod workload;

pub use dead_letter::{DeadLetter, DeadLetterReason};
pub use deployment::{Deployment, Routing};
pub use envelope::{Envelope, Inbound, ProducerId};
pub use error::{BuildError, RunError};
pub use factories::{Factories, HandlerFactory};
pub use instance::InstanceCore;
pub use metrics::{InstanceMetrics, InstanceSnapshot, UnsealedPartition};
pub use plan::{ComponentPlan, CoordinationMode, InputMode};
pub use report::RunReport;
pub use runner::{DataflowRunner, RunningDataflow, SourceHandle};
pub use seal_buffer::SealBuffer;
pub use sequencer::{EmbeddedSequencer, Sequencer, SequencerCore, SequencerError};
pub use sink::{SinkCollector, SinkRecord};
pub use static_order::StaticOrder;
pub use topology::Topology;
pub use total_order::TotalOrder;
pub use workload::{SourceEvent, Workload};
