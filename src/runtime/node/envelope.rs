//! The stream envelope (runtime spec, "Stream envelope"): every message on a
//! stream names its producer and carries a per-producer sequence number, so a
//! replayed message is recognised as a duplicate.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::runtime::node::payload::{Payload, PayloadRun};
use crate::tuple::Tuple;

/// Identifies one producer: a component instance or one producer of a source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProducerId(pub u32);

impl fmt::Display for ProducerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One message on a stream.
///
/// `seq` increases per producer over everything it sends (records, seals and
/// its end), so every kind of message can be deduplicated the same way.
/// More kinds of message may come: match with a wildcard arm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Envelope {
    /// A data record.
    Record {
        /// Who produced it.
        producer: ProducerId,
        /// Its position in the producer's output.
        seq: u64,
        /// The record (typed between the instances of one process).
        payload: Payload,
    },
    /// Data records of one typed batch, numbered `seq`, `seq + 1`, .. in
    /// the run's order: what one producer sends one destination of what it
    /// emitted together, in one message (under every driver: the tokio
    /// runner's links, the simulated network, the wire, where a run
    /// crosses as its tuples). Received as those records one after the
    /// other would be.
    Records {
        /// Who produced them.
        producer: ProducerId,
        /// The position of the first in the producer's output.
        seq: u64,
        /// The records.
        records: PayloadRun,
    },
    /// A punctuation: the producer will send no more records whose seal-key
    /// attributes equal `key`.
    Seal {
        /// Who seals.
        producer: ProducerId,
        /// Its position in the producer's output.
        seq: u64,
        /// The seal-key attribute values of the sealed partition.
        key: Tuple,
    },
    /// The producer will send nothing more on this stream.
    End {
        /// Who ends.
        producer: ProducerId,
        /// Its position in the producer's output.
        seq: u64,
    },
    /// The producer is retired (runtime spec, "Liveness and membership"):
    /// it will send nothing more, and this is its seal of every partition
    /// it has not sealed yet, present and future. Retiring is idempotent,
    /// so a retirement is applied again rather than deduplicated: one an
    /// operator sends for a stopped producer carries no position of its
    /// own (`seq` 0).
    Retire {
        /// Who is retired.
        producer: ProducerId,
        /// Its position in the producer's output (0 when an operator
        /// retires the producer).
        seq: u64,
    },
}

impl Envelope {
    /// The producer of the message.
    pub fn producer(&self) -> ProducerId {
        match self {
            Envelope::Record { producer, .. }
            | Envelope::Records { producer, .. }
            | Envelope::Seal { producer, .. }
            | Envelope::End { producer, .. }
            | Envelope::Retire { producer, .. } => *producer,
        }
    }

    /// The message's position in its producer's output.
    pub fn seq(&self) -> u64 {
        match self {
            Envelope::Record { seq, .. }
            | Envelope::Records { seq, .. }
            | Envelope::Seal { seq, .. }
            | Envelope::End { seq, .. }
            | Envelope::Retire { seq, .. } => *seq,
        }
    }

    /// True for data records ([`Envelope::Record`], [`Envelope::Records`]).
    pub fn is_record(&self) -> bool {
        matches!(self, Envelope::Record { .. } | Envelope::Records { .. })
    }

    /// How many records the message carries (0 for a punctuation).
    pub fn record_count(&self) -> usize {
        match self {
            Envelope::Record { .. } => 1,
            Envelope::Records { records, .. } => records.len(),
            _ => 0,
        }
    }

    /// The message as single messages: a run's records one by one
    /// ([`Envelope::Record`]s numbered from its `seq`), any other message
    /// as itself.
    pub fn into_singles(self) -> impl Iterator<Item = Envelope> {
        let (first, run) = match self {
            Envelope::Records {
                producer,
                seq,
                records,
            } => (None, Some((producer, seq, records))),
            other => (Some(other), None),
        };
        let records = run.into_iter().flat_map(|(producer, seq, records)| {
            (0..records.len()).map(move |i| Envelope::Record {
                producer,
                seq: seq.saturating_add(i as u64),
                payload: records.payload(i),
            })
        });
        first.into_iter().chain(records)
    }
}

/// Most records in one [`Envelope::Records`]: a producer starts a new run
/// past it, so that a link's batches (cut by records, see the tokio
/// runner's send queues) hold about as many records as before runs.
pub(crate) const MOST_IN_RUN: usize = 1024;

/// Numbers everything one producer sends: each envelope it builds takes the
/// next `seq`, records, seals and its end alike.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Numbering {
    producer: ProducerId,
    next: u64,
}

impl Numbering {
    /// A producer that has sent nothing yet.
    pub fn new(producer: ProducerId) -> Numbering {
        Numbering { producer, next: 0 }
    }

    /// The producer numbered.
    pub fn producer(&self) -> ProducerId {
        self.producer
    }

    /// The `seq` the next envelope will take.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// Takes the next `seq` for a record that extends the run sent last.
    pub(crate) fn take(&mut self) -> u64 {
        let seq = self.next;
        self.next += 1;
        seq
    }

    /// The next envelope: `records`, taking as many `seq`s.
    pub fn records(&mut self, records: PayloadRun) -> Envelope {
        let seq = self.next;
        self.next += records.len() as u64;
        Envelope::Records {
            producer: self.producer,
            seq,
            records,
        }
    }

    /// The next envelope: a record.
    pub fn record(&mut self, payload: impl Into<Payload>) -> Envelope {
        Envelope::Record {
            producer: self.producer,
            seq: self.take(),
            payload: payload.into(),
        }
    }

    /// The next envelope: a seal of the partition `key`.
    pub fn seal(&mut self, key: Tuple) -> Envelope {
        Envelope::Seal {
            producer: self.producer,
            seq: self.take(),
            key,
        }
    }

    /// The next envelope: the producer's end.
    pub fn end(&mut self) -> Envelope {
        Envelope::End {
            producer: self.producer,
            seq: self.take(),
        }
    }

    /// The next envelope: the producer's retirement (its end, and its seal
    /// of every partition it has not sealed).
    pub fn retire(&mut self) -> Envelope {
        Envelope::Retire {
            producer: self.producer,
            seq: self.take(),
        }
    }
}

/// The index of an input interface in its component's input list.
pub type InputId = usize;

/// The index of an output interface in its component's output list.
pub type OutputId = usize;

/// What reaches one component instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Straight from the producer, on input `input`.
    Direct {
        /// The input interface.
        input: InputId,
        /// The message.
        envelope: Envelope,
    },
    /// Through the sequencer of a dynamically ordered input: `position` in
    /// the group's total order.
    Ordered {
        /// The position assigned by the sequencer.
        position: u64,
        /// The input interface.
        input: InputId,
        /// The message.
        envelope: Envelope,
    },
}

impl Delivery {
    /// The message carried.
    pub fn envelope(&self) -> &Envelope {
        match self {
            Delivery::Direct { envelope, .. } | Delivery::Ordered { envelope, .. } => envelope,
        }
    }

    /// The input interface it is for.
    pub fn input(&self) -> InputId {
        match self {
            Delivery::Direct { input, .. } | Delivery::Ordered { input, .. } => *input,
        }
    }
}
