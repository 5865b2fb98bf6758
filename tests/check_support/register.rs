//! The replicated register of spec S11 (`cases/register_rep.yaml`): `put`
//! overwrites a key's value (`OW[key]`) and acknowledges it, `get` reads the
//! current value (`OR[key]`).

use std::collections::BTreeMap;

use blazes::runtime::{Deployment, Factories};
use blazes::sim::Workload;
use blazes::{Emit, Handler, Tuple, UnknownInput};

/// One replica's register.
#[derive(Default)]
pub struct Register {
    values: BTreeMap<i64, i64>,
}

impl Handler for Register {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        let key = tuple.int("key").unwrap_or_default();
        match input {
            "put" => {
                let value = tuple.int("value").unwrap_or_default();
                let previous = self.values.insert(key, value).unwrap_or_default();
                out.emit(
                    "ack",
                    Tuple::new()
                        .with("key", key)
                        .with("value", value)
                        .with("replaced", previous),
                );
            }
            "get" => {
                let value = self.values.get(&key).copied().unwrap_or_default();
                out.emit("value", tuple.with("value", value));
            }
            other => return Err(UnknownInput::new(other, tuple)),
        }
        Ok(())
    }
}

/// The handler.
pub fn factories() -> Factories {
    Factories::new().with("Register", || Box::<Register>::default())
}

/// Two replicas; `writers` producers of puts.
pub fn deployment(writers: usize) -> Deployment {
    Deployment::new()
        .instances("Register", 2)
        .source_producers("put", writers)
}

/// Each writer puts its own value for key 1 (sealing the key after), then
/// one get of key 1.
pub fn workload(writers: usize, sealed: bool) -> Workload {
    let mut w = Workload::new();
    for p in 0..writers {
        w = w.record(
            "put",
            p,
            Tuple::new().with("key", 1).with("value", 10 + p as i64),
        );
        if sealed {
            w = w.seal("put", p, Tuple::new().with("key", 1));
        }
    }
    w.record("get", 0, Tuple::new().with("key", 1).with("get", 1))
}
