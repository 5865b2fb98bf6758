//! Collects what reaches a sink, deduplicated like any consumer.

use std::collections::{BTreeMap, BTreeSet};

use crate::record::{Record, RecordError};
use crate::runtime::coordination::dedup::{Dedup, Seen};
use crate::runtime::node::envelope::{Envelope, ProducerId};
use crate::tuple::Tuple;

/// One record that reached a sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SinkRecord {
    /// The instance that produced it.
    pub producer: ProducerId,
    /// The record.
    pub payload: Tuple,
}

/// A record of a sink that is not of the type it was read as.
#[derive(Debug, thiserror::Error)]
#[error("record {index} of the sink is not the record type asked for: {source}")]
#[non_exhaustive]
pub struct NotARecord {
    /// The record's position in the sink's arrival order.
    pub index: usize,
    /// The field that does not fit.
    #[source]
    pub source: RecordError,
}

/// A stream into a sink declared sealed: each partition of `key` that its
/// producers' records fall in must be sealed by every one of them (by one,
/// when the stream is `independent`), as a consumer's seal buffer would
/// require.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SinkSeal {
    /// The seal key's attributes, in name order.
    pub(crate) key: Vec<String>,
    /// The stream's producers.
    pub(crate) producers: BTreeSet<ProducerId>,
    /// Each partition has one producer: its seal alone seals it.
    pub(crate) independent: bool,
}

/// A partition of a sink stream declared sealed that some of its producers
/// never sealed ([`SinkCollector::never_sealed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnsealedSinkPartition {
    /// The partition's seal-key values.
    pub partition: Tuple,
    /// The sink's records in it.
    pub records: usize,
    /// The producers whose seal is missing.
    pub missing: Vec<ProducerId>,
    /// The producers that sealed it.
    pub sealed: Vec<ProducerId>,
}

/// The records of one sink, in arrival order.
#[derive(Clone, Debug, Default)]
pub struct SinkCollector {
    dedup: Dedup,
    producers: BTreeSet<ProducerId>,
    ended: BTreeSet<ProducerId>,
    expected_seals: Vec<SinkSeal>,
    /// The distinct records, in arrival order.
    pub records: Vec<SinkRecord>,
    /// Seals that reached the sink, with their producer.
    pub seals: Vec<(ProducerId, Tuple)>,
    /// Duplicates dropped.
    pub duplicates: u64,
    /// Messages refused because their `seq` is out of range (`u64::MAX`,
    /// which no producer reaches).
    pub refused_seqs: u64,
}

impl SinkCollector {
    /// A sink fed by `producers`.
    pub fn new(producers: BTreeSet<ProducerId>) -> SinkCollector {
        SinkCollector {
            producers,
            ..SinkCollector::default()
        }
    }

    /// The collector checks, at [`SinkCollector::never_sealed`], the
    /// streams into the sink declared sealed.
    pub(crate) fn expecting_seals(mut self, seals: Vec<SinkSeal>) -> SinkCollector {
        self.expected_seals = seals;
        self
    }

