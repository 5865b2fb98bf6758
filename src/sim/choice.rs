//! A hook to choose the schedule from outside the simulator (issue 13): at
//! each step the simulator lists the actions it may take and a [`Chooser`]
//! picks one, instead of the seeded random choice. The schedule search of
//! [`crate::check`] drives it to enumerate and replay schedules.

use std::fmt;

use super::network::{From, To};
use crate::runtime::envelope::ProducerId;

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
    /// What the action changes: the source producer that emits, or the
    /// receiver of the delivery. Two actions on different receivers commute
    /// (each one changes only its receiver and appends to links leaving it;
    /// a link's head changes only when that link delivers), which is what
    /// the partial-order reduction of [`crate::check`] relies on.
    pub fn receiver(&self) -> Receiver {
        match *self {
            Choice::Emit { producer } => Receiver::Source(producer),
            Choice::Deliver { to, .. } => Receiver::Node(to),
        }
    }
}

/// The part of the simulated system an action changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Receiver {
    /// A source producer (its script position).
    Source(ProducerId),
    /// An instance, a sequencer or a sink.
    Node(To),
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
    /// Picks one of `enabled` (never empty) by its index; the simulator
    /// takes the first action for an index out of range.
    fn choose(&mut self, enabled: &[Choice]) -> usize;
}
