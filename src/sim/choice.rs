//! A hook to choose the schedule from outside the simulator (issue 13): at
//! each step the simulator lists the actions it may take and a [`Chooser`]
//! picks one, instead of the seeded random choice. The schedule search of
//! [`crate::check`] drives it to enumerate and replay schedules.

use std::fmt;

use super::network::{From, To};
use crate::runtime::node::envelope::ProducerId;
use crate::runtime::node::topology::SinkId;

/// One action the simulator may take next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Choice {
    /// A source producer emits its next event (a record, a seal, or its end).
    Emit {
        /// The source producer.
        producer: ProducerId,
    },
    /// The link `from -> to` delivers the message at its head: the one
    /// numbered `seq` by `producer`.
    Deliver {
        /// The sending end.
        from: From,
        /// The receiving end.
        to: To,
        /// The producer that numbered the message.
        producer: ProducerId,
        /// Its number.
        seq: u64,
    },
}

impl Choice {
    /// What the action changes: the source producer that emits, the
    /// instance or sequencer a delivery reaches, or, for a sink, the link
    /// (a sink keeps each producer's records apart and deduplicates per
    /// producer, so deliveries from different links change different parts
    /// of it; only their arrival order interleaves). Two actions on
    /// different receivers commute (each changes only its receiver and
    /// appends to links leaving it; a link's head changes only when that
    /// link delivers), which the partial-order reduction of
    /// [`crate::check`] relies on.
    pub fn receiver(&self) -> Receiver {
        match *self {
            Choice::Emit { producer } => Receiver::Source(producer),
            Choice::Deliver {
                from,
                to: To::Sink(sink),
                ..
            } => Receiver::SinkLink(from, sink),
            Choice::Deliver { to, .. } => Receiver::Node(to),
        }
    }
}

/// The part of the simulated system an action changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Receiver {
    /// A source producer (its script position).
    Source(ProducerId),
    /// An instance or a sequencer.
    Node(To),
    /// The part of a sink fed by one link.
    SinkLink(From, SinkId),
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Emit { producer } => write!(f, "emit {producer}"),
            Choice::Deliver {
                from,
                to,
                producer,
                seq,
            } => write!(f, "deliver {from:?} -> {to:?} ({producer}#{seq})"),
        }
    }
}

/// Chooses the simulator's next action.
pub trait Chooser {
    /// Picks one of `enabled` (never empty) by its index (the simulator
    /// takes the first action for an index out of range), or `None` to end
    /// the run there (reported truncated).
    fn choose(&mut self, enabled: &[Choice]) -> Option<usize>;
}
