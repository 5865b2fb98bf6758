//! Issue 15 under the simulator: a handler panic is contained at the
//! instance (before the fix it escaped `Simulation::run`), under reordering
//! and under duplicates, replays and crashes.

mod sim_support;

use blazes::analyze;
use blazes::runtime::DeadLetterReason;
use blazes::sim::{SimConfig, Simulation};
use sim_support::{assert_balanced, faulty};

#[test]
fn a_panicking_handler_dead_letters_its_record_under_every_schedule() {
    let dataflow = faulty::dataflow();
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let sim = Simulation::new(
        &dataflow,
        &analysis,
        &faulty::deployment(),
        faulty::factories(),
    )
    .expect("deployable");
    let workload = faulty::workload();
    for seed in 0..20 {
        for config in [
            SimConfig::new(seed).with_reordering(0.3),
            SimConfig::new(seed).with_faults(0.05, 0.02, 0.01, 2),
        ] {
            let outcome = sim.run(&workload, &config).expect("runs");
            let report = &outcome.report;
            assert!(!outcome.truncated);
            assert_balanced(report);
            assert_eq!(faulty::delivered(report), faulty::expected(), "{config:?}");
            assert_eq!(report.dead_letters.len(), 1, "{config:?}");
            let dead = &report.dead_letters[0];
            assert_eq!(dead.payload, faulty::poisoned());
            assert_eq!(
                dead.reason,
                DeadLetterReason::HandlerPanicked(faulty::RECORD_PANIC.to_string())
            );
            assert!(report.component_totals("Check").handler_panics >= 2);
        }
    }
}
