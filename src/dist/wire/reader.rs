//! Reading a frame (see the [module docs](super), "Layout" and "Schemas"),
//! in one pass: postcard reads the body's header, then each message in
//! turn (`postcard::take_from_bytes`). Each part read is encoded again
//! into a flavor that compares it with the bytes it came from (nothing is
//! allocated), so only its one encoding is accepted; the rules postcard
//! does not know (a schema's names in order, each once; schemas distinct,
//! numbered in the order of first use, all used; a tuple's values as many
//! as its schema's names) are checked here. Each schema's names are made
//! once and shared by its tuples; a tuple's values are read into a buffer
//! kept from one tuple to the next (a `DeserializeSeed`), then moved into
//! the tuple.

use std::collections::HashSet;
use std::sync::Arc;

use postcard::ser_flavors::Flavor;
use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::{
    BODY_AT, Frame, FrameHead, TupleFollows, WireDelivery, WireEnvelope, WireError, WireTuple,
    check_positions, usize_to_u64,
};
use crate::runtime::node::envelope::{Delivery, Envelope, ProducerId};
use crate::runtime::node::payload::PayloadRun;
use crate::tuple::{Tuple, Value};

/// A message as postcard reads it up to its tuple.
type ReadDelivery = WireDelivery<TupleFollows>;

/// The fewest bytes a message takes: its two variant indices, its input,
/// its producer and its sequence number, a byte each.
const SMALLEST_MESSAGE: usize = 5;

/// The fewest bytes a tuple takes: its schema's number and its count of
/// values, a byte each.
const SMALLEST_TUPLE: usize = 2;

/// Reads a `T` from the start of `bytes`, which must be `T`'s one
/// encoding; with the bytes after it.
pub(super) fn take_canonical<'a, T>(bytes: &'a [u8]) -> Result<(T, &'a [u8]), WireError>
where
    T: Deserialize<'a> + Serialize,
{
    let (value, rest) = postcard::take_from_bytes::<T>(bytes)
        .map_err(|e| WireError::postcard("the body does not decode", e))?;
    // `rest` is what is left of `bytes`.
    let read = &bytes[..bytes.len().saturating_sub(rest.len())];
    if !encodes_to(&value, read) {
        return Err(not_canonical(
            "it encodes to other bytes: an overlong integer, say",
        ));
    }
    Ok((value, rest))
}

/// Reads the messages of a frame whose header is `head` from `body` (what
/// follows the header); with the bytes after them.
pub(super) fn frame<'a>(
    head: FrameHead<'_>,
    mut body: &'a [u8],
) -> Result<(Frame, &'a [u8]), WireError> {
    let schemas = schemas(&head.schemas)?;
    let most = usize_to_u64(body.len() / SMALLEST_MESSAGE);
    if head.count > most {
        return Err(WireError::at(
            BODY_AT,
            format!(
                "the body does not decode: {} messages declared, {} bytes left",
                head.count,
                body.len()
            ),
        ));
    }
    check_positions(head.link_seq, head.count)?;
    // At most `most`, a usize.
    let count = usize::try_from(head.count).unwrap_or(0);
    let mut messages = Vec::with_capacity(count);
    let mut tuples = Tuples {
        schemas: &schemas,
        used: 0,
        values: Vec::new(),
    };
    for _ in 0..count {
        let (message, rest) = take_canonical::<ReadDelivery>(body)?;
        let (message, rest) = tuples.delivery(message, rest)?;
        body = rest;
        messages.push(message);
    }
    if tuples.used != schemas.len() {
        return Err(not_canonical("a schema no message uses"));
    }
    let frame = Frame {
        from: ProducerId(head.from),
        epoch: head.epoch,
        link_seq: head.link_seq,
        messages,
    };
    Ok((frame, body))
}

/// A refusal of bytes that decode but not from their one encoding.
fn not_canonical(what: &str) -> WireError {
    WireError::at(
        BODY_AT,
        format!("the body is not in its canonical encoding ({what})"),
    )
}

/// The schemas of a frame, checked (each one's names in order, each once;
/// no schema twice), their names made once.
fn schemas(schemas: &[Vec<&str>]) -> Result<Vec<Vec<Arc<str>>>, WireError> {
    let mut seen = HashSet::with_capacity(schemas.len());
    for names in schemas {
        if names.windows(2).any(|pair| pair[0] >= pair[1]) {
            return Err(not_canonical(
                "a schema's names repeated or out of name order",
            ));
        }
        if !seen.insert(names.as_slice()) {
            return Err(not_canonical("a schema repeated"));
        }
    }
    Ok(schemas
        .iter()
        .map(|names| names.iter().map(|&name| Arc::from(name)).collect())
        .collect())
}

