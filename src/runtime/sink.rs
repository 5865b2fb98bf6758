//! Collects what reaches a sink, deduplicated like any consumer.

use std::collections::BTreeSet;

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

/// The records of one sink, in arrival order.
#[derive(Clone, Debug, Default)]
pub struct SinkCollector {
    dedup: Dedup,
    producers: BTreeSet<ProducerId>,
    ended: BTreeSet<ProducerId>,
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

    /// Takes one message.
    pub fn deliver(&mut self, envelope: Envelope) {
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
