//! Writing a frame (see the [module docs](super), "Layout"): messages are
//! encoded once, as they are added, into the frame's message bytes, and
//! each payload or key names the frame's schema of its attribute names
//! (schemas numbered in the order the frame first uses them), so a frame
//! carries each list of names once and every record only its values.
//!
//! The messages are written by hand, byte for byte as postcard writes the
//! private mirror types the decoder reads (`WireInbound`), without serde
//! on this path (it runs once per message sent, and again per message
//! received, for the canonical check); the header goes through postcard.
//! The round-trip tests hold the two to the same bytes.

use super::{
    BODY_AT, FRAME_VARIANT, WIRE_VERSION, WireError, check_positions, usize_to_u64, with_checksum,
};
use crate::runtime::node::envelope::{Delivery, Envelope, ProducerId};
use crate::tuple::{Tuple, Value};

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
#[cfg_attr(not(feature = "zookeeper"), allow(dead_code))] // batching is the cluster's
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
    #[cfg_attr(not(feature = "zookeeper"), allow(dead_code))] // batching is the cluster's
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The bytes the messages and their schemas take (the frame adds its
    /// header and checksum, under 40 bytes).
    #[cfg_attr(not(feature = "zookeeper"), allow(dead_code))] // batching is the cluster's
    pub(crate) fn bytes(&self) -> usize {
        self.messages.len() + self.schema_bytes
    }

    /// Where the writer is now.
    #[cfg_attr(not(feature = "zookeeper"), allow(dead_code))] // batching is the cluster's
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            schemas: self.schemas.len(),
            schema_bytes: self.schema_bytes,
            messages: self.messages.len(),
            count: self.count,
        }
    }

    /// Takes back every message (keeping the room they took).
    #[cfg_attr(not(feature = "zookeeper"), allow(dead_code))] // batching is the cluster's
    pub(crate) fn clear(&mut self) {
        self.schemas.clear();
        self.schema_bytes = 0;
        self.messages.clear();
        self.count = 0;
    }

    /// Takes back everything added since `mark`.
    #[cfg_attr(not(feature = "zookeeper"), allow(dead_code))] // batching is the cluster's
    pub(crate) fn rollback(&mut self, mark: Mark) {
        self.schemas.truncate(mark.schemas);
        self.schema_bytes = mark.schema_bytes;
        self.messages.truncate(mark.messages);
        self.count = mark.count;
    }

    /// Encodes `delivery` after the messages added before it.
    pub(crate) fn push(&mut self, delivery: &Delivery) {
        match delivery {
            Delivery::Direct { input, envelope } => {
                varint(&mut self.messages, 0);
                varint(&mut self.messages, usize_to_u64(*input));
                self.envelope(envelope);
            }
            Delivery::Ordered {
                position,
                input,
                envelope,
            } => {
                varint(&mut self.messages, 1);
                varint(&mut self.messages, *position);
                varint(&mut self.messages, usize_to_u64(*input));
                self.envelope(envelope);
            }
        }
        self.count += 1;
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

    /// Writes `envelope` as `WireEnvelope` reads it: the variant's index,
    /// then its fields.
    fn envelope(&mut self, envelope: &Envelope) {
        let (variant, producer, seq, tuple) = match envelope {
            Envelope::Record {
                producer,
                seq,
                payload,
            } => (0, producer, seq, Some(payload)),
            Envelope::Seal { producer, seq, key } => (1, producer, seq, Some(key)),
            Envelope::End { producer, seq } => (2, producer, seq, None),
            Envelope::Retire { producer, seq } => (3, producer, seq, None),
        };
        varint(&mut self.messages, variant);
        varint(&mut self.messages, u64::from(producer.0));
        varint(&mut self.messages, *seq);
        if let Some(tuple) = tuple {
            self.tuple(tuple);
        }
    }

    /// Writes `tuple` as `WireTuple` reads it: the number of its schema
    /// (added if new), then its values in name order.
    fn tuple(&mut self, tuple: &Tuple) {
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
        let out = &mut self.messages;
        varint(out, usize_to_u64(schema));
        varint(out, usize_to_u64(tuple.fields().count()));
        for (_, value) in tuple.fields() {
            write_value(out, value);
        }
    }
}

/// Appends `value` as postcard writes it (`Value`'s serde encoding).
pub(super) fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Int(v) => {
            varint(out, 0);
            varint(out, zigzag(*v));
        }
        Value::Str(s) => {
            varint(out, 1);
            varint(out, usize_to_u64(s.len()));
            out.extend_from_slice(s.as_bytes());
        }
        // Issue 11's kinds, written as their serde encoding (variants 2 to
        // 6); the wire codec's own design is issue 9's.
        Value::Float(v) => {
            varint(out, 2);
            varint(out, v.to_bits());
        }
        Value::Null => varint(out, 3),
        Value::Some(inner) => {
            varint(out, 4);
            write_value(out, inner);
        }
        Value::List(items) => {
            varint(out, 5);
            varint(out, usize_to_u64(items.len()));
            for item in items.iter() {
                write_value(out, item);
            }
        }
        Value::Record(tuple) => {
            varint(out, 6);
            varint(out, usize_to_u64(tuple.fields().count()));
            for (name, v) in tuple.fields() {
                varint(out, usize_to_u64(name.len()));
                out.extend_from_slice(name.as_bytes());
                write_value(out, v);
            }
        }
    }
}

/// Appends `v` as postcard writes every unsigned integer, a variant index
/// and a length: a varint (LEB128), seven bits a byte, low bits first.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// `v` zigzagged, as postcard writes a signed integer (then as a varint).
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzags_are_postcards() {
        for n in [0u64, 1, 127, 128, 16_383, 16_384, u64::MAX] {
            let expected = postcard::to_allocvec(&n).expect("encodes");
            let mut written = Vec::new();
            varint(&mut written, n);
            assert_eq!(written, expected, "{n}");
            if let Ok(n) = usize::try_from(n) {
                assert_eq!(varint_len(n), expected.len(), "{n}");
            }
        }
        for v in [0i64, -1, 1, -2, 63, -64, 64, i64::MIN, i64::MAX] {
            let expected = postcard::to_allocvec(&v).expect("encodes");
            let mut written = Vec::new();
            varint(&mut written, zigzag(v));
            assert_eq!(written, expected, "{v}");
        }
    }

    #[test]
    fn a_rolled_back_message_leaves_no_trace() {
        let record = |t: Tuple| Delivery::Direct {
            input: 0,
            envelope: Envelope::Record {
                producer: ProducerId(1),
                seq: 0,
                payload: t,
            },
        };
        let mut writer = FrameWriter::new();
        writer.push(&record(Tuple::new().with("a", 1)));
        let before = writer.finish(ProducerId(1), 1, 0).expect("a frame");
        let mark = writer.mark();
        writer.push(&record(Tuple::new().with("b", "x")));
        assert_eq!(writer.count(), 2);
        writer.rollback(mark);
        assert_eq!(writer.count(), 1);
        assert_eq!(writer.finish(ProducerId(1), 1, 0).expect("a frame"), before);
    }
}
