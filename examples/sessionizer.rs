//! A sessionizer written as ordinary typed Rust (issue 11): clicks (`Event`)
//! → Sessionize (`OW[session]`, events sealed on `session`) → PerUserStats
//! (`OW[user]`, its input sealed on `user` by Sessionize's own punctuations;
//! a plain FD `session -> user`) → a replicated Dashboard.
//!
//! The records and PerUserStats live in another crate of the workspace
//! (`blazes-examples-lib`), Sessionize and Dashboard in two modules of this
//! file; the dataflow names them by path.
//!
//! `cargo run --release --example sessionizer`
//!
//! Prints the labels, the coordination blazes chose and why, the stats
//! checked against a direct computation, and whether the Dashboard replicas
//! agree; exits non-zero on a mismatch or a failed run.

#[path = "support/sessionizer_job.rs"]
mod job;
#[path = "support/telemetry.rs"]
mod telemetry;

use std::collections::BTreeMap;

use blazes::runtime::{DataflowRunner, RunReport, Workload};
use blazes_examples_lib::UserStats;
use job::{sessionizer, workload};

fn run(workload: &Workload) -> Result<RunReport, Box<dyn std::error::Error>> {
    let deployment = sessionizer::deployment()
        .instances("PerUserStats", 2)
        .instances("Dashboard", 3);
    let runner = DataflowRunner::new(
        &sessionizer::dataflow(),
        &sessionizer::analysis(),
        &deployment,
        sessionizer::factories(),
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let running = runtime.block_on(async { runner.start() })?;
    Ok(runtime.block_on(running.run_workload(workload))?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    telemetry::install()?;
    let analysis = sessionizer::analysis();
    println!(
        "sessionizer: events sealed on [session] -> Sessionize OW[session] -> \
         PerUserStats OW[user] (sealed on [user] by Sessionize's punctuations) -> \
         Dashboard (replicated)\n"
    );
    print!("{}", blazes::explain::summary(&analysis));

    let (workload, expected) = workload(12);
    let report = run(&workload)?;
    let mut replicas: BTreeMap<String, BTreeMap<String, UserStats>> = BTreeMap::new();
    for (replica, stats) in report.read_sink::<UserStats>("screen")? {
        replicas
            .entry(replica)
            .or_default()
            .insert(stats.user.clone(), stats);
    }
    println!("\nStats on the screen, per Dashboard replica");
    for (replica, shown) in &replicas {
        println!("  {replica}: {} users", shown.len());
    }
    let agree = replicas.len() == 3
        && replicas
            .values()
            .all(|r| Some(r) == replicas.values().next());
    let first = replicas.values().next().cloned().unwrap_or_default();
    println!(
        "{} of 3 Dashboard replicas reported; they agree: {agree}; dead letters: {}",
        replicas.len(),
        report.dead_letters.len()
    );
    report.ensure_success()?;
    if agree && first == expected && report.dead_letters.is_empty() {
        println!(
            "\nOK: the stats of the {} users equal the stats computed directly",
            expected.len()
        );
        Ok(())
    } else {
        Err(format!(
            "MISMATCH: {} of 3 Dashboard replicas reported, showing {} of {} users, with {} \
             dead letters (expected every replica with every user's stats, equal to the \
             direct computation, and no dead letter)",
            replicas.len(),
            first.len(),
            expected.len(),
            report.dead_letters.len()
        )
        .into())
    }
}
