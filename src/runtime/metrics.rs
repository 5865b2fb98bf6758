//! Counters every instance keeps, so that a run can be audited:
//! distinct records in = processed + dead-lettered + still held.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::runtime::node::envelope::ProducerId;
use crate::tuple::Tuple;

/// Counters of one component instance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstanceMetrics {
    /// Record messages that arrived, duplicates included.
    pub received: u64,
    /// Record messages dropped as duplicates of `(producer, seq)`.
    pub duplicate_records: u64,
    /// Seal and end messages dropped as duplicates.
    pub duplicate_punctuations: u64,
    /// Records handed to the handler.
    pub processed: u64,
    /// Records sent to the dead-letter path (all reasons).
    pub dead_lettered: u64,
    /// Records dead-lettered because they arrived after their partition.
    pub late: u64,
    /// Records currently held by a coordination wrapper.
    pub held: u64,
    /// The most records held at once.
    pub held_max: u64,
    /// Seals that arrived (duplicates excluded).
    pub seals: u64,
    /// Seals from producers that are not members of the stream: errors, not votes.
    pub unknown_sealers: u64,
    /// Partitions released by a seal buffer or a static order.
    pub released_partitions: u64,
    /// Times a message could not be admitted because the wrapper was full.
    pub backpressure: u64,
    /// Records admitted beyond the bound because nothing else could arrive
    /// (a partition, or the partitions open together, need more room than
    /// the bound gives): one per record, each a failure of the run.
    pub stalls: u64,
    /// Entries forgotten by the late-detection windows (see
    /// `Deployment::late_detection`): released partitions of the seal
    /// buffers, and complete and sealed partitions of the seal forwarder,
    /// each window counting its own. A record of a forgotten released
    /// partition is no longer recognised as late when it arrives, but opens
    /// the partition again.
    pub forgotten_partitions: u64,
    /// Partitions reported for waiting longer than the configured time for
    /// their seals (see `Deployment::overdue_after`), each once.
    pub overdue_partitions: u64,
    /// Tuples emitted on an output interface the component does not have.
    pub unknown_outputs: u64,
    /// Records and punctuations emitted on an output after the instance
    /// ended it (every input feeding it by a path had ended): a handler
    /// emitting where no path of its input leads. Nothing after the end
    /// reaches a consumer, so each is a failure of the run.
    pub emitted_after_end: u64,
    /// Messages (records and punctuations) to or from this instance dropped
    /// undelivered because the run was stopped
    /// (`RunningDataflow::finish_within`): received and not delivered yet,
    /// or routed and not sent yet.
    pub abandoned: u64,
    /// Handler calls (records and seals) that panicked; a panicking record
    /// is also counted in `dead_lettered`.
    pub handler_panics: u64,
    /// Messages (records and punctuations) refused because their `seq` is
    /// out of range; a refused record is also counted in `dead_lettered`.
    pub refused_seqs: u64,
    /// Records and seals refused because a seal or `seq` key value has
    /// another kind than the attribute's first one; a refused record is
    /// also counted in `dead_lettered`.
    pub wrong_key_kinds: u64,
    /// Punctuations this instance's handler made and the instance sent
    /// (each partition of an output once).
    pub punctuations: u64,
    /// Seals refused because they lack an attribute of the seal key: not
    /// votes, so their partition may never be released.
    pub keyless_seals: u64,
    /// Released partitions a typed `#[on_seal(input)]` method could not
    /// receive: their key lacks a field it takes, or holds a value of
    /// another type (each also logged with `tracing::warn`).
    pub undecodable_seals: u64,
    /// Dead letters by [`DeadLetterReason::kind`](super::DeadLetterReason::kind);
    /// they add up to `dead_lettered`.
    #[serde(with = "kinds")]
    pub dead_letters_by_kind: BTreeMap<&'static str, u64>,
}

/// Dead letters by kind with serde: the kind's name, read back as the
/// runtime's own name (`DEAD_LETTER_KINDS`).
mod kinds {
    use std::collections::BTreeMap;

    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::runtime::dead_letter::DEAD_LETTER_KINDS;

