//! The paper's Storm word count (§VI-A), annotated with the macros and run on
//! the embedded default: the tokio runtime in this process, no servers.
//!
//! `cargo run --release --example wordcount [-- --batches N --tweets N --counters N]`
//!
//! Prints the labels blazes derived, the coordination it chose and why, and
//! the committed counts, checked against counts computed directly. A run that
//! reports failures (partitions never sealed, dead letters) exits non-zero
//! and lists them: `-- --unsealed 3` leaves batch 3 unsealed to show one.

#[allow(dead_code)] // shared with the tests and the evaluation benchmark
#[path = "support/wordcount_job.rs"]
mod job;
#[path = "support/telemetry.rs"]
mod telemetry;

use blazes::runtime::SourceEvent;
use clap::Parser;

/// Word count over batches of tweets, sealed on `batch`.
#[derive(Parser)]
struct Args {
    /// Batches the spout emits.
    #[arg(long, default_value_t = 20)]
    batches: i64,
    /// Tweets per batch.
    #[arg(long, default_value_t = 200)]
    tweets: i64,
    /// Parallel Count instances (partitioned by word).
    #[arg(long, default_value_t = 4)]
    counters: usize,
    /// Leave this batch unsealed (the spout never seals it), to show a
    /// failed run.
    #[arg(long)]
    unsealed: Option<i64>,
    /// Committed counts to print.
    #[arg(long, default_value_t = 10)]
    show: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    telemetry::install()?;
    let args = Args::parse();
    let analysis = job::sealed::analysis();
    println!("word count: tweets sealed on [batch], Count is OW[word,batch]\n");
    print!("{}", blazes::explain::summary(&analysis));

    let (mut workload, expected) = job::tweets(args.batches, args.tweets);
    if let Some(batch) = args.unsealed {
        let mut kept = blazes::runtime::Workload::new();
        for event in workload.script("tweets", 0) {
            match event {
                SourceEvent::Seal(key) if key.int("batch") == Some(batch) => {}
                event => kept.push("tweets", 0, event.clone()),
            }
        }
        workload = kept;
    }
    let deployment = job::deployment(args.counters);
    let report = job::run(job::Variant::Sealed, &deployment, &workload)?;
    let committed = job::committed(&report)?;
    report.ensure_success()?;

    println!(
        "\nCommitted counts ({} batches x {} tweets, {} Count instances; first {} of {})",
        args.batches,
        args.tweets,
        args.counters,
        args.show,
        committed.len()
    );
    for ((batch, word), count) in committed.iter().take(args.show) {
        println!("  batch {batch:>3}  {word:<12} {count}");
    }
    if committed == expected {
        println!(
            "\nOK: the {} committed counts equal the counts computed directly from the tweets",
            committed.len()
        );
        Ok(())
    } else {
        let wrong = expected
            .iter()
            .filter(|(k, v)| committed.get(*k) != Some(*v))
            .count();
        Err(format!(
            "MISMATCH: {wrong} of {} counts differ from the counts computed directly",
            expected.len()
        )
        .into())
    }
}
