//! Writing a frame (see the [module docs](super), "Layout"): messages are
//! encoded once, as they are added, into the frame's message bytes, and
//! each payload or key names the frame's schema of its attribute names
//! (schemas numbered in the order the frame first uses them), so a frame
//! carries each list of names once and every record only its values.

use serde::ser::{Serialize, SerializeTuple, Serializer};

use super::{BODY_AT, WIRE_VERSION, WireError, check_positions, usize_to_u64, with_checksum};
use crate::runtime::envelope::{Envelope, Inbound, ProducerId};
use crate::tuple::{Tuple, Value};

/// The variant index of `Body::Frame`: postcard writes it as this one-byte
/// varint.
const FRAME_VARIANT: u8 = 0;

/// A frame being written: its schemas, and its messages already encoded.
#[derive(Debug, Default)]
pub(crate) struct FrameWriter {
    /// One tuple of each schema (its names are the schema's), in the order
    /// the messages first use them.
    schemas: Vec<Tuple>,
    /// The bytes the schemas take in the frame.
    schema_bytes: usize,
    /// The encoded messages, one after the other.
    messages: Vec<u8>,
    /// How many messages `messages` holds.
    count: usize,
}

/// Where a [`FrameWriter`] was, to take back a message added after it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    schemas: usize,
    schema_bytes: usize,
    messages: usize,
    count: usize,
}

impl FrameWriter {
    /// A frame without messages.
    pub(crate) fn new() -> FrameWriter {
        FrameWriter::default()
    }

    /// The messages added.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The bytes the messages and their schemas take (the frame adds its
    /// header and checksum, under 40 bytes).
    pub(crate) fn bytes(&self) -> usize {
        self.messages.len() + self.schema_bytes
    }

    /// Where the writer is now.
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            schemas: self.schemas.len(),
            schema_bytes: self.schema_bytes,
            messages: self.messages.len(),
            count: self.count,
        }
    }

    /// Takes back every message (keeping the room they took).
    pub(crate) fn clear(&mut self) {
        self.schemas.clear();
        self.schema_bytes = 0;
        self.messages.clear();
        self.count = 0;
    }

    /// Takes back everything added since `mark`.
    pub(crate) fn rollback(&mut self, mark: Mark) {
        self.schemas.truncate(mark.schemas);
        self.schema_bytes = mark.schema_bytes;
        self.messages.truncate(mark.messages);
        self.count = mark.count;
    }

    /// Encodes `inbound` after the messages added before it.
    ///
    /// # Errors
    /// None in practice (see [`encode`](super::encode)).
    pub(crate) fn push(&mut self, inbound: &Inbound) -> Result<(), WireError> {
        let message = self.message(inbound);
        let messages = std::mem::take(&mut self.messages);
        self.messages = postcard::to_extend(&message, messages)
            .map_err(|e| WireError::at(BODY_AT, format!("a message does not encode: {e}")))?;
        self.count += 1;
        Ok(())
    }

    /// The frame of the messages added, sent by `from` in epoch `epoch`,
    /// the first at link position `link_seq`: the whole message, checksum
    /// included.
    ///
    /// # Errors
    /// No message, or positions past `u64::MAX` (see
    /// [`encode`](super::encode)).
    pub(crate) fn finish(
        &self,
        from: ProducerId,
        epoch: u64,
        link_seq: u64,
    ) -> Result<Vec<u8>, WireError> {
        check_positions(link_seq, self.count)?;
        let schemas: Vec<Vec<&str>> = self
            .schemas
            .iter()
            .map(|t| t.fields().map(|(name, _)| name).collect())
            .collect();
        let mut out = Vec::with_capacity(self.bytes() + 48);
        out.extend([WIRE_VERSION, FRAME_VARIANT]);
        let head = (from.0, epoch, link_seq, schemas, usize_to_u64(self.count));
        let mut out = postcard::to_extend(&head, out)
            .map_err(|e| WireError::at(BODY_AT, format!("the header does not encode: {e}")))?;
        out.extend_from_slice(&self.messages);
        Ok(with_checksum(out))
    }

    /// The wire form of `inbound`, its tuple given its schema.
    fn message<'a>(&mut self, inbound: &'a Inbound) -> OutInbound<'a> {
        match inbound {
            Inbound::Direct { input, envelope } => OutInbound::Direct {
                input: usize_to_u64(*input),
                envelope: self.envelope(envelope),
            },
            Inbound::Ordered {
                position,
                input,
                envelope,
            } => OutInbound::Ordered {
                position: *position,
                input: usize_to_u64(*input),
                envelope: self.envelope(envelope),
            },
        }
    }

    fn envelope<'a>(&mut self, envelope: &'a Envelope) -> OutEnvelope<'a> {
        match envelope {
            Envelope::Record {
                producer,
                seq,
                payload,
            } => OutEnvelope::Record {
                producer: producer.0,
                seq: *seq,
                payload: self.tuple(payload),
            },
            Envelope::Seal { producer, seq, key } => OutEnvelope::Seal {
                producer: producer.0,
                seq: *seq,
                key: self.tuple(key),
            },
            Envelope::End { producer, seq } => OutEnvelope::End {
                producer: producer.0,
                seq: *seq,
            },
            Envelope::Retire { producer, seq } => OutEnvelope::Retire {
                producer: producer.0,
                seq: *seq,
            },
        }
    }

    /// `tuple` with the number of its schema, added if new.
    fn tuple<'a>(&mut self, tuple: &'a Tuple) -> OutTuple<'a> {
        let schema = match self.schemas.iter().position(|s| same_names(s, tuple)) {
            Some(i) => i,
            None => {
                let names = || tuple.fields().map(|(name, _)| name.len());
                self.schema_bytes +=
                    varint_len(names().count()) + names().map(|n| varint_len(n) + n).sum::<usize>();
                self.schemas.push(tuple.clone());
                self.schemas.len() - 1
            }
        };
        OutTuple {
            schema: u32::try_from(schema).unwrap_or(u32::MAX),
            tuple,
        }
    }
}

