//! Publishes each instance's counters through the [`metrics`] facade, so an
//! operator can watch a run from outside: any recorder the application
//! installs (a Prometheus exporter, say) receives them; with none installed
//! publishing costs next to nothing.
//!
//! The drivers publish an instance's [`InstanceSnapshot`] when they refresh
//! it (when the instance goes idle, every few hundred deliveries, and at its
//! end), so the figures lag the instance by at most one refresh. Every series
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

use std::sync::Arc;

use ::metrics::{Label, counter, gauge};

use super::metrics::InstanceSnapshot;

/// Sets every series of `snapshot`'s instance to its current value.
pub(crate) fn publish(snapshot: &InstanceSnapshot) {
    // Shared text: each series' copy of a label is a reference count, not
    // a copy of the string.
    let labels = [
        Label::new("component", Arc::<str>::from(snapshot.component.as_str())),
        Label::new("instance", Arc::<str>::from(snapshot.name.as_str())),
    ];
    let m = &snapshot.metrics;
    let counters = [
        ("blazes_records_received_total", m.received),
        ("blazes_records_duplicate_total", m.duplicate_records),
        ("blazes_records_processed_total", m.processed),
        ("blazes_partitions_released_total", m.released_partitions),
        ("blazes_partitions_overdue_total", m.overdue_partitions),
        ("blazes_seals_received_total", m.seals),
        ("blazes_punctuations_sent_total", m.punctuations),
        ("blazes_backpressure_waits_total", m.backpressure),
        ("blazes_stalls_total", m.stalls),
        ("blazes_handler_panics_total", m.handler_panics),
    ];
    for (name, value) in counters {
        counter!(name, labels.iter()).absolute(value);
    }
    for (reason, count) in &m.dead_letters_by_kind {
        let mut labels = labels.to_vec();
        labels.push(Label::new("reason", *reason));
        counter!("blazes_dead_letters_total", labels.iter()).absolute(*count);
    }
    gauge!("blazes_records_held", labels.iter()).set(m.held as f64);
    gauge!("blazes_partitions_waiting", labels.iter()).set(snapshot.unsealed.len() as f64);
}

/// Counts one retry of `operation` (`blazes_retries_total`).
pub(crate) fn count_retry(operation: &'static str) {
    counter!("blazes_retries_total", "operation" => operation).increment(1);
}
