//! Collects what reaches a sink, deduplicated like any consumer.

use std::collections::BTreeSet;

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
            } => self.records.push(SinkRecord { producer, payload }),
            Envelope::Seal { producer, key, .. } => self.seals.push((producer, key)),
            Envelope::End { producer, .. } | Envelope::Retire { producer, .. } => {
                self.ended.insert(producer);
            }
        }
    }

    /// True when every producer has ended.
    pub fn finished(&self) -> bool {
        self.producers.iter().all(|p| self.ended.contains(p))
    }
}
