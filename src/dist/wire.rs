//! The binary encoding of one link frame: what one process publishes to
//! another for a batch of messages on one link ([`Delivery`]s with the
//! sending producer, its incarnation's epoch and the link sequence number of
//! the first, see [`link`](super::link)), and of the registration of a
//! producer's incarnation ([`Registration`]; receivers fence older
//! incarnations).
//!
//! # Layout (version 6)
//!
//! ```text
//! message  = version:u8(=6) body crc:u32le    ; CRC-32 of version and body
//! body     = 0 frame | 1 from epoch | 2 from epoch input
//!          | 3 from epoch input position      ; frame, registration, retirement,
//!                                             ; retirement in an ordered group's order
//!          | 4 from epoch input position count skipped* filled
//!                                             ; the same with its account of the
//!                                             ; retired producer's positions
//! filled   = count byte*                      ; empty, or a whole message
//!                                             ; (version to crc) of a frame
//! frame    = from epoch link_seq count schema* count message*
//! schema   = count name*                      ; names in order, each once
//! message  = 0 input envelope | 1 position input envelope
//!                                             ; Direct, Ordered
//! envelope = 0 producer seq tuple | 1 producer seq tuple
//!          | 2 producer seq | 3 producer seq  ; Record, Seal, End, Retire
//!          | 4 producer seq count tuple*      ; Records: a run, count >= 1
//! tuple    = schema_index count value*        ; values in the schema's order
//! value    = a blazes::Value as its serde impl writes it
//!                                             ; Int(i64) is 0 zigzag, Str 1 string
//! ```
//!
//! Everything after the version byte is [postcard](https://docs.rs/postcard)
//! (serde) of private mirrors of the runtime's types (`Body`, `FrameHead`,
//! `WireDelivery`, `WireEnvelope`, `WireTuple`), so the runtime's types
//! carry no wire concerns: every integer (a variant index, a count, `from`,
//! `epoch`, `link_seq`, ...) is a varint, a signed one zigzagged first, and
//! a string (a `name`) is its length then its UTF-8 bytes. Attribute values
//! go through [`Value`](crate::tuple::Value)'s own serde impl, so a new kind
//! of value needs nothing here. A frame is the body's header (`FrameHead`:
//! `from` to the message count) followed by its messages, each encoded by
//! postcard on its own as it joins the batch (`FrameWriter`) and read
//! back one after the other (`postcard::take_from_bytes`), in one pass.
//! These are the bytes version 6 wrote and read by hand until then (issue
//! 11: serialisation goes through serde and a kept format).
//!
//! # Retirements
//!
//! A retirement into an ordered group's order (body 3) carries no account
//! when the retired producer left no position of the order unpublished;
//! otherwise it is body 4: `skipped` lists, strictly increasing, the
//! positions the producer was given and never published to any member,
//! and `filled` the ordered messages of the producer this member lacks and
//! another member holds, as an encoded frame of the retiring incarnation
//! (its `from` and `epoch`, link position 0; its messages all `Ordered`).
//! Body 4 with neither is refused (body 3 is that retirement's encoding),
//! so each retirement still has one encoding; body 3 is unchanged.
//!
//! # Batches
//!
//! A frame carries a batch: `messages` is a count (varint) then that many
//! messages of one link, at consecutive link positions: the `i`-th (from 0)
//! is at link position `link_seq + i`. A frame holds at least one message,
//! and its last position must not pass `u64::MAX`; both are refused
//! otherwise. The receiver orders and drops duplicates *per message*, by
//! position ([`LinkReceiver`](super::link::LinkReceiver)), so a batch is
//! handled exactly once even when it is seen in part: a restarted producer
//! may cut its replay into other batches, whose positions overlap what was
//! delivered, and only the positions not yet delivered go through. A
//! message is `Direct { input,
//! envelope }` or `Ordered { position, input, envelope }`; `envelope` is
//! `Record { producer, seq, payload }`, `Seal { producer, seq, key }`,
//! `End { producer, seq }`, `Retire { producer, seq }` or `Records {
//! producer, seq, records }`.
//!
//! # Runs
//!
//! A run of records ([`Envelope::Records`](crate::runtime::node::envelope::Envelope::Records):
//! one producer's records numbered `seq`, `seq + 1`, ..) is one message
//! at one link position: its producer, the first's `seq`, the number of
//! records (at least one), then each record's tuple, in the frame's
//! schemas like any other tuple. It reads back as a run of those tuples;
//! a run of typed records crosses as its tuples, as a single typed record
//! does. Variant 4 was added within version 6 (a reader of earlier code
//! refuses such a frame as not decoding, counts and skips it): frames
//! without runs are the bytes they were.
//!
//! # Schemas
//!
//! The records of a batch usually share their attribute names, so a frame
//! writes each list of names once: `schemas` is a count then that many
//! schemas, each a count then that many names (strings), in name order,
//! each name once. A tuple (a payload or a seal's key) is `(schema,
//! values)`: the number of its schema in the frame (from 0) then its values
//! in the schema's order, as a count (which must equal the schema's) then
//! that many values. The schemas are numbered in the order the frame's
//! messages first use them, and a frame holds only schemas it uses. The
//! version byte stays outside the body, so a frame of another version is
//! named as such before its body is read.
//!
//! The trailing CRC-32 (IEEE, as in zlib, little-endian; `crc32fast`)
//! covers every byte before it, and [`decode`] checks it before reading
//! anything else (issue 15: without it, 18% of randomly mutated frames
//! decoded to another valid frame; now a mutation passes only if it also
//! matches the checksum, about one in 2^32, and any burst of 32 bits or
//! fewer never does). Version 5 was the same with each tuple's names written
//! beside its values (issue 14: a third of a small record's bytes, and a
//! string to allocate per attribute on decoding), version 4 that with one
//! message per frame, version 3 that in a hand-written varint layout,
//! versions 1 and 2 the same without the checksum or the epoch; all are
//! refused.
//!
//! Every message has exactly one encoding, and [`decode`] refuses any
//! other. Postcard reads varints that are longer than they need be, so
//! each part read (the body's header, then each message up to its tuple,
//! then its tuple) is encoded again as it was read, into a postcard flavor
//! that compares with the bytes it came from instead of writing; the
//! reader checks the rest (a schema's names in order, each once, as a
//! [`Tuple`](crate::tuple::Tuple) keeps them; schemas distinct, numbered
//! in the order of first use, all used; a tuple's values as many as its
//! schema's names). Comparing the encoding, not a rule per kind of value,
//! holds a value whose serde impl has several readings of its bytes (a
//! nested record's names out of order, say) to its one encoding too. So
//! overlong varints, such schemas and trailing bytes are refused, and a
//! message that decodes re-encodes to the same bytes (the property tests
//! and the fuzz target check both ways). Decoding never panics and
//! allocates no more than the input's length justifies: names are
//! borrowed from the input until the header is checked, each schema's
//! names are made once per frame and shared by its tuples, and no
//! declared count preallocates more than the bytes left could hold
//! (postcard gives serde no size hint past them).