/// A frame's schemas, and what reading its tuples needs.
struct Tuples<'s> {
    schemas: &'s [Vec<Arc<str>>],
    /// How many schemas the tuples read so far use (the first `used`).
    used: usize,
    /// The values of the tuple being read (kept for its room).
    values: Vec<Value>,
}

impl Tuples<'_> {
    /// `message`, read up to its tuple, with its tuple read from the start
    /// of `rest`; with the bytes after it.
    fn delivery<'a>(
        &mut self,
        message: ReadDelivery,
        rest: &'a [u8],
    ) -> Result<(Delivery, &'a [u8]), WireError> {
        let input = |input: u64| {
            usize::try_from(input).map_err(|_| {
                WireError::at(
                    BODY_AT,
                    format!("the body does not decode: input index {input} does not fit usize"),
                )
            })
        };
        Ok(match message {
            WireDelivery::Direct { input: i, envelope } => {
                let (envelope, rest) = self.envelope(envelope, rest)?;
                let input = input(i)?;
                (Delivery::Direct { input, envelope }, rest)
            }
            WireDelivery::Ordered {
                position,
                input: i,
                envelope,
            } => {
                let (envelope, rest) = self.envelope(envelope, rest)?;
                let input = input(i)?;
                let delivery = Delivery::Ordered {
                    position,
                    input,
                    envelope,
                };
                (delivery, rest)
            }
        })
    }

    fn envelope<'a>(
        &mut self,
        envelope: WireEnvelope<TupleFollows>,
        rest: &'a [u8],
    ) -> Result<(Envelope, &'a [u8]), WireError> {
        Ok(match envelope {
            WireEnvelope::Record { producer, seq, .. } => {
                let (payload, rest) = self.tuple(rest)?;
                let producer = ProducerId(producer);
                let record = Envelope::Record {
                    producer,
                    seq,
                    payload: payload.into(),
                };
                (record, rest)
            }
            WireEnvelope::Seal { producer, seq, .. } => {
                let (key, rest) = self.tuple(rest)?;
                let producer = ProducerId(producer);
                (Envelope::Seal { producer, seq, key }, rest)
            }
            WireEnvelope::End { producer, seq } => {
                let producer = ProducerId(producer);
                (Envelope::End { producer, seq }, rest)
            }
            WireEnvelope::Retire { producer, seq } => {
                let producer = ProducerId(producer);
                (Envelope::Retire { producer, seq }, rest)
            }
            WireEnvelope::Records {
                producer,
                seq,
                count,
            } => {
                let (records, rest) = self.run(count, rest)?;
                let producer = ProducerId(producer);
                let run = Envelope::Records {
                    producer,
                    seq,
                    records,
                };
                (run, rest)
            }
        })
    }

    /// A run's `count` tuples, from the start of `bytes`, as a run of
    /// records; with the bytes after them. A run holds at least one
    /// record, and no more than the bytes left could hold.
    fn run<'a>(
        &mut self,
        count: u64,
        mut bytes: &'a [u8],
    ) -> Result<(PayloadRun, &'a [u8]), WireError> {
        let most = usize_to_u64(bytes.len() / SMALLEST_TUPLE);
        if count == 0 || count > most {
            return Err(WireError::at(
                BODY_AT,
                format!(
                    "the body does not decode: a run of {count} records, {} bytes left",
                    bytes.len()
                ),
            ));
        }
        // At most `most`, a usize.
        let count = usize::try_from(count).unwrap_or(0);
        let mut tuples = Vec::with_capacity(count);
        for _ in 0..count {
            let (tuple, rest) = self.tuple(bytes)?;
            tuples.push(tuple);
            bytes = rest;
        }
        let Some(run) = PayloadRun::from_tuples(tuples) else {
            return Err(WireError::at(
                BODY_AT,
                "the body does not decode: a run too long",
            ));
        };
        Ok((run, bytes))
    }

    /// A tuple, from the start of `bytes`, in its one encoding: the
    /// schema it names (a schema not used before must be the next one),
    /// then as many values as the schema has names; with the bytes after
    /// it.
    fn tuple<'a>(&mut self, bytes: &'a [u8]) -> Result<(Tuple, &'a [u8]), WireError> {
        let decode = |e| WireError::postcard("the body does not decode", e);
        let mut de = postcard::Deserializer::from_bytes(bytes);
        let schema = u64::deserialize(&mut de).map_err(decode)?;
        self.values.clear();
        ValuesInto(&mut self.values)
            .deserialize(&mut de)
            .map_err(decode)?;
        let rest = de.finalize().map_err(decode)?;
        let read = &bytes[..bytes.len().saturating_sub(rest.len())];
        let wire = WireTuple {
            schema,
            values: self.values.as_slice(),
        };
        if !encodes_to(&wire, read) {
            return Err(not_canonical(
                "it encodes to other bytes: an overlong integer, say",
            ));
        }
        let found = usize::try_from(schema)
            .ok()
            .and_then(|i| self.schemas.get(i).map(|names| (i, names)));
        let Some((i, names)) = found else {
            return Err(WireError::at(
                BODY_AT,
                format!("schema {schema} of {} in the frame", self.schemas.len()),
            ));
        };
        if i > self.used {
            return Err(not_canonical("schemas out of their order of first use"));
        }
        self.used = self.used.max(i + 1);
        if self.values.len() != names.len() {
            return Err(WireError::at(
                BODY_AT,
                format!(
                    "{} values for a schema of {} names",
                    self.values.len(),
                    names.len()
                ),
            ));
        }
        Ok((Tuple::with_shared_names(names, self.values.drain(..)), rest))
    }
}

