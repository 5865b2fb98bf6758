//! The paper's ad-tracking network (§II, §VIII-B), one `#[blazes::dataflow]`
//! module per continuous query, run on the embedded tokio runtime.
//!
//! `cargo run --release --example ad_network -- --query campaign --ad-servers 5 --replicas 3`
//!
//! Prints the labels blazes derived, the coordination it chose and why, and
//! the answers the cache replicas stored.
//!
//! `cargo run --example ad_network -- --witness [--uncoordinated]` searches
//! the simulator's schedules instead (issue 13), for CAMPAIGN with unsealed
//! clicks (`Diverge`, ordered through the sequencer): with the coordination
//! off it prints two replicas that disagree; with it on, how many schedules
//! it tried without finding any.

#[allow(dead_code)] // shared with the tests and the evaluation benchmark
#[path = "support/ad_network_job.rs"]
mod job;
#[path = "support/telemetry.rs"]
mod telemetry;

use blazes::Record;
use clap::Parser;
use job::{Query, Run, Shape};

/// Ad servers, replicated reporting servers, caches and analysts.
#[derive(Parser)]
struct Args {
    /// The continuous query of the reporting servers.
    #[arg(long, value_enum, default_value_t = Query::Campaign)]
    query: Query,
    /// Ad servers sending click logs.
    #[arg(long, default_value_t = 5)]
    ad_servers: usize,
    /// Replicas of the reporting servers (and of the caches).
    #[arg(long, default_value_t = 3)]
    replicas: usize,
    /// Click records per ad server.
    #[arg(long, default_value_t = 1000)]
    clicks: usize,
    /// Click records per batch (one campaign and one window per batch).
    #[arg(long, default_value_t = 50)]
    batch: usize,
    /// Distinct ads.
    #[arg(long, default_value_t = 20)]
    ads: i64,
    /// Answers to print.
    #[arg(long, default_value_t = 8)]
    show: usize,
    /// Search the simulator's schedules for witnesses of the labels of
    /// CAMPAIGN with unsealed clicks (on a small workload: 2 ad servers, 2
    /// clicks each, 2 ads, 2 replicas); `--query` is not used.
    #[arg(long)]
    witness: bool,
    /// With `--witness`: switch the synthesised coordination off.
    #[arg(long)]
    uncoordinated: bool,
    /// With `--witness`: schedules to try at most.
    #[arg(long, default_value_t = blazes::check::DEFAULT_SCHEDULES)]
    budget: u64,
}

/// Searches for witnesses of `run`'s sink labels and prints them.
fn witness(run: Run, args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    use blazes::check::{SearchPlan, WitnessSearch};
    use blazes::runtime::CoordinationMode;
    use blazes::sim::Simulation;
    let (dataflow, analysis, factories) = run.job();
    let shape = Shape {
        ad_servers: 2,
        clicks: 2,
        batch: 2,
        ads: 2,
    };
    let mut deployment = job::deployment(run, shape.ad_servers, 2);
    if args.uncoordinated {
        deployment = deployment.coordination(CoordinationMode::Off);
    }
    let simulation = Simulation::new(&dataflow, &analysis, &deployment, factories)?;
    let plan = SearchPlan {
        budget: args.budget,
        ..SearchPlan::default()
    };
    let found = WitnessSearch::new(&simulation, &analysis)
        .plan(plan)
        .search(&shape.workload(run))?;
    if found.is_empty() {
        println!("no sink is labelled above Async: nothing to witness");
    }
    for sink in found {
        println!("{sink}");
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    telemetry::install()?;
    let args = Args::parse();
    if args.witness {
        return witness(Run::Ordered, &args);
    }
    let run = Run::Query(args.query);
    let (dataflow, analysis, _) = run.job();
    println!(
        "ad network, query {:?}: requires {}, coordinate {}",
        args.query, dataflow.requires, dataflow.coordinate
    );
    if args.query == Query::Poor {
        println!(
            "POOR is OR[id] and no seal is compatible with [id]: under the default \
             (requires = deterministic, coordinate = seal) it does not build; its module says \
             `coordinate = auto, requires = convergent`, so blazes orders Report's inputs \
             through a sequencer: replicas agree, a replay may answer differently"
        );
    }
    println!();
    print!("{}", blazes::explain::summary(&analysis));

    let shape = Shape {
        ad_servers: args.ad_servers,
        clicks: args.clicks,
        batch: args.batch,
        ads: args.ads,
    };
    let deployment = job::deployment(run, args.ad_servers, args.replicas);
    let report = job::run(run, &deployment, &shape.workload(run))?;
    report.ensure_success()?;
    let by_replica = job::answers_by_replica(&report);
    println!(
        "\nAnswers ({} ad servers x {} clicks, {} replicas, {} requests)",
        args.ad_servers,
        args.clicks,
        args.replicas,
        shape.requests(false).len()
    );
    if let Some(first) = by_replica.values().next() {
        for answer in first.iter().take(args.show) {
            println!("  {}", job::show(answer));
        }
    }
    for (replica, answers) in &by_replica {
        println!(
            "  cache replica {}: {} answers stored",
            replica.0,
            answers.len()
        );
    }
    if args.query == Query::Thresh {
        // Monotone: replicas may answer at different times, but an ad once
        // over the threshold stays over it, so every answer is final.
        let totals = job::totals(&shape, false);
        let wrong = by_replica
            .values()
            .flatten()
            .filter(|a| {
                job::ThreshAnswer::from_tuple(a)
                    .map_or(true, |a| totals.get(&a.id).copied() < Some(job::THRESH))
            })
            .count();
        return if wrong == 0 {
            println!(
                "OK: THRESH is monotone; the replicas answered at different moments, and every \
                 answer holds of the final click counts"
            );
            Ok(())
        } else {
            Err(format!("{wrong} THRESH answers do not hold of the final counts").into())
        };
    }
    if job::replicas_agree(&by_replica) && by_replica.len() == args.replicas {
        println!("OK: every cache replica stored the same answers");
        Ok(())
    } else {
        Err("the cache replicas stored different answers".into())
    }
}