use serde::{Deserialize, Serialize};

mod reader;
mod writer;

pub(crate) use writer::FrameWriter;

use crate::runtime::node::envelope::{Delivery, InputId, ProducerId};

/// The version byte that starts every message this module writes;
/// [`decode`] rejects any other.
pub const WIRE_VERSION: u8 = 6;

/// Bytes of the trailing checksum.
pub const CHECKSUM_LEN: usize = 4;

/// A batch of messages on a link between two processes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The producer that sent the frame (the link's sending end).
    pub from: ProducerId,
    /// The epoch of the producer's incarnation that sent it (see
    /// [`Registration`]).
    pub epoch: u64,
    /// The link position of the first message, from 0 (see
    /// [`LinkCounters`](super::link::LinkCounters)); message `i` is at
    /// `link_seq + i`.
    pub link_seq: u64,
    /// The messages for the receiving instance, in link order: at least
    /// one (see the module docs, "Batches").
    pub messages: Vec<Delivery>,
}

impl Frame {
    /// Each message with its link position.
    pub fn positioned(&self) -> impl Iterator<Item = (u64, &Delivery)> {
        (self.link_seq..).zip(&self.messages)
    }
}

/// A producer's new incarnation announcing its epoch on a destination's
/// subject, before anything it sends there: frames of an older epoch stored
/// after it are refused (the receiving cluster fences them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The producer.
    pub from: ProducerId,
    /// Its incarnation's epoch, larger than every earlier incarnation's.
    pub epoch: u64,
}

/// An operator's retirement of a producer on one input of a destination
/// (runtime spec, "Liveness and membership"): outside the producer's link
/// numbering, since the incarnation that retires a stopped producer does not
/// know where its links stopped. It is sent by a new incarnation, after its
/// [`Registration`], so the stopped one's frames stored later are refused;
/// retiring is idempotent, so a replayed retirement changes nothing.
///
/// A retirement into an ordered group carries its position in the group's
/// order (the sequencer's, for the producer's [`RETIREMENT_SEQ`]), so
/// every replica applies it at the same point of the order, and its
/// account of the producer's other positions: those it never published to
/// any member, which every member skips, and the messages this member
/// lacks that another member holds (see the module docs, "Retirements").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retirement {
    /// The retired producer.
    pub from: ProducerId,
    /// The epoch of the incarnation that sent the retirement.
    pub epoch: u64,
    /// The destination's input (0 for a sink) the producer feeds.
    pub input: InputId,
    /// Its position in the order of the destination's ordered group, for
    /// a member of one; `None` for a destination applied as it arrives.
    pub position: Option<u64>,
    /// Positions of the group's order the producer was given and never
    /// published to any member, strictly increasing (empty without a
    /// `position`).
    pub skipped: Vec<u64>,
    /// The producer's ordered messages (all [`Delivery::Ordered`]) that
    /// this member never received and another member did (empty without a
    /// `position`).
    pub filled: Vec<Delivery>,
}

impl Retirement {
    /// A retirement of `from` sent by incarnation `epoch`, on `input`, at
    /// `position` of an ordered group's order, with no account.
    pub fn new(from: ProducerId, epoch: u64, input: InputId, position: Option<u64>) -> Retirement {
        Retirement {
            from,
            epoch,
            input,
            position,
            skipped: Vec::new(),
            filled: Vec::new(),
        }
    }
}

/// The `seq` under which an operator's retirement of a producer takes its
/// position in an ordered group's order: one the producer never numbers a
/// message with, so asking the sequencer again (a retried retirement)
/// finds the position it already has.
pub const RETIREMENT_SEQ: u64 = u64::MAX;

/// What one message on a destination's subject is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A frame of a link.
    Frame(Frame),
    /// The registration of a producer's incarnation.
    Registration(Registration),
    /// An operator's retirement of a producer.
    Retirement(Retirement),
}

/// A message that does not decode (or does not encode): where and why,
/// and postcard's error when postcard refused it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {reason}")]
#[non_exhaustive]
pub struct WireError {
    /// The byte offset in the input where decoding failed: the version
    /// byte (0), the start of the body (1) when postcard refused it or it
    /// is not in its one canonical encoding, the checksum, or where
    /// trailing bytes start.
    pub offset: usize,
    /// What was wrong there.
    pub reason: String,
    /// What postcard said, when it refused the bytes (or a value).
    #[source]
    source: Option<postcard::Error>,
}

impl WireError {
    fn at(offset: usize, reason: impl Into<String>) -> WireError {
        WireError {
            offset,
            reason: reason.into(),
            source: None,
        }
    }

    /// Postcard refused what `what` names (`"the body does not decode"`,
    /// say).
    fn postcard(what: &str, source: postcard::Error) -> WireError {
        WireError {
            offset: BODY_AT,
            reason: what.to_string(),
            source: Some(source),
        }
    }
}

/// Where the body starts: after the version byte.
const BODY_AT: usize = 1;

