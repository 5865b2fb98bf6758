//! Reading a frame's body (see the [module docs](super), "Layout" and
//! "Schemas"), by hand, in one pass over the bytes: what postcard would
//! read, with every rule of the one canonical encoding checked as it goes
//! (varints of minimal length; a schema's names in order, each once;
//! schemas distinct, numbered in the order of first use, all used), so a
//! frame is never encoded again to compare. Strings are borrowed from the
//! input until a tuple takes them; each schema's names are made once and
//! shared by its tuples; no count read preallocates more than the bytes
//! left could hold.

use std::sync::Arc;

use super::{BODY_AT, Frame, WireError, check_positions};
use crate::runtime::node::envelope::{Delivery, Envelope, ProducerId};
use crate::tuple::{Tuple, Value};

/// Reads a frame's body: `body` follows the version byte and the frame's
/// variant index; `end` is where the checksum starts (for the offset of
/// trailing bytes).
pub(super) fn frame(body: &[u8], end: usize) -> Result<Frame, WireError> {
    let mut r = Reader { bytes: body, at: 0 };
    let from = r.u32()?;
    let epoch = r.u64()?;
    let link_seq = r.u64()?;
    let schemas = r.schemas()?;
    // A message takes at least five bytes (variants, input, producer, seq).
    let count = r.count(5)?;
    check_positions(link_seq, count)?;
    let mut messages = Vec::with_capacity(count);
    let mut tuples = TupleReader {
        schemas: &schemas,
        used: 0,
        values: Vec::new(),
    };
    for _ in 0..count {
        messages.push(r.delivery(&mut tuples)?);
    }
    if tuples.used != schemas.len() {
        return Err(not_canonical("a schema no message uses"));
    }
    if r.at != body.len() {
        let left = body.len() - r.at;
        return Err(WireError::at(
            end - left,
            format!("{left} trailing bytes after the message"),
        ));
    }
    Ok(Frame {
        from: ProducerId(from),
        epoch,
        link_seq,
        messages,
    })
}

/// A refusal of bytes that do not decode.
fn malformed(what: impl std::fmt::Display) -> WireError {
    WireError::at(BODY_AT, format!("the body does not decode: {what}"))
}

/// A refusal of bytes that decode but not from their one encoding.
fn not_canonical(what: &str) -> WireError {
    WireError::at(
        BODY_AT,
        format!("the body is not in its canonical encoding ({what})"),
    )
}