    pub(super) fn serialize<S: Serializer>(
        by_kind: &BTreeMap<&'static str, u64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        by_kind.iter().collect::<Vec<_>>().serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<&'static str, u64>, D::Error> {
        let saved = Vec::<(String, u64)>::deserialize(deserializer)?;
        saved
            .into_iter()
            .map(|(name, count)| {
                DEAD_LETTER_KINDS
                    .iter()
                    .find(|k| **k == name)
                    .map(|k| (*k, count))
                    .ok_or_else(|| D::Error::custom(format!("no dead-letter kind `{name}`")))
            })
            .collect()
    }
}

impl InstanceMetrics {
    /// Distinct records that arrived.
    pub fn records_in(&self) -> u64 {
        self.received - self.duplicate_records
    }

    /// True when distinct records in = processed + dead-lettered + held.
    pub fn balanced(&self) -> bool {
        self.records_in() == self.processed + self.dead_lettered + self.held
    }

    /// Adds another instance's counters (the maximum for `held_max`).
    pub fn add(&mut self, other: &InstanceMetrics) {
        self.received += other.received;
        self.duplicate_records += other.duplicate_records;
        self.duplicate_punctuations += other.duplicate_punctuations;
        self.processed += other.processed;
        self.dead_lettered += other.dead_lettered;
        self.late += other.late;
        self.held += other.held;
        self.held_max = self.held_max.max(other.held_max);
        self.seals += other.seals;
        self.unknown_sealers += other.unknown_sealers;
        self.released_partitions += other.released_partitions;
        self.backpressure += other.backpressure;
        self.stalls += other.stalls;
        self.forgotten_partitions += other.forgotten_partitions;
        self.overdue_partitions += other.overdue_partitions;
        self.unknown_outputs += other.unknown_outputs;
        self.emitted_after_end += other.emitted_after_end;
        self.abandoned += other.abandoned;
        self.handler_panics += other.handler_panics;
        self.refused_seqs += other.refused_seqs;
        self.wrong_key_kinds += other.wrong_key_kinds;
        self.punctuations += other.punctuations;
        self.keyless_seals += other.keyless_seals;
        self.undecodable_seals += other.undecodable_seals;
        for (kind, count) in &other.dead_letters_by_kind {
            *self.dead_letters_by_kind.entry(kind).or_default() += count;
        }
    }
}

/// A partition a seal buffer still holds, for diagnosing a missing seal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnsealedPartition {
    /// The seal-key values.
    pub key: Tuple,
    /// Records (and reads) held for it.
    pub held: usize,
    /// Producers whose seal is still missing.
    pub missing: Vec<ProducerId>,
    /// The same producers by name (`Component[i]` or `source[i]`).
    pub missing_names: Vec<String>,
    /// Producers that did seal it (a retired producer is neither here nor
    /// missing).
    pub sealed: Vec<ProducerId>,
    /// The same producers by name.
    pub sealed_names: Vec<String>,
    /// Time since its first record, in the driver's clock units
    /// ([`sans_io::Time`](crate::runtime::sans_io::Time) ticks: microseconds under
    /// tokio and in the cluster, steps under the simulator).
    pub age: u64,
}

impl UnsealedPartition {
    /// The order partitions are listed in: the oldest first, then by key.
    pub(crate) fn oldest_first(a: &UnsealedPartition, b: &UnsealedPartition) -> std::cmp::Ordering {
        b.age.cmp(&a.age).then_with(|| a.key.cmp(&b.key))
    }
}

/// What one instance looks like at a point in time.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstanceSnapshot {
    /// The instance.
    pub instance: ProducerId,
    /// Its component.
    pub component: String,
    /// Its buffer bound: records its wrappers hold at most (see
    /// `Deployment::buffer_capacity`).
    pub bound: usize,
    /// Its counters.
    pub metrics: InstanceMetrics,
    /// The instance's name, `Component[i]`.
    pub name: String,
    /// The partitions its seal buffers hold, oldest first.
    pub unsealed: Vec<UnsealedPartition>,
    /// The partitions its seal buffers still held when the run ended (their
    /// records were dead-lettered as never sealed), oldest first.
    pub never_sealed: Vec<UnsealedPartition>,
    /// True when every input and output of the instance has ended.
    pub finished: bool,
}
