//! Writing a frame (see the [module docs](super), "Layout"): messages are
//! encoded once, as they are added, by postcard into the frame's message
//! bytes, and each payload or key names the frame's schema of its
//! attribute names (schemas numbered in the order the frame first uses
//! them), so a frame carries each list of names once and every record only
//! its values. The header (a [`Body`](super::Body) frame) goes in front
//! when the frame is finished.

use postcard::ser_flavors::Flavor;
use serde::{Serialize, Serializer};

use super::{
    BODY_AT, Body, FrameHead, WIRE_VERSION, WireDelivery, WireEnvelope, WireError, WireTuple,
    check_positions, usize_to_u64, with_checksum,
};
use crate::runtime::node::envelope::{Delivery, Envelope, ProducerId};
use crate::tuple::Tuple;

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
    /// Their weight: a run counts each of its records, any other message
    /// one.
    weight: usize,
}

/// Where a [`FrameWriter`] was, to take back a message added after it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    schemas: usize,
    schema_bytes: usize,
    messages: usize,
    count: usize,
    weight: usize,
}

/// A message as it is written: its tuples borrowed.
type WriteDelivery<'a> = WireDelivery<WireTuple<Values<'a>>>;

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

    /// The messages added, a run of records counting each of its records
    /// (what a batch's size is weighed by, as the tokio runner's links
    /// weigh theirs).
    #[cfg_attr(not(feature = "zookeeper"), allow(dead_code))] // batching is the cluster's
    pub(crate) fn weight(&self) -> usize {
        self.weight
    }

    /// The bytes the messages and their schemas take (the frame adds its
    /// header and checksum, under 40 bytes).
    #[cfg_attr(not(feature = "zookeeper"), allow(dead_code))] // batching is the cluster's
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
            weight: self.weight,
        }
    }

    /// Takes back every message (keeping the room they took).
    #[cfg_attr(not(feature = "zookeeper"), allow(dead_code))] // batching is the cluster's
    pub(crate) fn clear(&mut self) {
        self.schemas.clear();
        self.schema_bytes = 0;
        self.messages.clear();
        self.count = 0;
        self.weight = 0;
    }

    /// Takes back everything added since `mark`.
    pub(crate) fn rollback(&mut self, mark: Mark) {
        self.schemas.truncate(mark.schemas);
        self.schema_bytes = mark.schema_bytes;
        self.messages.truncate(mark.messages);
        self.count = mark.count;
        self.weight = mark.weight;
    }

    /// Encodes `delivery` after the messages added before it.
    ///
    /// # Errors
    /// A value its serde impl refuses to serialise (none of today's
    /// values); the writer is then as it was.
    pub(crate) fn push(&mut self, delivery: &Delivery) -> Result<(), WireError> {
        let mark = self.mark();
        let (input, envelope) = match delivery {
            Delivery::Direct { input, envelope }
            | Delivery::Ordered {
                input, envelope, ..
            } => (usize_to_u64(*input), envelope),
        };
        if let Envelope::Records { records, .. } = envelope
            && records.is_empty()
        {
            return Err(WireError::at(BODY_AT, "a run of no records"));
        }
        let envelope = self.envelope(envelope);
        let message: WriteDelivery<'_> = match delivery {
            Delivery::Direct { .. } => WireDelivery::Direct { input, envelope },
            Delivery::Ordered { position, .. } => WireDelivery::Ordered {
                position: *position,
                input,
                envelope,
            },
        };
        let mut written = postcard::serialize_with_flavor(&message, Append(&mut self.messages));
        if let (
            Ok(()),
            Delivery::Direct {
                envelope: Envelope::Records { records, .. },
                ..
            }
            | Delivery::Ordered {
                envelope: Envelope::Records { records, .. },
                ..
            },
        ) = (&written, delivery)
        {
            // The run's tuples follow its head, each in its schema.
            for payload in records.payloads() {
                let tuple = self.tuple(payload.tuple());
                written = postcard::serialize_with_flavor(&tuple, Append(&mut self.messages));
                if written.is_err() {
                    break;
                }
            }
        }
        let written = written.and_then(|()| self.schema_bytes(mark.schemas));
        match written {
            Ok(()) => {
                self.count += 1;
                self.weight += delivery.envelope().record_count().max(1);
                Ok(())
            }
            Err(e) => {
                self.rollback(mark);
                Err(WireError::postcard("a message does not encode", e))
            }
        }
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
        let count = usize_to_u64(self.count);
        check_positions(link_seq, count)?;
        let head = Body::Frame(FrameHead {
            from: from.0,
            epoch,
            link_seq,
            schemas: self.schemas.iter().map(names).collect(),
            count,
        });
        let mut out = Vec::with_capacity(self.bytes() + 48);
        out.push(WIRE_VERSION);
        postcard::serialize_with_flavor(&head, Append(&mut out))
            .map_err(|e| WireError::postcard("the header does not encode", e))?;
        out.extend_from_slice(&self.messages);
        Ok(with_checksum(out))
    }

    /// Adds to [`FrameWriter::bytes`] what the schemas from the `from`-th
    /// take in the frame's header.
    fn schema_bytes(&mut self, from: usize) -> postcard::Result<()> {
        for schema in self.schemas.get(from..).unwrap_or_default() {
            self.schema_bytes += postcard::experimental::serialized_size(&names(schema))?;
        }
        Ok(())
    }

    /// `envelope` on the wire, its tuple given its schema's number (a
    /// run's head: its tuples follow it, see [`FrameWriter::push`]).
    fn envelope<'a>(&mut self, envelope: &'a Envelope) -> WireEnvelope<WireTuple<Values<'a>>> {
        match envelope {
            Envelope::Record {
                producer,
                seq,
                payload,
            } => WireEnvelope::Record {
                producer: producer.0,
                seq: *seq,
                payload: self.tuple(payload.tuple()),
            },
            Envelope::Seal { producer, seq, key } => WireEnvelope::Seal {
                producer: producer.0,
                seq: *seq,
                key: self.tuple(key),
            },
            Envelope::End { producer, seq } => WireEnvelope::End {
                producer: producer.0,
                seq: *seq,
            },
            Envelope::Retire { producer, seq } => WireEnvelope::Retire {
                producer: producer.0,
                seq: *seq,
            },
            Envelope::Records {
                producer,
                seq,
                records,
            } => WireEnvelope::Records {
                producer: producer.0,
                seq: *seq,
                count: usize_to_u64(records.len()),
            },
        }
    }

    /// `tuple` on the wire: the number of its schema (added if new), then
    /// its values in name order.
    fn tuple<'a>(&mut self, tuple: &'a Tuple) -> WireTuple<Values<'a>> {
        let schema = match self.schemas.iter().position(|s| same_names(s, tuple)) {
            Some(i) => i,
            None => {
                self.schemas.push(tuple.clone());
                self.schemas.len() - 1
            }
        };
        WireTuple {
            schema: usize_to_u64(schema),
            values: Values(tuple),
        }
    }
}

