//! Ends an example with its run's failures, if any. (What the analysis
//! derived, the examples print with `blazes::explain::summary`.)

use blazes::runtime::RunReport;

/// Fails when the run reported failures (partitions never sealed, with the
/// producers still missing, dead letters, instances that did not finish),
/// after listing each on stderr.
pub fn ensure_succeeded(report: &RunReport) -> Result<(), String> {
    let failures = report.failures();
    if failures.is_empty() {
        return Ok(());
    }
    for failure in &failures {
        eprintln!("  {failure}");
    }
    Err(format!(
        "FAILED: the run reported {} failure(s) (listed above)",
        failures.len()
    ))
}
