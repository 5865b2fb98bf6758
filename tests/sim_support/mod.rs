//! Dataflows, handlers and workloads shared by the runtime and simulator tests.

#![allow(dead_code)]

pub mod adnet;
pub mod faulty;
pub mod wordcount;

use blazes::runtime::RunReport;

/// Asserts the run's accounting: at every instance, distinct records in =
/// processed + dead-lettered, nothing left held.
pub fn assert_balanced(report: &RunReport) {
    for i in &report.instances {
        let m = &i.metrics;
        assert_eq!(
            m.records_in(),
            m.processed + m.dead_lettered,
            "instance {} of {}: {m:?}",
            i.instance,
            i.component
        );
        assert_eq!(
            m.held, 0,
            "instance {} of {} still holds records",
            i.instance, i.component
        );
    }
    assert!(report.balanced());
}

/// Every duplicate any consumer recognised in the run.
pub fn duplicates_seen(report: &RunReport) -> u64 {
    let t = report.totals();
    t.duplicate_records
        + t.duplicate_punctuations
        + report.sequencer_duplicates
        + report.sinks.values().map(|s| s.duplicates).sum::<u64>()
}