/// Reads a sequence of [`Value`]s (through their own serde impl) onto the
/// end of a buffer.
struct ValuesInto<'v>(&'v mut Vec<Value>);

impl<'de> DeserializeSeed<'de> for ValuesInto<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ValuesInto<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a sequence of values")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            self.0.push(value);
        }
        Ok(())
    }
}

/// Whether `value` encodes to exactly `bytes`.
fn encodes_to<T: Serialize>(value: &T, bytes: &[u8]) -> bool {
    matches!(
        postcard::serialize_with_flavor(value, Compare { expected: bytes }),
        Ok(true)
    )
}

/// A postcard flavor that compares what is written with the bytes
/// expected, and fails at the first difference.
struct Compare<'a> {
    /// What is still expected.
    expected: &'a [u8],
}

impl Flavor for Compare<'_> {
    /// Whether every byte expected was written.
    type Output = bool;

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        match self.expected.split_first() {
            Some((&expected, rest)) if expected == byte => {
                self.expected = rest;
                Ok(())
            }
            _ => Err(postcard::Error::SerializeBufferFull),
        }
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        let Some((expected, rest)) = self.expected.split_at_checked(bytes.len()) else {
            return Err(postcard::Error::SerializeBufferFull);
        };
        // Mostly a varint (postcard writes each in one piece) or a short
        // string: compared in place, cheaper than a call to `memcmp`.
        let same = if bytes.len() <= 16 {
            expected.iter().zip(bytes).all(|(a, b)| a == b)
        } else {
            expected == bytes
        };
        if !same {
            return Err(postcard::Error::SerializeBufferFull);
        }
        self.expected = rest;
        Ok(())
    }

    fn finalize(self) -> postcard::Result<bool> {
        Ok(self.expected.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` read as a `u64` that must span them all.
    fn canonical_u64(bytes: &[u8]) -> Result<u64, WireError> {
        let (v, rest) = take_canonical::<u64>(bytes)?;
        assert!(rest.is_empty(), "{bytes:?} read whole");
        Ok(v)
    }

    #[test]
    fn integers_are_read_in_their_shortest_form_only() {
        for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let bytes = postcard::to_allocvec(&v).expect("encodes");
            assert_eq!(canonical_u64(&bytes), Ok(v));
        }
        // Postcard reads these; they are not how it writes them.
        for overlong in [&[0x80, 0x00][..], &[0x81, 0x80, 0x00], &[0xff, 0x00]] {
            assert!(
                postcard::from_bytes::<u64>(overlong).is_ok(),
                "{overlong:?}"
            );
            let e = canonical_u64(overlong).expect_err("overlong");
            assert!(e.reason.contains("canonical"), "{e}");
        }
        // Past the width: a fifth byte above 15 for 32 bits, an eleventh byte.
        assert!(take_canonical::<u32>(&[0xff, 0xff, 0xff, 0xff, 0x10]).is_err());
        let mut long = vec![0xff; 9];
        long.push(0x02);
        assert!(canonical_u64(&long).is_err());
        let e = canonical_u64(&[0x80]).expect_err("ends early");
        assert!(e.reason.contains("does not decode"), "{e}");
        assert!(
            std::error::Error::source(&e).is_some(),
            "postcard's error kept"
        );
    }

    #[test]
    fn compare_matches_exactly_the_bytes_expected() {
        let bytes = postcard::to_allocvec(&(300u64, "ab")).expect("encodes");
        assert!(encodes_to(&(300u64, "ab"), &bytes));
        assert!(!encodes_to(&(300u64, "ab"), &bytes[..bytes.len() - 1]));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(!encodes_to(&(300u64, "ab"), &longer));
        assert!(!encodes_to(&(300u64, "ac"), &bytes));
    }
}
