//! The coordination wrappers (runtime spec; paper §V-B): what the analysis'
//! plan puts around an input of a component. Each is a sans-IO state machine
//! the instance feeds: the seal buffer (per-partition punctuations), static
//! order (`seq` batches) and total order (positions from a sequencer), the
//! sequencer's client, dedupe of replays, the forwarder that carries seals
//! through confluent paths, and the bounded memory of released partitions;
//! and the vote on a partition's seals that the seal buffer, the instance's
//! own votes and the forwarder all count with (`votes`).

pub(crate) mod dedup;
pub(crate) mod forwarder;
pub(crate) mod hashed;
pub(crate) mod input_seals;
pub(crate) mod key_kinds;
pub(crate) mod plan;
pub(crate) mod recent;
pub(crate) mod seal_buffer;
pub(crate) mod sequencer;
pub(crate) mod static_order;
pub(crate) mod total_order;
pub(crate) mod votes;
