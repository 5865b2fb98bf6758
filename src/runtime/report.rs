//! What a run leaves behind, whichever driver ran it.

use std::collections::BTreeMap;

use super::dead_letter::DeadLetter;
use super::metrics::{InstanceMetrics, InstanceSnapshot};
use super::sink::{SinkCollector, SinkRecord};

/// The outcome of a run.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// What reached each sink.
    pub sinks: BTreeMap<String, SinkCollector>,
    /// Every instance's final counters.
    pub instances: Vec<InstanceSnapshot>,
    /// Every dead-lettered record.
    pub dead_letters: Vec<DeadLetter>,
    /// Messages the sequencers recognised as replays.
    pub sequencer_duplicates: u64,
    /// Errors of the sequencing service.
    pub sequencer_errors: Vec<String>,
}

impl RunReport {
    /// The records of a sink (empty for an unknown sink).
    pub fn records(&self, sink: &str) -> &[SinkRecord] {
        self.sinks
            .get(sink)
            .map(|s| s.records.as_slice())
            .unwrap_or_default()
    }

    /// The counters of every instance added up.
    pub fn totals(&self) -> InstanceMetrics {
        let mut total = InstanceMetrics::default();
        for i in &self.instances {
            total.add(&i.metrics);
        }
        total
    }

    /// The counters of one component's instances added up.
    pub fn component_totals(&self, component: &str) -> InstanceMetrics {
        let mut total = InstanceMetrics::default();
        for i in self.instances.iter().filter(|i| i.component == component) {
            total.add(&i.metrics);
        }
        total
    }

    /// True when, at every instance, distinct records in = processed +
    /// dead-lettered (nothing is left held at the end of a run).
    pub fn balanced(&self) -> bool {
        self.instances
            .iter()
            .all(|i| i.metrics.balanced() && i.metrics.held == 0)
    }
}