/// What the body of a message is (the wire's mirror of [`Message`]). A
/// frame's body is its header; its messages follow it, each a
/// [`WireDelivery`].
#[derive(Serialize, Deserialize)]
enum Body<'a> {
    Frame(#[serde(borrow)] FrameHead<'a>),
    Registration {
        from: u32,
        epoch: u64,
    },
    Retirement {
        from: u32,
        epoch: u64,
        input: u64,
    },
    OrderedRetirement {
        from: u32,
        epoch: u64,
        input: u64,
        position: u64,
    },
    AccountedRetirement {
        from: u32,
        epoch: u64,
        input: u64,
        position: u64,
        skipped: Vec<u64>,
        #[serde(borrow)]
        filled: &'a [u8],
    },
}

/// The header of a frame: what precedes its messages.
#[derive(Serialize, Deserialize)]
struct FrameHead<'a> {
    from: u32,
    epoch: u64,
    link_seq: u64,
    /// Each schema's names, in name order (see the module docs).
    #[serde(borrow)]
    schemas: Vec<Vec<&'a str>>,
    /// How many messages follow.
    count: u64,
}

/// The wire's mirror of a [`Delivery`], its tuples `T` (a [`WireTuple`]).
#[derive(Serialize, Deserialize)]
enum WireDelivery<T> {
    Direct {
        input: u64,
        envelope: WireEnvelope<T>,
    },
    Ordered {
        position: u64,
        input: u64,
        envelope: WireEnvelope<T>,
    },
}

/// The wire's mirror of an [`Envelope`](crate::runtime::node::envelope::Envelope).
/// A run's `count` tuples follow the message (written and read one by
/// one, each as a [`WireTuple`]).
#[derive(Serialize, Deserialize)]
enum WireEnvelope<T> {
    Record { producer: u32, seq: u64, payload: T },
    Seal { producer: u32, seq: u64, key: T },
    End { producer: u32, seq: u64 },
    Retire { producer: u32, seq: u64 },
    Records { producer: u32, seq: u64, count: u64 },
}

/// A tuple on the wire: the number of its schema in the frame, then its
/// values `V` in the schema's order (a sequence of
/// [`Value`](crate::tuple::Value)s).
#[derive(Serialize, Deserialize)]
struct WireTuple<V> {
    schema: u64,
    values: V,
}

/// In place of a message's tuple, nothing: the reader reads a message up
/// to its tuple as a `WireDelivery<TupleFollows>`, then the tuple (into a
/// buffer of values kept from one tuple to the next).
#[derive(Serialize, Deserialize)]
struct TupleFollows;

/// `usize` is at most 64 bits on every target Rust supports; saturate rather
/// than panic should that ever change.
fn usize_to_u64(v: usize) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// The version byte, `body` in postcard, then the checksum.
fn seal(body: &Body<'_>) -> Result<Vec<u8>, WireError> {
    let out = postcard::to_extend(body, vec![WIRE_VERSION])
        .map_err(|e| WireError::postcard("the body does not encode", e))?;
    Ok(with_checksum(out))
}

/// `bytes` followed by their CRC-32.
fn with_checksum(mut bytes: Vec<u8>) -> Vec<u8> {
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes
}

/// Encodes a registration (layout in the module docs).
///
/// # Errors
/// None in practice: postcard fails only on sequences of unknown length
/// and on custom serialisation errors, which these types never produce.
pub fn encode_registration(registration: &Registration) -> Result<Vec<u8>, WireError> {
    seal(&Body::Registration {
        from: registration.from.0,
        epoch: registration.epoch,
    })
}

/// Encodes a retirement (layout in the module docs).
///
/// # Errors
/// None in practice, as for [`encode_registration`].
pub fn encode_retirement(retirement: &Retirement) -> Result<Vec<u8>, WireError> {
    let (from, epoch, input) = (
        retirement.from.0,
        retirement.epoch,
        usize_to_u64(retirement.input),
    );
    let accounted = !(retirement.skipped.is_empty() && retirement.filled.is_empty());
    let filled = if retirement.filled.is_empty() {
        Vec::new()
    } else {
        encode(&Frame {
            from: retirement.from,
            epoch,
            link_seq: 0,
            messages: retirement.filled.clone(),
        })?
    };
    check_account(&retirement.skipped, &retirement.filled)?;
    seal(&match (retirement.position, accounted) {
        (None, false) => Body::Retirement { from, epoch, input },
        (None, true) => {
            return Err(WireError::at(
                BODY_AT,
                "an account of positions without a position in the order",
            ));
        }
        (Some(position), false) => Body::OrderedRetirement {
            from,
            epoch,
            input,
            position,
        },
        (Some(position), true) => Body::AccountedRetirement {
            from,
            epoch,
            input,
            position,
            skipped: retirement.skipped.clone(),
            filled: &filled,
        },
    })
}

/// Refuses skipped positions that do not strictly increase, and filled
/// messages that are not ordered.
fn check_account(skipped: &[u64], filled: &[Delivery]) -> Result<(), WireError> {
    if skipped.windows(2).any(|w| w[0] >= w[1]) {
        return Err(WireError::at(
            BODY_AT,
            "skipped positions must strictly increase",
        ));
    }
    if filled
        .iter()
        .any(|d| !matches!(d, Delivery::Ordered { .. }))
    {
        return Err(WireError::at(
            BODY_AT,
            "a filled message that is not ordered",
        ));
    }
    Ok(())
}

/// Encodes a frame (layout in the module docs).
///
/// # Errors
/// A frame without messages, or whose last message's link position would
/// pass `u64::MAX` (see the module docs, "Batches"), or a value its serde
/// impl refuses to serialise.
pub fn encode(frame: &Frame) -> Result<Vec<u8>, WireError> {
    let mut writer = FrameWriter::new();
    for delivery in &frame.messages {
        writer.push(delivery)?;
    }
    writer.finish(frame.from, frame.epoch, frame.link_seq)
}

/// Refuses an empty batch, and one whose positions pass `u64::MAX`.
fn check_positions(link_seq: u64, count: u64) -> Result<(), WireError> {
    let Some(last) = count.checked_sub(1) else {
        return Err(WireError::at(BODY_AT, "a frame without messages"));
    };
    if link_seq.checked_add(last).is_none() {
        return Err(WireError::at(
            BODY_AT,
            format!("{count} messages from link position {link_seq} pass the last position"),
        ));
    }
    Ok(())
}

