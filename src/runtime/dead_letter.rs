//! Records the runtime refuses to merge, with the reason: never dropped
//! silently, always counted.

use std::fmt;

use crate::runtime::coordination::key_kinds::WrongKeyKind;
use crate::runtime::node::envelope::ProducerId;
use crate::tuple::Tuple;

/// Why a record went to the dead-letter path. More reasons may come: a
/// `match` on one outside this crate has a `_` arm.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DeadLetterReason {
    /// Its partition had already been released (seal buffer).
    Late,
    /// Its `seq` batch was already passed (static order): its producer had
    /// sent a record or seal of a later batch, or the batch was applied.
    OutOfSeqOrder,
    /// Its partition was never sealed before the run ended.
    NeverSealed,
    /// It lacks an attribute of the seal or sequence key.
    MissingKey(String),
    /// The handler has no such input interface.
    UnknownInput(String),
    /// The record is not the record type of its input (a typed component):
    /// the input and what does not fit.
    Undecodable {
        /// The input interface.
        input: String,
        /// Why the record does not decode.
        error: String,
    },
    /// The handler panicked while handling it; the panic's message (or a
    /// placeholder when the panic carried no string).
    HandlerPanicked(String),
    /// Its `seq` is `u64::MAX`, which no producer reaches (a corrupt or
    /// hostile peer): refused without moving the producer's watermark.
    SeqOutOfRange,
    /// A value of its seal or `seq` key has another kind than the first
    /// value its wrapper saw for that attribute.
    WrongKeyKind(WrongKeyKind),
    /// Across processes: it arrived ahead of a message of its link (from
    /// its producer to this instance) that never came, and the producer was
    /// retired, so the gap can no longer fill; `missing` is the first link
    /// position missing (docs/runtime.md, "Retirement").
    StrandedBehindGap {
        /// The first missing link position.
        missing: u64,
    },
    /// The run was stopped (`RunningDataflow::finish_within`) while it was
    /// on its way: received and not handled, or not yet sent.
    Abandoned,
}

/// Every name [`DeadLetterReason::kind`] gives.
pub(crate) const DEAD_LETTER_KINDS: [&str; 11] = [
    "late",
    "never sealed",
    "missing key attribute",
    "unknown input",
    "undecodable record",
    "handler panicked",
    "seq out of range",
    "wrong key kind",
    "out of seq order",
    "stranded behind a gap",
    "abandoned",
];

impl DeadLetterReason {
    /// The reason without its details, for counting dead letters by kind.
    /// (A new kind goes into `DEAD_LETTER_KINDS` too, for checkpoints.)
    pub fn kind(&self) -> &'static str {
        match self {
            DeadLetterReason::Late => "late",
            DeadLetterReason::OutOfSeqOrder => "out of seq order",
            DeadLetterReason::NeverSealed => "never sealed",
            DeadLetterReason::MissingKey(_) => "missing key attribute",
            DeadLetterReason::UnknownInput(_) => "unknown input",
            DeadLetterReason::Undecodable { .. } => "undecodable record",
            DeadLetterReason::HandlerPanicked(_) => "handler panicked",
            DeadLetterReason::SeqOutOfRange => "seq out of range",
            DeadLetterReason::WrongKeyKind(_) => "wrong key kind",
            DeadLetterReason::StrandedBehindGap { .. } => "stranded behind a gap",
            DeadLetterReason::Abandoned => "abandoned",
        }
    }
}

impl fmt::Display for DeadLetterReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeadLetterReason::Late => f.write_str(
                "late: its partition was already released (its producer sent it after \
                 sealing the partition, or after the partition was complete)",
            ),
            DeadLetterReason::OutOfSeqOrder => f.write_str(
                "out of `seq` order: its batch was already passed (each producer must send \
                 its records in non-decreasing `seq` order, a batch id, not a key)",
            ),
            DeadLetterReason::NeverSealed => f.write_str("its partition was never sealed"),
            DeadLetterReason::MissingKey(a) => write!(f, "missing key attribute `{a}`"),
            DeadLetterReason::UnknownInput(i) => write!(f, "no handler for input `{i}`"),
            DeadLetterReason::Undecodable { input, error } => {
                write!(f, "the record on input `{input}` does not decode: {error}")
            }
            DeadLetterReason::HandlerPanicked(m) => write!(f, "the handler panicked: {m}"),
            DeadLetterReason::SeqOutOfRange => f.write_str("its seq is out of range (u64::MAX)"),
            DeadLetterReason::WrongKeyKind(w) => w.fmt(f),
            DeadLetterReason::StrandedBehindGap { missing } => write!(
                f,
                "held behind link message {missing} of its producer, which never came: \
                 the producer was retired"
            ),
            DeadLetterReason::Abandoned => f.write_str(
                "the run was stopped (`finish_within`) while it was on its way: received and \
                 not handled, or not yet sent",
            ),
        }
    }
}

/// One dead-lettered record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The component instance that refused it.
    pub instance: ProducerId,
    /// The input interface it arrived on.
    pub input: String,
    /// Its producer.
    pub producer: ProducerId,
    /// Its producer's name, `Component[i]` or `source[i]`.
    pub producer_name: String,
    /// Its position in the producer's output.
    pub seq: u64,
    /// The record.
    pub payload: Tuple,
    /// Why.
    pub reason: DeadLetterReason,
}