/// Whether `a` and `b` have the same attribute names (one shared name, or
/// the same literal, is equal without comparing its bytes).
fn same_names(a: &Tuple, b: &Tuple) -> bool {
    let (mut a, mut b) = (a.fields(), b.fields());
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some((x, _)), Some((y, _))) if std::ptr::eq(x, y) || x == y => {}
            _ => return false,
        }
    }
}

/// The bytes of `n` as a varint.
fn varint_len(n: usize) -> usize {
    let bits = usize::BITS - n.leading_zeros();
    (bits.max(1) as usize).div_ceil(7)
}

/// The wire form of an [`Inbound`], as `WireInbound` reads it.
#[derive(serde::Serialize)]
enum OutInbound<'a> {
    Direct {
        input: u64,
        envelope: OutEnvelope<'a>,
    },
    Ordered {
        position: u64,
        input: u64,
        envelope: OutEnvelope<'a>,
    },
}

/// The wire form of an [`Envelope`], as `WireEnvelope` reads it.
#[derive(serde::Serialize)]
enum OutEnvelope<'a> {
    Record {
        producer: u32,
        seq: u64,
        payload: OutTuple<'a>,
    },
    Seal {
        producer: u32,
        seq: u64,
        key: OutTuple<'a>,
    },
    End {
        producer: u32,
        seq: u64,
    },
    Retire {
        producer: u32,
        seq: u64,
    },
}

/// A tuple on the wire: its schema's number, then its values in name
/// order (as `WireTuple` reads it).
struct OutTuple<'a> {
    schema: u32,
    tuple: &'a Tuple,
}

impl Serialize for OutTuple<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_tuple(2)?;
        out.serialize_element(&self.schema)?;
        out.serialize_element(&Values(self.tuple))?;
        out.end()
    }
}

/// A tuple's values in name order, as a sequence.
struct Values<'a>(&'a Tuple);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.fields().map(|(_, value)| match value {
            Value::Int(v) => super::WireValue::Int(*v),
            Value::Str(s) => super::WireValue::Str(s),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_lengths_match_postcard() {
        for n in [0usize, 1, 127, 128, 16_383, 16_384, usize::MAX] {
            let encoded = postcard::to_allocvec(&(n as u64)).expect("encodes");
            assert_eq!(varint_len(n), encoded.len(), "{n}");
        }
    }

    #[test]
    fn a_rolled_back_message_leaves_no_trace() {
        let record = |t: Tuple| Inbound::Direct {
            input: 0,
            envelope: Envelope::Record {
                producer: ProducerId(1),
                seq: 0,
                payload: t,
            },
        };
        let mut writer = FrameWriter::new();
        writer
            .push(&record(Tuple::new().with("a", 1)))
            .expect("encodes");
        let before = writer.finish(ProducerId(1), 1, 0).expect("a frame");
        let mark = writer.mark();
        writer
            .push(&record(Tuple::new().with("b", "x")))
            .expect("encodes");
        assert_eq!(writer.count(), 2);
        writer.rollback(mark);
        assert_eq!(writer.count(), 1);
        assert_eq!(writer.finish(ProducerId(1), 1, 0).expect("a frame"), before);
    }
}