/// Decodes one frame that must span all of `bytes` (a registration is
/// refused: see [`decode_message`]).
///
/// # Errors
/// As [`decode_message`], and a registration or retirement.
pub fn decode(bytes: &[u8]) -> Result<Frame, WireError> {
    match decode_message(bytes)? {
        Message::Frame(frame) => Ok(frame),
        Message::Registration(_) => Err(WireError::at(0, "a registration, not a frame")),
        Message::Retirement(_) => Err(WireError::at(0, "a retirement, not a frame")),
    }
}

/// Decodes one frame or registration that must span all of `bytes`: its
/// checksum first, then its version, then its body, which must be the one
/// canonical encoding of what it decodes to.
///
/// # Errors
/// Bytes that are not the one encoding of a message (see the module docs):
/// a bad checksum, another version, what postcard refuses, any other
/// encoding of a message, broken rules of schemas and batches, trailing
/// bytes.
pub fn decode_message(bytes: &[u8]) -> Result<Message, WireError> {
    let Some(body_len) = bytes.len().checked_sub(CHECKSUM_LEN) else {
        return Err(WireError::at(
            0,
            format!(
                "{} bytes cannot hold a message and its {CHECKSUM_LEN}-byte checksum",
                bytes.len()
            ),
        ));
    };
    let (checked, trailer) = bytes.split_at(body_len);
    let mut stored = [0u8; CHECKSUM_LEN];
    stored.copy_from_slice(trailer);
    let stored = u32::from_le_bytes(stored);
    let computed = crc32fast::hash(checked);
    if stored != computed {
        return Err(WireError::at(
            body_len,
            format!("checksum mismatch: stored {stored:08x}, computed {computed:08x}"),
        ));
    }
    let Some((&version, body)) = checked.split_first() else {
        return Err(WireError::at(0, "input ends before the version"));
    };
    if version != WIRE_VERSION {
        return Err(WireError::at(
            0,
            format!("unsupported wire version {version} (expected {WIRE_VERSION})"),
        ));
    }
    let (decoded, rest) = reader::take_canonical::<Body<'_>>(body)?;
    let no_trailing = |rest: &[u8]| {
        if rest.is_empty() {
            return Ok(());
        }
        Err(WireError::at(
            body_len - rest.len(),
            format!("{} trailing bytes after the message", rest.len()),
        ))
    };
    let message = match decoded {
        Body::Frame(head) => {
            let (frame, rest) = reader::frame(head, rest)?;
            no_trailing(rest)?;
            // The reader's rules are the writer's: what one reads, the
            // other writes back byte for byte (checked in tests and
            // fuzzing).
            debug_assert_eq!(encode(&frame).as_deref(), Ok(bytes), "{frame:?}");
            Message::Frame(frame)
        }
        Body::Registration { from, epoch } => {
            no_trailing(rest)?;
            Message::Registration(Registration {
                from: ProducerId(from),
                epoch,
            })
        }
        Body::Retirement { from, epoch, input } => {
            no_trailing(rest)?;
            retirement(from, epoch, input, None)?
        }
        Body::OrderedRetirement {
            from,
            epoch,
            input,
            position,
        } => {
            no_trailing(rest)?;
            retirement(from, epoch, input, Some(position))?
        }
        Body::AccountedRetirement {
            from,
            epoch,
            input,
            position,
            skipped,
            filled,
        } => {
            no_trailing(rest)?;
            accounted_retirement(from, epoch, input, position, skipped, filled)?
        }
    };
    Ok(message)
}

/// A decoded retirement with its account, checked: not empty, skipped
/// positions increasing, the filled frame the retiring incarnation's at
/// link position 0 with ordered messages only.
fn accounted_retirement(
    from: u32,
    epoch: u64,
    input: u64,
    position: u64,
    skipped: Vec<u64>,
    filled: &[u8],
) -> Result<Message, WireError> {
    let filled = if filled.is_empty() {
        Vec::new()
    } else {
        let frame = decode(filled)
            .map_err(|e| WireError::at(BODY_AT, format!("the filled messages: {e}")))?;
        if (frame.from, frame.epoch, frame.link_seq) != (ProducerId(from), epoch, 0) {
            return Err(WireError::at(
                BODY_AT,
                "the filled messages are not a frame of the retiring incarnation at position 0",
            ));
        }
        frame.messages
    };
    if skipped.is_empty() && filled.is_empty() {
        return Err(WireError::at(
            BODY_AT,
            "an empty account (a retirement without one is body 3)",
        ));
    }
    check_account(&skipped, &filled)?;
    let Message::Retirement(mut r) = retirement(from, epoch, input, Some(position))? else {
        return Err(WireError::at(BODY_AT, "not a retirement"));
    };
    r.skipped = skipped;
    r.filled = filled;
    Ok(Message::Retirement(r))
}