/// The bytes of a body and how far they are read.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// A frame's schemas, and what reading its tuples needs.
struct TupleReader<'s> {
    schemas: &'s [Vec<Arc<str>>],
    /// How many schemas the tuples read so far use (the first `used`).
    used: usize,
    /// The values of the tuple being read (kept for its room).
    values: Vec<Value>,
}

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn byte(&mut self) -> Result<u8, WireError> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or_else(|| malformed("the input ends early"))?;
        self.at += 1;
        Ok(b)
    }

    /// A varint of at most `bits` bits, in its shortest form.
    fn varint(&mut self, bits: u32) -> Result<u64, WireError> {
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift >= bits || (shift > 0 && part >> (bits - shift) != 0) {
                return Err(malformed(format!("a varint past {bits} bits")));
            }
            value |= part << shift;
            if b & 0x80 == 0 {
                if b == 0 && shift > 0 {
                    return Err(not_canonical("an overlong integer"));
                }
                return Ok(value);
            }
            shift += 7;
        }
    }

    fn u64(&mut self) -> Result<u64, WireError> {
        self.varint(64)
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        // At most 32 bits by `varint`.
        Ok(self.varint(32)? as u32)
    }

    /// A count of items that take at least `each` bytes apiece: refused
    /// when the bytes left cannot hold that many.
    fn count(&mut self, each: usize) -> Result<usize, WireError> {
        let count = self.u64()?;
        match usize::try_from(count) {
            Ok(n) if n.saturating_mul(each) <= self.left() => Ok(n),
            _ => Err(malformed(format!(
                "{count} items declared, {} bytes left",
                self.left()
            ))),
        }
    }

    /// A value read by its serde impl from `start` on (postcard), refused
    /// unless the writer would write those bytes for it (one encoding per
    /// frame, as for the other values).
    fn serde_value(&mut self, start: usize) -> Result<Value, WireError> {
        let bytes = self.bytes.get(start..).unwrap_or_default();
        let (value, rest) = postcard::take_from_bytes::<Value>(bytes)
            .map_err(|e| malformed(format!("a value: {e}")))?;
        let read = &bytes[..bytes.len() - rest.len()];
        let mut canonical = Vec::with_capacity(read.len());
        super::writer::write_value(&mut canonical, &value);
        if canonical != read {
            return Err(not_canonical("a value not in its own encoding"));
        }
        self.at = self.bytes.len() - rest.len();
        Ok(value)
    }

    fn str(&mut self) -> Result<&'a str, WireError> {
        let len = self.count(1)?;
        let bytes = &self.bytes[self.at..self.at + len];
        self.at += len;
        std::str::from_utf8(bytes).map_err(|e| malformed(format!("a string: {e}")))
    }

    /// The schemas: each a list of names in order, each once; distinct.
    fn schemas(&mut self) -> Result<Vec<Vec<Arc<str>>>, WireError> {
        let count = self.count(1)?;
        let mut schemas: Vec<Vec<Arc<str>>> = Vec::with_capacity(count);
        for _ in 0..count {
            let names = self.count(1)?;
            let mut schema: Vec<Arc<str>> = Vec::with_capacity(names);
            for _ in 0..names {
                let name = self.str()?;
                if schema.last().is_some_and(|last| &**last >= name) {
                    return Err(not_canonical(
                        "a schema's names repeated or out of name order",
                    ));
                }
                schema.push(Arc::from(name));
            }
            if schemas.contains(&schema) {
                return Err(not_canonical("a schema repeated"));
            }
            schemas.push(schema);
        }
        Ok(schemas)
    }

    fn delivery(&mut self, tuples: &mut TupleReader<'_>) -> Result<Delivery, WireError> {
        let variant = self.u32()?;
        let position = match variant {
            0 => None,
            1 => Some(self.u64()?),
            other => return Err(malformed(format!("delivery variant {other}"))),
        };
        let input = self.u64()?;
        let input = usize::try_from(input)
            .map_err(|_| malformed(format!("input index {input} does not fit usize")))?;
        let envelope = self.envelope(tuples)?;
        Ok(match position {
            None => Delivery::Direct { input, envelope },
            Some(position) => Delivery::Ordered {
                position,
                input,
                envelope,
            },
        })
    }

    fn envelope(&mut self, tuples: &mut TupleReader<'_>) -> Result<Envelope, WireError> {
        let variant = self.u32()?;
        if variant > 3 {
            return Err(malformed(format!("envelope variant {variant}")));
        }
        let producer = ProducerId(self.u32()?);
        let seq = self.u64()?;
        Ok(match variant {
            0 => Envelope::Record {
                producer,
                seq,
                payload: self.tuple(tuples)?,
            },
            1 => Envelope::Seal {
                producer,
                seq,
                key: self.tuple(tuples)?,
            },
            2 => Envelope::End { producer, seq },
            _ => Envelope::Retire { producer, seq },
        })
    }

    /// A tuple: its schema's number (a schema not used before must be the
    /// next one), then as many values as its schema has names.
    fn tuple(&mut self, tuples: &mut TupleReader<'_>) -> Result<Tuple, WireError> {
        let schema = self.u32()?;
        let names = usize::try_from(schema)
            .ok()
            .and_then(|i| tuples.schemas.get(i).map(|names| (i, names)));
        let Some((i, names)) = names else {
            return Err(WireError::at(
                BODY_AT,
                format!("schema {schema} of {} in the frame", tuples.schemas.len()),
            ));
        };
        if i > tuples.used {
            return Err(not_canonical("schemas out of their order of first use"));
        }
        tuples.used = tuples.used.max(i + 1);
        // A value takes at least two bytes (its variant and a varint).
        let count = self.count(2)?;
        if count != names.len() {
            return Err(WireError::at(
                BODY_AT,
                format!("{count} values for a schema of {} names", names.len()),
            ));
        }
        tuples.values.clear();
        for _ in 0..count {
            let start = self.at;
            let value = match self.u32()? {
                0 => {
                    let z = self.u64()?;
                    // Zigzag: 0, -1, 1, -2, ... as 0, 1, 2, 3, ...
                    Value::Int(((z >> 1) as i64) ^ -((z & 1) as i64))
                }
                1 => Value::from(self.str()?),
                // Issue 11's kinds: read by `Value`'s serde impl, from the
                // variant on (the wire codec's own design is issue 9's).
                2..=6 => self.serde_value(start)?,
                other => return Err(malformed(format!("value variant {other}"))),
            };
            tuples.values.push(value);
        }
        Ok(Tuple::with_shared_names(names, tuples.values.drain(..)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(bytes: &[u8], bits: u32) -> Result<u64, WireError> {
        let mut r = Reader { bytes, at: 0 };
        let v = r.varint(bits)?;
        assert_eq!(r.at, bytes.len(), "{bytes:?} read whole");
        Ok(v)
    }

    #[test]
    fn varints_are_read_in_their_shortest_form_only() {
        for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let bytes = postcard::to_allocvec(&v).expect("encodes");
            assert_eq!(varint(&bytes, 64), Ok(v));
        }
        assert_eq!(
            varint(&[0xff, 0xff, 0xff, 0xff, 0x0f], 32),
            Ok(u64::from(u32::MAX))
        );
        // Overlong: a last byte of zero after the first.
        let e = varint(&[0x80, 0x00], 64).expect_err("overlong");
        assert!(e.reason.contains("canonical"), "{e}");
        let e = varint(&[0x81, 0x80, 0x00], 64).expect_err("overlong");
        assert!(e.reason.contains("canonical"), "{e}");
        // Past the width: a fifth byte above 15 for 32 bits, an eleventh byte.
        assert!(varint(&[0xff, 0xff, 0xff, 0xff, 0x10], 32).is_err());
        let mut long = vec![0xff; 9];
        long.push(0x02);
        assert!(varint(&long, 64).is_err());
        long[9] = 0x81;
        long.push(0x01);
        assert!(varint(&long, 64).is_err());
        assert!(varint(&[0x80], 64).is_err(), "ends early");
    }

    #[test]
    fn issue_11_values_are_read_in_their_own_encoding_only() {
        let values = [
            Value::Float(-0.0),
            Value::Float(f64::from_bits(0x7ff0_0000_0000_0001)),
            Value::Null,
            Value::Some(Box::new(Value::Null)),
            Value::from(vec![Value::Int(-1), Value::from(vec![])]),
            Value::from(Tuple::new().with("a", 1.5).with("b", "x")),
        ];
        for value in values {
            let mut bytes = Vec::new();
            super::super::writer::write_value(&mut bytes, &value);
            bytes.push(0xaa); // what follows the value is left
            let mut r = Reader {
                bytes: &bytes,
                at: 0,
            };
            let start = r.at;
            assert_eq!(r.u32().map(|v| (2..=6).contains(&v)), Ok(true));
            assert_eq!(r.serde_value(start), Ok(value.clone()), "{value}");
            assert_eq!(r.at, bytes.len() - 1, "{value}");
        }
        // An overlong float (a varint with a trailing zero byte) and a
        // record whose names are out of order decode, but are not canonical.
        for bytes in [
            vec![2, 0x81, 0x00],
            vec![6, 2, 1, b'b', 0, 2, 1, b'a', 0, 2],
        ] {
            let mut r = Reader {
                bytes: &bytes,
                at: 0,
            };
            assert!(postcard::from_bytes::<Value>(&bytes).is_ok(), "{bytes:?}");
            let e = r.serde_value(0).expect_err("not canonical");
            assert!(e.reason.contains("canonical"), "{e}");
        }
    }
}
