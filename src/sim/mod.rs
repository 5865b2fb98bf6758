//! Deterministic simulation of a deployed dataflow.
//!
//! The simulator drives the same sans-IO [`InstanceCore`](crate::runtime::sans_io::InstanceCore)s,
//! sequencer and sinks as the tokio runner, but every link is a FIFO queue
//! and a seeded scheduler decides, step by step, which link delivers next or
//! which source producer emits next. It injects faults: duplicated messages,
//! producers replaying from a checkpoint, and instances crashing (losing the
//! messages in flight to them) and restarting from their input log while
//! their producers replay. The same seed gives the same run.

pub(crate) mod choice;
pub(crate) mod config;
pub(crate) mod network;
mod pace;
pub(crate) mod simulation;

pub use crate::runtime::workload::{SourceEvent, Workload};
pub use choice::{Choice, Chooser, Receiver};
pub use config::SimConfig;
pub use simulation::{SimOutcome, Simulation};
