//! What each source producer emits during a run, in order (the simulator's
//! scripts, and a convenient way to feed the tokio runner); every producer
//! ends after its last event.

use std::collections::BTreeMap;

use super::error::NameError;
use crate::record::Record;
use crate::runtime::node::topology::Topology;
use crate::tuple::Tuple;

/// One thing a source producer emits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceEvent {
    /// A record.
    Record(Tuple),
    /// A seal of the partition with these seal-key values.
    Seal(Tuple),
}

/// The scripts of the source producers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workload {
    scripts: BTreeMap<(String, usize), Vec<SourceEvent>>,
}

impl Workload {
    /// No events.
    pub fn new() -> Workload {
        Workload::default()
    }

    /// Appends an event to producer `producer` of source `source`.
    pub fn push(&mut self, source: &str, producer: usize, event: SourceEvent) {
        self.scripts
            .entry((source.to_string(), producer))
            .or_default()
            .push(event);
    }

    /// Appends a record (builder style): any [`Record`], a typed record of
    /// yours or a [`Tuple`](crate::Tuple).
    pub fn record(mut self, source: &str, producer: usize, record: impl Record) -> Workload {
        self.push(source, producer, SourceEvent::Record(record.into_tuple()));
        self
    }

    /// Appends a seal (builder style) of the partition `key` names: any
    /// record holding the stream's seal-key fields (a key struct of yours,
    /// a record of the partition, or a [`Tuple`](crate::Tuple)); fields outside the seal
    /// key are dropped from the seal when it is sent.
    pub fn seal(mut self, source: &str, producer: usize, key: impl Record) -> Workload {
        self.push(source, producer, SourceEvent::Seal(key.into_tuple()));
        self
    }

    /// The script of one producer.
    pub fn script(&self, source: &str, producer: usize) -> &[SourceEvent] {
        self.scripts
            .get(&(source.to_string(), producer))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Checks that every script feeds a source of the deployed dataflow,
    /// and a producer the deployment gives it, and that each of its seals
    /// holds every attribute of the source's seal key.
    pub fn check(&self, topology: &Topology) -> Result<(), NameError> {
        for (source, producer) in self.scripts.keys() {
            let Some(s) = topology.source(source) else {
                return Err(NameError::UnknownWorkloadSource {
                    name: source.clone(),
                    valid: topology.source_names(),
                });
            };
            let producers = topology.sources[s].producers.len();
            if *producer >= producers {
                return Err(NameError::NoSuchProducer {
                    source_name: source.clone(),
                    producer: *producer,
                    producers,
                });
            }
            for event in self.script(source, *producer) {
                if let SourceEvent::Seal(key) = event {
                    topology.check_source_seal(s, key)?;
                }
            }
        }
        Ok(())
    }
}