/// A tuple's attribute names, in order.
fn names(tuple: &Tuple) -> Vec<&str> {
    tuple.fields().map(|(name, _)| name).collect()
}

/// A tuple's values in name order, serialised as a sequence of
/// [`Value`](crate::tuple::Value)s (through their own serde impl).
struct Values<'a>(&'a Tuple);

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.fields().map(|(_, value)| value))
    }
}

/// A postcard flavor that appends to a buffer (kept on an error, unlike
/// `postcard::to_extend`'s, which the caller takes back to a [`Mark`]).
struct Append<'a>(&'a mut Vec<u8>);

impl Flavor for Append<'_> {
    type Output = ();

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(t: Tuple) -> Delivery {
        Delivery::Direct {
            input: 0,
            envelope: Envelope::Record {
                producer: ProducerId(1),
                seq: 0,
                payload: t.into(),
            },
        }
    }

    #[test]
    fn a_rolled_back_message_leaves_no_trace() {
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

    /// What [`FrameWriter::bytes`] counts is what the messages and schemas
    /// take in the frame, whatever the names' and values' lengths.
    #[test]
    fn bytes_counts_what_the_schemas_and_messages_take() {
        let long = "x".repeat(200);
        let mut writer = FrameWriter::new();
        let head = writer
            .finish(ProducerId(1), 1, 0)
            .map(|_| ())
            .expect_err("no messages yet");
        assert!(head.reason.contains("without messages"), "{head}");
        for tuple in [
            Tuple::new().with("a", 1),
            Tuple::new().with(&long, 2).with("b", long.as_str()),
            Tuple::new().with("a", -5),
            Tuple::new(),
        ] {
            writer.push(&record(tuple)).expect("encodes");
            let frame = writer.finish(ProducerId(1), 1, 0).expect("a frame");
            // version, Body::Frame, from, epoch, link_seq, schema count,
            // message count: a byte each here; then the checksum.
            assert_eq!(frame.len(), 7 + writer.bytes() + super::super::CHECKSUM_LEN);
        }
    }
}
