//! Publishes each instance's counters through the [`metrics`] facade, so an
//! operator can watch a run from outside: any recorder the application
//! installs (a Prometheus exporter, say) receives them; with none installed
//! publishing costs next to nothing.
//!
//! The drivers publish an instance's [`InstanceSnapshot`] when they refresh
//! it (when the instance goes idle, every few hundred deliveries, and at its
//! end), so the figures lag the instance by at most one refresh. The tokio
//! runner registers an instance's series once, at its first refresh, so
//! install a recorder before starting a run. Every series
//! carries the labels `component` and `instance` (`Component[i]`).
//!
//! | name | kind | what |
//! |---|---|---|
//! | `blazes_records_received_total` | counter | record messages that arrived, duplicates included |
//! | `blazes_records_duplicate_total` | counter | record messages dropped as duplicates |
//! | `blazes_records_processed_total` | counter | records handed to the handler |
//! | `blazes_dead_letters_total` | counter | dead letters, with a `reason` label ([`DeadLetterReason::kind`](super::DeadLetterReason::kind)) |
//! | `blazes_records_held` | gauge | records a coordination wrapper holds now |
//! | `blazes_partitions_waiting` | gauge | partitions a seal buffer holds now |
//! | `blazes_partitions_released_total` | counter | partitions released by a seal buffer or a static order |
//! | `blazes_partitions_overdue_total` | counter | partitions reported for waiting too long for their seals |
//! | `blazes_seals_received_total` | counter | seals that arrived (duplicates excluded) |
//! | `blazes_punctuations_sent_total` | counter | punctuations the instance's handler made |
//! | `blazes_backpressure_waits_total` | counter | times a message waited because a wrapper was full |
//! | `blazes_stalls_total` | counter | records admitted past the bound (each a failure of the run) |
//! | `blazes_handler_panics_total` | counter | handler calls that panicked |
//!
//! Retries are counted apart, where they happen, as `blazes_retries_total`
//! with an `operation` label: `order` for a call to the sequencer retried by
//! a driver, `service` for a request to ZooKeeper or JetStream retried
//! through a connection loss or a server restart.

use std::collections::BTreeMap;
use std::sync::Arc;

use ::metrics::{Counter, Gauge, Label, counter, gauge};

use super::metrics::InstanceSnapshot;

/// The counters of an instance, by name, in the order [`InstanceSeries`]
/// keeps their handles.
const COUNTERS: [&str; 10] = [
    "blazes_records_received_total",
    "blazes_records_duplicate_total",
    "blazes_records_processed_total",
    "blazes_partitions_released_total",
    "blazes_partitions_overdue_total",
    "blazes_seals_received_total",
    "blazes_punctuations_sent_total",
    "blazes_backpressure_waits_total",
    "blazes_stalls_total",
    "blazes_handler_panics_total",
];

/// The series of one instance, registered with the recorder once (when
/// the driver first publishes the instance), so that publishing again only
/// sets values: a driver refreshes a busy instance every few hundred
/// deliveries.
pub(crate) struct InstanceSeries {
    labels: [Label; 2],
    counters: Vec<Counter>,
    held: Gauge,
    waiting: Gauge,
    /// By dead-letter reason, registered when the reason first appears.
    dead_letters: BTreeMap<&'static str, Counter>,
}

impl InstanceSeries {
    /// The series of the instance `snapshot` describes.
    pub(crate) fn new(snapshot: &InstanceSnapshot) -> InstanceSeries {
        // Shared text: each series' copy of a label is a reference count,
        // not a copy of the string.
        let labels = [
            Label::new("component", Arc::<str>::from(snapshot.component.as_str())),
            Label::new("instance", Arc::<str>::from(snapshot.name.as_str())),
        ];
        InstanceSeries {
            counters: COUNTERS
                .iter()
                .map(|name| counter!(*name, labels.iter()))
                .collect(),
            held: gauge!("blazes_records_held", labels.iter()),
            waiting: gauge!("blazes_partitions_waiting", labels.iter()),
            dead_letters: BTreeMap::new(),
            labels,
        }
    }

    /// Sets every series to its value in `snapshot` (of this instance).
    pub(crate) fn publish(&mut self, snapshot: &InstanceSnapshot) {
        let m = &snapshot.metrics;
        let values = [
            m.received,
            m.duplicate_records,
            m.processed,
            m.released_partitions,
            m.overdue_partitions,
            m.seals,
            m.punctuations,
            m.backpressure,
            m.stalls,
            m.handler_panics,
        ];
        for (counter, value) in self.counters.iter().zip(values) {
            counter.absolute(value);
        }
        for (reason, count) in &m.dead_letters_by_kind {
            let labels = &self.labels;
            self.dead_letters
                .entry(reason)
                .or_insert_with(|| {
                    let mut labels = labels.to_vec();
                    labels.push(Label::new("reason", *reason));
                    counter!("blazes_dead_letters_total", labels.iter())
                })
                .absolute(*count);
        }
        self.held.set(m.held as f64);
        self.waiting.set(snapshot.unsealed.len() as f64);
    }
}

/// Sets every series of `snapshot`'s instance to its current value
/// (registering them: a driver that publishes an instance often keeps its
/// [`InstanceSeries`] instead).
#[cfg_attr(not(all(feature = "nats", feature = "zookeeper")), allow(dead_code))]
pub(crate) fn publish(snapshot: &InstanceSnapshot) {
    InstanceSeries::new(snapshot).publish(snapshot);
}

/// Counts one retry of `operation` (`blazes_retries_total`).
pub(crate) fn count_retry(operation: &'static str) {
    counter!("blazes_retries_total", "operation" => operation).increment(1);
}