/// A decoded retirement, its input checked.
fn retirement(
    from: u32,
    epoch: u64,
    input: u64,
    position: Option<u64>,
) -> Result<Message, WireError> {
    Ok(Message::Retirement(Retirement::new(
        ProducerId(from),
        epoch,
        usize::try_from(input)
            .map_err(|_| WireError::at(BODY_AT, format!("input {input} out of range")))?,
        position,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::node::envelope::Envelope;
    use crate::tuple::{Tuple, Value};

    fn record(payload: Tuple) -> Frame {
        Frame {
            from: ProducerId(7),
            epoch: 5,
            link_seq: 3,
            messages: vec![Delivery::Direct {
                input: 1,
                envelope: Envelope::Record {
                    producer: ProducerId(7),
                    seq: 300,
                    payload: payload.into(),
                },
            }],
        }
    }

    fn encoded(frame: &Frame) -> Vec<u8> {
        encode(frame).expect("encodes")
    }

    /// `checked` (version and body) followed by its checksum.
    fn sealed(checked: &[u8]) -> Vec<u8> {
        with_checksum(checked.to_vec())
    }

    /// The error of decoding `checked` with a valid checksum.
    fn err(checked: &[u8]) -> WireError {
        match decode_message(&sealed(checked)) {
            Ok(message) => panic!("{checked:?} decoded to {message:?}"),
            Err(e) => e,
        }
    }

    /// An encoding without its checksum.
    fn body_of(frame: &Frame) -> Vec<u8> {
        let mut bytes = encoded(frame);
        bytes.truncate(bytes.len() - CHECKSUM_LEN);
        bytes
    }

    /// Issue 14: a run of records crosses as one message (its producer,
    /// first `seq`, count, then its tuples in the frame's schemas), reads
    /// back as a run of those tuples, and weighs its records in a batch; a
    /// malformed run is refused, never a panic.
    #[test]
    fn a_run_of_records_is_one_message_and_a_malformed_run_is_refused() {
        use crate::runtime::node::payload::{PayloadRun, test_run};
        let n = |v: i64| Tuple::new().with("n", v);
        let Some(run) = PayloadRun::from_tuples(vec![n(1), n(2)]) else {
            panic!("two tuples make a run");
        };
        let frame = Frame {
            from: ProducerId(7),
            epoch: 5,
            link_seq: 3,
            messages: vec![
                Delivery::Direct {
                    input: 1,
                    envelope: Envelope::Records {
                        producer: ProducerId(7),
                        seq: 300,
                        records: run,
                    },
                },
                Delivery::Direct {
                    input: 1,
                    envelope: Envelope::Seal {
                        producer: ProducerId(7),
                        seq: 302,
                        key: n(2),
                    },
                },
            ],
        };
        let good = body_of(&frame);
        assert_eq!(
            good,
            [
                6, 0, 7, 5, 3, // version, Body::Frame, from, epoch, link_seq
                1, 1, 1, b'n', // one schema: "n"
                2,    // two messages
                0, 1, // Direct, input 1
                4, 7, 0xac, 0x02, 2, // Records, producer 7, seq 300, two records
                0, 1, 0, 2, // schema 0, one value: Int(1)
                0, 1, 0, 4, // Int(2)
                0, 1, // Direct, input 1
                1, 7, 0xae, 0x02, // Seal, producer 7, seq 302
                0, 1, 0, 4, // n = 2
            ]
        );
        assert_eq!(decode(&sealed(&good)), Ok(frame.clone()));
        let mut writer = FrameWriter::new();
        for m in &frame.messages {
            writer.push(m).expect("encodes");
        }
        assert_eq!((writer.count(), writer.weight()), (2, 3));
        // A typed run crosses as its tuples.
        let typed = Frame {
            messages: vec![Delivery::Direct {
                input: 0,
                envelope: Envelope::Records {
                    producer: ProducerId(7),
                    seq: 0,
                    records: test_run(0..40),
                },
            }],
            ..frame.clone()
        };
        let back = decode(&encoded(&typed)).expect("decodes");
        assert_eq!(back, typed);
        assert_eq!(back.messages[0].envelope().record_count(), 40);
        // No records; more than the bytes left could hold; more than there
        // are (the seal's bytes read as records).
        let count_at = 16;
        for bad_count in [&[0u8][..], &[0xff, 0xff, 0x03], &[3]] {
            let mut bad = good.clone();
            bad.splice(count_at..=count_at, bad_count.iter().copied());
            let e = err(&bad);
            assert!(e.reason.contains("does not decode"), "{bad_count:?}: {e}");
        }
        for cut in 0..good.len() {
            err(&good[..cut]);
        }
        let empty = Frame {
            messages: vec![Delivery::Direct {
                input: 0,
                envelope: Envelope::Records {
                    producer: ProducerId(7),
                    seq: 0,
                    records: test_run(0..4).suffix(4),
                },
            }],
            ..frame
        };
        assert!(encode(&empty).is_err(), "a run of no records");
    }

    /// Issue 15: 18% of mutated frames decoded to another valid frame.
    #[test]
    fn a_frame_with_any_changed_byte_or_bit_is_refused_by_its_checksum() {
        let frame = record(Tuple::new().with("n", -2).with("w", "é"));
        let good = encoded(&frame);
        assert_eq!(decode(&good), Ok(frame));
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut bad = good.clone();
                bad[i] ^= 1 << bit;
                let e = decode(&bad).expect_err("a flipped bit is refused");
                assert!(e.reason.contains("checksum"), "byte {i} bit {bit}: {e}");
            }
        }
        // A valid body is refused without its checksum or with another's.
        let body = body_of(&record(Tuple::new().with("a", 1)));
        assert!(decode(&body).is_err());
        let mut swapped = body.clone();
        swapped.extend_from_slice(&good[good.len() - CHECKSUM_LEN..]);
        assert!(
            decode(&swapped)
                .expect_err("refused")
                .reason
                .contains("checksum")
        );
        assert!(
            decode(&[])
                .expect_err("refused")
                .reason
                .contains("checksum")
        );
    }

    /// The version byte, then postcard: varints, zigzagged signed integers,
    /// variant indices, length-prefixed strings, the frame's schemas before
    /// its messages; then the CRC-32.
    #[test]
    fn layout_of_a_small_record_is_as_documented() {
        let frame = record(Tuple::new().with("n", -2).with("w", "é"));
        let bytes = encoded(&frame);
        assert_eq!(
            bytes[..bytes.len() - CHECKSUM_LEN],
            [
                6, // version
                0, // Body::Frame
                7, // from
                5, // epoch
                3, // link_seq
                1, // one schema
                2, 1, b'n', 1, b'w', // two names: "n", "w"
                1,    // one message
                0, 1, // Direct, input 1
                0, 7, 0xac, 0x02, // Record, producer 7, seq 300
                0, 2, // schema 0, two values
                0, 3, // Int(-2) zigzags to 3
                1, 2, 0xc3, 0xa9, // Str("é")
            ]
        );
        let crc = crc32fast::hash(&bytes[..bytes.len() - CHECKSUM_LEN]);
        assert_eq!(bytes[bytes.len() - CHECKSUM_LEN..], crc.to_le_bytes());
        assert_eq!(decode(&bytes), Ok(frame));
    }

    /// Issue 14: a batch's records with the same names share one schema,
    /// and records with other names (or none) get theirs, in order of first
    /// use; decoded tuples share their schema's names.
    #[test]
    fn records_of_a_batch_share_their_schema() {
        let message = |payload: Tuple| Delivery::Direct {
            input: 0,
            envelope: Envelope::Record {
                producer: ProducerId(1),
                seq: 0,
                payload: payload.into(),
            },
        };
        let ab = |n: i64| Tuple::new().with("a", n).with("b", "x");
        let frame = Frame {
            from: ProducerId(1),
            epoch: 1,
            link_seq: 0,
            messages: vec![
                message(ab(1)),
                message(Tuple::new()),
                message(ab(2)),
                message(Tuple::new().with("a", 3)),
            ],
        };
        let bytes = encoded(&frame);
        // version, Frame, from, epoch, link_seq, then three schemas.
        assert_eq!(
            bytes[..15],
            [6, 0, 1, 1, 0, 3, 2, 1, b'a', 1, b'b', 0, 1, 1, b'a']
        );
        // Four messages; each record (after Direct, input, Record,
        // producer, seq) names its schema: 0, 1, 0, 2.
        assert_eq!(bytes[15], 4);
        let schemas: Vec<u8> = [21, 33, 40, 52].into_iter().map(|i| bytes[i]).collect();
        assert_eq!(schemas, [0, 1, 0, 2]);
        let decoded = decode(&bytes).expect("decodes");
        assert_eq!(decoded, frame);
        let names = |m: &Delivery| match m {
            Delivery::Direct {
                envelope: Envelope::Record { payload, .. },
                ..
            } => payload
                .tuple()
                .fields()
                .map(|(n, _)| n.as_ptr())
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(names(&decoded.messages[0]), names(&decoded.messages[2]));
        // A record of schema 0 takes 12 bytes: its envelope (5), schema
        // and count (2), values (2 + 3), and none for its names.
        let one = encoded(&Frame {
            messages: vec![message(ab(1))],
            ..frame.clone()
        });
        let two = encoded(&Frame {
            messages: vec![message(ab(1)), message(ab(2))],
            ..frame
        });
        assert_eq!(two.len() - one.len(), 12);
    }

    #[test]
    fn every_variant_and_extreme_round_trips() {
        let tuple = Tuple::new()
            .with("max", i64::MAX)
            .with("min", i64::MIN)
            .with("zero", 0)
            .with("", "")
            .with("s", "日本語 \u{1F600}");
        for envelope in [
            Envelope::Record {
                producer: ProducerId(u32::MAX),
                seq: u64::MAX,
                payload: tuple.clone().into(),
            },
            Envelope::Seal {
                producer: ProducerId(0),
                seq: 0,
                key: tuple.clone(),
            },
            Envelope::End {
                producer: ProducerId(1),
                seq: 1 << 63,
            },
            Envelope::Retire {
                producer: ProducerId(2),
                seq: 0,
            },
        ] {
            for delivery in [
                Delivery::Direct {
                    input: usize::MAX,
                    envelope: envelope.clone(),
                },
                Delivery::Ordered {
                    position: u64::MAX,
                    input: 0,
                    envelope: envelope.clone(),
                },
            ] {
                let frame = Frame {
                    from: ProducerId(u32::MAX),
                    epoch: u64::MAX,
                    link_seq: u64::MAX,
                    messages: vec![delivery],
                };
                assert_eq!(decode(&encoded(&frame)), Ok(frame));
            }
        }
    }

    #[test]
    fn retirements_round_trip_and_are_not_frames() {
        for position in [None, Some(0), Some(41)] {
            let retirement = Retirement::new(ProducerId(3), 7, 2, position);
            let bytes = encode_retirement(&retirement).expect("encodes");
            assert_eq!(decode_message(&bytes), Ok(Message::Retirement(retirement)));
            assert!(decode(&bytes).is_err());
        }
    }

    fn ordered_end(position: u64) -> Delivery {
        Delivery::Ordered {
            position,
            input: 1,
            envelope: Envelope::End {
                producer: ProducerId(3),
                seq: position,
            },
        }
    }

    /// A retirement's account round-trips; a retirement without one keeps
    /// body 3's bytes (its encoding before accounts), and an empty,
    /// unordered or disordered account is refused both ways.
    #[test]
    fn accounted_retirements_round_trip_and_keep_the_old_encoding_without_one() {
        let plain = Retirement::new(ProducerId(3), 7, 2, Some(41));
        let bytes = encode_retirement(&plain).expect("encodes");
        assert_eq!(bytes[1], 3, "body 3, as before accounts");
        for (skipped, filled) in [
            (vec![4, 9], vec![]),
            (vec![], vec![ordered_end(5)]),
            (vec![1], vec![ordered_end(5), ordered_end(8)]),
        ] {
            let mut r = plain.clone();
            r.skipped = skipped;
            r.filled = filled;
            let bytes = encode_retirement(&r).expect("encodes");
            assert_eq!(bytes[1], 4);
            assert_eq!(decode_message(&bytes), Ok(Message::Retirement(r)));
        }
        let mut disordered = plain.clone();
        disordered.skipped = vec![9, 4];
        assert!(encode_retirement(&disordered).is_err());
        let mut direct = plain.clone();
        direct.filled = vec![Delivery::Direct {
            input: 1,
            envelope: Envelope::End {
                producer: ProducerId(3),
                seq: 5,
            },
        }];
        assert!(encode_retirement(&direct).is_err());
        let mut unplaced = Retirement::new(ProducerId(3), 7, 2, None);
        unplaced.skipped = vec![1];
        assert!(encode_retirement(&unplaced).is_err());
        // Body 4 with an empty account, and with disordered positions.
        for skipped in [vec![], vec![9, 4]] {
            let body = Body::AccountedRetirement {
                from: 3,
                epoch: 7,
                input: 2,
                position: 41,
                skipped,
                filled: &[],
            };
            let bytes = seal(&body).expect("encodes");
            assert!(decode_message(&bytes).is_err());
        }
    }

    #[test]
    fn rejects_other_versions_bad_tags_and_trailing_bytes() {
        let good = body_of(&record(Tuple::new().with("a", 1)));
        for version in [1, 2, 3, 4, 5, 7] {
            let mut bad = good.clone();
            bad[0] = version;
            let e = err(&bad);
            assert_eq!(e.offset, 0);
            assert!(e.reason.contains("version"), "{e}");
        }
        let mut bad = good.clone();
        bad[1] = 4; // Body variant
        assert!(err(&bad).reason.contains("does not decode"));
        let mut bad = good.clone();
        bad[10] = 9; // delivery variant
        assert!(err(&bad).reason.contains("does not decode"));
        let mut bad = good.clone();
        bad[12] = 5; // envelope variant
        assert!(err(&bad).reason.contains("does not decode"));
        let mut bad = good.clone();
        let value_tag = bad.len() - 2;
        bad[value_tag] = 100; // no Value has that many variants
        let e = err(&bad);
        assert!(e.reason.contains("does not decode"), "{e}");
        assert!(
            std::error::Error::source(&e).is_some(),
            "postcard's error kept"
        );

        let mut bad = good.clone();
        bad.push(0);
        let e = err(&bad);
        assert_eq!(e.offset, good.len());
        assert_eq!(
            e.to_string(),
            format!("byte {}: 1 trailing bytes after the message", good.len())
        );

        assert!(err(&[]).reason.contains("version"));
        for cut in 0..good.len() {
            err(&good[..cut]);
        }
        for cut in 0..good.len() + CHECKSUM_LEN {
            let sealed = sealed(&good);
            assert!(decode(&sealed[..cut]).is_err(), "cut at {cut}");
        }
    }

    /// Postcard itself accepts overlong varints; the canonical check does not.
    #[test]
    fn rejects_non_canonical_and_out_of_range_integers() {
        // from = 0 written in two bytes.
        let e = err(&[6, 1, 0x80, 0x00, 0]);
        assert_eq!(e.offset, BODY_AT);
        assert!(e.reason.contains("canonical"), "{e}");
        // from = 2^32 does not fit a ProducerId.
        assert!(
            err(&[6, 1, 0x80, 0x80, 0x80, 0x80, 0x10, 0])
                .reason
                .contains("does not decode")
        );
        // An epoch of eleven bytes / a tenth byte above 1.
        let mut long = vec![6, 1, 0];
        long.extend([0xff; 9]);
        long.push(0x02);
        assert!(err(&long).reason.contains("does not decode"));
        // The largest u64 is accepted as an epoch.
        let mut max = vec![6, 1, 0];
        max.extend([0xff; 9]);
        max.push(0x01);
        assert_eq!(
            decode_message(&sealed(&max)),
            Ok(Message::Registration(Registration {
                from: ProducerId(0),
                epoch: u64::MAX
            }))
        );
    }

    /// A frame's header and each of its messages are held to their one
    /// encoding: any integer written longer than it need be is refused,
    /// in the header, in the first message or in a later one.
    #[test]
    fn rejects_overlong_integers_anywhere_in_a_frame() {
        let frame = record(Tuple::new().with("n", -2).with("w", "é"));
        let good = body_of(&frame);
        // Every single-byte integer of the documented layout (see
        // `layout_of_a_small_record_is_as_documented`), made two bytes.
        for at in [2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22] {
            let mut bad = good.clone();
            let byte = bad[at];
            assert!(byte < 0x80, "byte {at} is a one-byte varint");
            bad.splice(at..=at, [byte | 0x80, 0]);
            let e = err(&bad);
            assert!(e.reason.contains("canonical"), "byte {at}: {e}");
        }
        // seq = 300 in three bytes, in the second message of a batch.
        let mut two = frame.clone();
        two.messages.push(two.messages[0].clone());
        let mut bad = body_of(&two);
        let seq = bad.len() - 10; // 0xac 0x02 then the tuple (2 + 2 + 4)
        assert_eq!(bad[seq..seq + 2], [0xac, 0x02]);
        bad.splice(seq..seq + 2, [0xac, 0x82, 0x00]);
        let e = err(&bad);
        assert!(e.reason.contains("canonical"), "{e}");
        assert_eq!(decode(&encoded(&two)), Ok(two));
    }

    /// Issue 11's kinds of values go through `Value`'s serde impl with no
    /// code of their own here: they round-trip in payloads and keys, and
    /// bytes that decode to them but are not their encoding (an overlong
    /// float, a nested record's names out of order) are refused.
    #[test]
    fn issue_11_values_round_trip_and_are_read_in_their_own_encoding_only() {
        let values = [
            Value::Float(-0.0),
            Value::Float(f64::from_bits(0x7ff0_0000_0000_0001)),
            Value::Null,
            Value::Some(Box::new(Value::Null)),
            Value::from(vec![Value::Int(-1), Value::from(vec![])]),
            Value::from(Tuple::new().with("a", 1.5).with("b", "x")),
        ];
        for value in values {
            let tuple = Tuple::new().with("v", value.clone()).with("w", 1);
            let mut frame = record(tuple.clone());
            frame.messages.push(Delivery::Direct {
                input: 0,
                envelope: Envelope::Seal {
                    producer: ProducerId(7),
                    seq: 301,
                    key: tuple,
                },
            });
            assert_eq!(decode(&encoded(&frame)), Ok(frame), "{value}");
        }
        // Frame from 0 epoch 0 link_seq 0, one schema ("v"), one message:
        // Direct input 0, Record producer 0 seq 0, schema 0, one value.
        let with = |value: &[u8]| {
            [
                &[6u8, 0, 0, 0, 0, 1, 1, 1, b'v', 1, 0, 0, 0, 0, 0, 0, 1][..],
                value,
            ]
            .concat()
        };
        assert!(decode(&sealed(&with(&[2, 0x81, 0x01]))).is_ok());
        for value in [
            &[2u8, 0x81, 0x00][..],
            &[6, 2, 1, b'b', 0, 2, 1, b'a', 0, 2],
        ] {
            assert!(postcard::from_bytes::<Value>(value).is_ok(), "{value:?}");
            let e = err(&with(value));
            assert!(e.reason.contains("canonical"), "{value:?}: {e}");
        }
    }

    #[test]
    fn rejects_unrepresentable_tuples_and_bad_strings() {
        // Frame from 0 epoch 0 link_seq 0, its `schemas`, then one message:
        // Direct input 0, Record producer 0 seq 0, then `tuple`.
        let with = |schemas: &[u8], tuple: &[u8]| {
            [&[6u8, 0, 0, 0, 0][..], schemas, &[1, 0, 0, 0, 0, 0], tuple].concat()
        };
        let one_int = [0u8, 1, 0, 2]; // schema 0, one value: Int(1)
        assert!(decode(&sealed(&with(&[1, 1, 1, b'a'], &one_int))).is_ok());
        // Same name twice in a schema: a Tuple holds one value per name.
        let e = err(&with(&[1, 2, 1, b'a', 1, b'a'], &[0, 2, 0, 0, 0, 2]));
        assert!(e.reason.contains("canonical"), "{e}");
        // Names out of order would re-encode differently.
        assert!(
            err(&with(&[1, 2, 1, b'b', 1, b'a'], &[0, 2, 0, 0, 0, 2]))
                .reason
                .contains("canonical")
        );
        // A schema unused, repeated, or out of its order of first use.
        for (schemas, tuple) in [
            (&[2u8, 1, 1, b'a', 0][..], one_int),
            (&[2, 1, 1, b'a', 1, 1, b'a'], one_int),
            (&[2, 0, 1, 1, b'a'], [1, 1, 0, 2]),
        ] {
            let e = err(&with(schemas, &tuple));
            assert!(e.reason.contains("canonical"), "{schemas:?}: {e}");
        }
        // A schema the frame lacks, or another count of values.
        let e = err(&with(&[1, 1, 1, b'a'], &[1, 1, 0, 2]));
        assert!(e.reason.contains("schema 1 of 1"), "{e}");
        let e = err(&with(&[1, 1, 1, b'a'], &[0, 2, 0, 2, 0, 2]));
        assert!(e.reason.contains("2 values for a schema of 1"), "{e}");
        // Invalid UTF-8 in a name and in a value.
        assert!(
            err(&with(&[1, 1, 1, 0xff], &one_int))
                .reason
                .contains("does not decode")
        );
        assert!(
            err(&with(&[1, 1, 1, b'a'], &[0, 1, 1, 2, 0xc3, 0x28]))
                .reason
                .contains("does not decode")
        );
        // A declared length or count beyond the input is refused.
        let huge_len = with(&[1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f], &one_int);
        assert!(err(&huge_len).reason.contains("does not decode"));
        let huge_count = with(&[0xff, 0xff, 0xff, 0xff, 0x0f], &one_int);
        assert!(err(&huge_count).reason.contains("does not decode"));
        let huge_values = with(&[1, 1, 1, b'a'], &[0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(err(&huge_values).reason.contains("does not decode"));
        // An empty tuple is fine.
        assert!(decode(&sealed(&with(&[1, 0], &[0, 0]))).is_ok());
    }

    /// Issue 15, fix 3: a registration carries the incarnation's epoch and
    /// is told apart from a frame; a frame carries its epoch.
    #[test]
    fn registrations_round_trip_and_are_not_frames() {
        let registration = Registration {
            from: ProducerId(4),
            epoch: 1 << 40,
        };
        let bytes = encode_registration(&registration).expect("encodes");
        assert_eq!(
            decode_message(&bytes),
            Ok(Message::Registration(registration))
        );
        assert!(
            decode(&bytes)
                .expect_err("not a frame")
                .reason
                .contains("registration")
        );
        let frame = record(Tuple::new().with("a", 1));
        assert_eq!(
            decode_message(&encoded(&frame)),
            Ok(Message::Frame(frame.clone()))
        );
        // Nothing after a registration.
        let e = err(&[6u8, 1, 4, 9, 0]);
        assert!(e.reason.contains("trailing"), "{e}");
    }

    fn end(seq: u64) -> Delivery {
        Delivery::Ordered {
            position: seq,
            input: 0,
            envelope: Envelope::End {
                producer: ProducerId(2),
                seq,
            },
        }
    }

    /// Issue 14: a frame carries a batch of one link's messages, each at
    /// the next link position.
    #[test]
    fn a_batch_round_trips_with_one_position_per_message() {
        let frame = Frame {
            from: ProducerId(2),
            epoch: 1,
            link_seq: 10,
            messages: (0..3).map(end).collect(),
        };
        let bytes = encoded(&frame);
        // version, Frame, from, epoch, link_seq, no schema, three messages.
        assert_eq!(bytes[..7], [6, 0, 2, 1, 10, 0, 3]);
        let decoded = decode(&bytes).expect("decodes");
        assert_eq!(decoded, frame);
        let positions: Vec<u64> = decoded.positioned().map(|(p, _)| p).collect();
        assert_eq!(positions, [10, 11, 12]);
        // What a writer counts is what its messages and schemas take.
        let mut writer = FrameWriter::new();
        for m in &frame.messages {
            writer.push(m).expect("encodes");
        }
        assert_eq!(bytes.len(), 7 + writer.bytes() + CHECKSUM_LEN);
    }

    #[test]
    fn empty_batches_and_positions_past_the_last_are_refused() {
        let empty = Frame {
            from: ProducerId(2),
            epoch: 1,
            link_seq: 0,
            messages: Vec::new(),
        };
        assert!(encode(&empty).is_err());
        // Frame from 0 epoch 0 link_seq 0 with no messages.
        assert!(
            err(&[6, 0, 0, 0, 0, 0, 0])
                .reason
                .contains("without messages")
        );
        let last = Frame {
            link_seq: u64::MAX,
            messages: vec![end(0)],
            ..empty.clone()
        };
        assert_eq!(decode(&encoded(&last)), Ok(last.clone()));
        let past = Frame {
            messages: vec![end(0), end(1)],
            ..last
        };
        assert!(encode(&past).is_err());
        let mut body = body_of(&Frame {
            link_seq: 0,
            ..past
        });
        // link_seq u64::MAX in ten bytes, in place of 0.
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        body.splice(4..5, max);
        assert!(err(&body).reason.contains("last position"));
    }
}