    /// The partitions of the sink's streams declared sealed that hold
    /// records and that some producer of the stream never sealed: the
    /// stream's declaration (a claim the analysis relied on) did not hold.
    /// Empty for a sink whose streams declare no seal.
    pub fn never_sealed(&self) -> Vec<UnsealedSinkPartition> {
        let mut out = Vec::new();
        for expected in &self.expected_seals {
            let names = || expected.key.iter().map(String::as_str);
            let mut partitions: BTreeMap<Tuple, usize> = BTreeMap::new();
            for record in self
                .records
                .iter()
                .filter(|r| expected.producers.contains(&r.producer))
            {
                // A record without the key's fields cannot be placed: the
                // typed checks make it rare; it is not counted here.
                if let Some(partition) = record.payload.project(names()) {
                    *partitions.entry(partition).or_default() += 1;
                }
            }
            let mut sealers: BTreeMap<Tuple, BTreeSet<ProducerId>> = BTreeMap::new();
            for (producer, key) in &self.seals {
                if let Some(partition) = key.project(names()) {
                    sealers.entry(partition).or_default().insert(*producer);
                }
            }
            for (partition, records) in partitions {
                let sealed: Vec<ProducerId> = sealers
                    .get(&partition)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|p| expected.producers.contains(p))
                    .collect();
                let done = if expected.independent {
                    !sealed.is_empty()
                } else {
                    sealed.len() == expected.producers.len()
                };
                if !done {
                    let missing = expected
                        .producers
                        .iter()
                        .copied()
                        .filter(|p| !sealed.contains(p))
                        .collect();
                    out.push(UnsealedSinkPartition {
                        partition,
                        records,
                        missing,
                        sealed,
                    });
                }
            }
        }
        out
    }

    /// Takes one message.
    pub fn deliver(&mut self, envelope: Envelope) {
        if let Envelope::Records { .. } = envelope {
            // Routing sends a sink single records; a run is taken apart.
            for single in envelope.into_singles() {
                self.deliver(single);
            }
            return;
        }
        if let Envelope::Retire { producer, .. } = envelope {
            // Idempotent, and possibly unnumbered (an operator's): not deduplicated.
            self.ended.insert(producer);
            return;
        }
        match self.dedup.admit(envelope.producer(), envelope.seq()) {
            Seen::New => {}
            Seen::Duplicate => {
                self.duplicates += 1;
                return;
            }
            Seen::OutOfRange => {
                self.refused_seqs += 1;
                tracing::warn!(producer = %envelope.producer(), "sink refused a message with seq u64::MAX");
                return;
            }
        }
        match envelope {
            Envelope::Record {
                producer, payload, ..
            } => self.records.push(SinkRecord {
                producer,
                payload: payload.into_tuple(),
            }),
            Envelope::Seal { producer, key, .. } => self.seals.push((producer, key)),
            Envelope::Records { .. } => {}
            Envelope::End { producer, .. } | Envelope::Retire { producer, .. } => {
                self.ended.insert(producer);
            }
        }
    }

    /// The records read as `T`, in arrival order, each with its producer;
    /// a record that is not a `T` is refused with its position (nothing is
    /// skipped).
    pub fn read<T: Record>(&self) -> Result<Vec<(ProducerId, T)>, NotARecord> {
        self.records
            .iter()
            .enumerate()
            .map(|(index, record)| {
                T::from_tuple(&record.payload)
                    .map(|value| (record.producer, value))
                    .map_err(|source| NotARecord { index, source })
            })
            .collect()
    }

    /// True when every producer has ended.
    pub fn finished(&self) -> bool {
        self.producers.iter().all(|p| self.ended.contains(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A total, as a sink receives it.
    #[derive(Debug, PartialEq)]
    struct Total {
        hour: i64,
    }

    impl Record for Total {
        const NAME: &'static str = "Total";
        const FIELDS: &'static [&'static str] = &["hour"];
        fn to_tuple(&self) -> Tuple {
            Tuple::new().with("hour", self.hour)
        }
        fn from_tuple(tuple: &Tuple) -> Result<Self, RecordError> {
            let hour = tuple.int("hour").ok_or(RecordError {
                record: Self::NAME,
                field: "hour",
                missing: tuple.get("hour").is_none(),
            })?;
            Ok(Total { hour })
        }
    }

    fn record(producer: u32, seq: u64, payload: Tuple) -> Envelope {
        Envelope::Record {
            producer: ProducerId(producer),
            seq,
            payload: payload.into(),
        }
    }

    #[test]
    fn a_sink_reads_as_a_record_type_or_names_the_first_misfit() {
        let mut sink = SinkCollector::new([ProducerId(0), ProducerId(1)].into());
        sink.deliver(record(1, 0, Total { hour: 2 }.to_tuple()));
        sink.deliver(record(0, 0, Total { hour: 1 }.to_tuple()));
        let read = sink.read::<Total>().expect("every record is a Total");
        assert_eq!(
            read,
            vec![
                (ProducerId(1), Total { hour: 2 }),
                (ProducerId(0), Total { hour: 1 })
            ]
        );
        sink.deliver(record(0, 1, Tuple::new().with("day", 3i64)));
        let wrong = sink.read::<Total>().expect_err("a record without hour");
        assert_eq!((wrong.index, wrong.source.field), (2, "hour"));
        assert!(
            wrong.to_string().contains("record 2 of the sink"),
            "{wrong}"
        );
    }
}
