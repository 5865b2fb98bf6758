//! Reproduces the evaluation of the paper (§VIII) on the embedded tokio
//! runtime: Figure 11 (word count, ordered vs sealed, 1 to 8 Count
//! instances) and Figures 12-14 (ad reporting, records processed over time
//! for uncoordinated, ordered, seal and independent seal, 5 and 10 ad
//! servers). The ordered ad reporting runs five times over: with the
//! in-process sequencer, and with its total order assigned by ZooKeeper and
//! by NATS JetStream servers that the bench starts on loopback (and stops,
//! by pid, when it ends): JetStream with its default sync (fsync every two
//! minutes) and with `sync_interval: always` (fsync before every
//! acknowledgement, as ZooKeeper does), see `services.rs`. Prints JSON,
//! writes `bench-results/evaluation.json` and the figures
//! `bench-results/evaluation-fig11.svg` .. `-fig14.svg`.
//!
//! `cargo bench --features dist --bench evaluation` (`-- quick` for a smaller, faster run).
//! The fsync-always run needs nats-server >= 2.10: `$BLAZES_NATS_SERVER_FSYNC`
//! names one when the `nats-server` on `PATH` is older.
//! Standard output holds the JSON without the sampled traces; the file has them.

mod ads;
mod plots;
mod services;
mod wordcount;

// The tests' server harness: `nats-server -js` and ZooKeeper on free
// loopback ports, stopped by pid when dropped.
#[allow(unused_imports)]
#[path = "../../tests/support_servers/mod.rs"]
mod support_servers;

// The examples' dataflows, shared with them and with `tests/examples.rs`.
#[allow(dead_code)]
#[path = "../../examples/support/ad_network_job.rs"]
mod ad_job;
#[allow(dead_code)]
#[path = "../../examples/support/wordcount_job.rs"]
mod wordcount_job;

/// The examples' dataflows under short names.
mod job {
    pub(crate) use super::ad_job as ad;
    pub(crate) use super::wordcount_job as wordcount;
}

use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use job::wordcount::Variant;
use plots::Line;
use services::{SERVICE_RUNS, Services};

const AD_SERVERS: [usize; 2] = [5, 10];

/// The strategies of Figures 12-13, in legend order.
const FIGURE_ORDER: [&str; 8] = [
    "uncoordinated",
    "ordered (embedded)",
    "ordered (ZooKeeper)",
    "ordered (JetStream, default sync)",
    "ordered (JetStream, default sync, fsync run's server)",
    "ordered (JetStream, fsync always)",
    "seal",
    "independent seal",
];

fn results_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results")
}

/// The result without the sampled traces (they go to the file only).
fn without_samples(mut result: serde_json::Value) -> serde_json::Value {
    if let Some(runs) = result
        .pointer_mut("/figures_12_14_ad_reporting/runs")
        .and_then(serde_json::Value::as_array_mut)
    {
        for run in runs {
            if let Some(trace) = run
                .get_mut("trace")
                .and_then(serde_json::Value::as_object_mut)
            {
                trace.remove("samples_seconds_records");
            }
        }
    }
    result
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::args().any(|a| a == "quick");
    // Fail before the long runs if the fsync-always run has no server.
    let fsync_server = services::fsync_server()?;
    let repetitions = if quick { 1 } else { 3 };
    let counters: Vec<usize> = (1..=8).collect();
    let wc = wordcount::Setup::new(if quick { 10 } else { 40 }, 250);
    let ad_setup = ads::Setup {
        clicks: 1000,
        batch: 50,
        pause: Duration::from_millis(if quick { 5 } else { 20 }),
        replicas: 3,
        ads: 20,
    };
    // The same runs without pauses and with ten times the clicks: what each
    // strategy costs when the ad servers send as fast as they can.
    let saturated = ads::Setup {
        pause: Duration::ZERO,
        clicks: ad_setup.clicks * 10,
        ..ad_setup
    };
    // Service-backed runs take seconds each: fewer of them.
    let service_repetitions = if quick { 1 } else { 3 };
    let steps = repetitions * (counters.len() * 2 + 2 * AD_SERVERS.len() * ads::RUNS.len())
        + service_repetitions * AD_SERVERS.len() * SERVICE_RUNS.len();
    let bar = ProgressBar::new(steps as u64);
    bar.set_style(ProgressStyle::with_template(
        "{elapsed_precise} [{bar:40}] {pos}/{len} {msg}",
    )?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    // Figure 11.
    let mut points = Vec::new();
    for &n in &counters {
        let (mut sealed, mut ordered) = (Vec::new(), Vec::new());
        for _ in 0..repetitions {
            bar.set_message(format!("word count, {n} Count instances"));
            sealed.push(rt.block_on(wordcount::throughput(&wc, Variant::Sealed, n))?);
            bar.inc(1);
            ordered.push(rt.block_on(wordcount::throughput(&wc, Variant::Ordered, n))?);
            bar.inc(1);
        }
        points.push(wordcount::Point {
            counters: n,
            sealed: wordcount::median(sealed),
            ordered: wordcount::median(ordered),
        });
    }

    // Figures 12-14: the median run (by elapsed time) of each configuration.
    let mut traces = Vec::new();
    for &servers in &AD_SERVERS {
        for &(run, name) in &ads::RUNS {
            let mut runs = Vec::new();
            for _ in 0..repetitions {
                bar.set_message(format!("ad reporting, {servers} ad servers, {name}"));
                runs.push(rt.block_on(ads::trace(ad_setup, servers, run, None))?);
                bar.inc(1);
            }
            runs.sort_by(|a, b| a.elapsed.total_cmp(&b.elapsed));
            let median = runs.swap_remove(runs.len() / 2);
            traces.push((servers, name, median));
        }
    }
    bar.set_message("starting ZooKeeper and nats-server");
    let services = Services::start(&fsync_server)?;
    // One unrecorded run per service first: the first sessions, streams and
    // the JVM's warm-up are not the ordering's steady cost.
    for &(backend, name) in &SERVICE_RUNS {
        bar.set_message(format!("warming up {name}"));
        let sequencer = rt.block_on(services.sequencer(backend, "warm-up"))?;
        rt.block_on(ads::trace(
            ad_setup,
            AD_SERVERS[0],
            job::ad::Run::Ordered,
            Some(sequencer),
        ))?;
    }
    for &servers in &AD_SERVERS {
        for &(backend, name) in &SERVICE_RUNS {
            let mut runs = Vec::new();
            for rep in 0..service_repetitions {
                bar.set_message(format!("ad reporting, {servers} ad servers, {name}"));
                let namespace = format!("ads-{servers}-{rep}");
                let sequencer = rt.block_on(services.sequencer(backend, &namespace))?;
                runs.push(rt.block_on(ads::trace(
                    ad_setup,
                    servers,
                    job::ad::Run::Ordered,
                    Some(sequencer),
                ))?);
                bar.inc(1);
            }
            runs.sort_by(|a, b| a.elapsed.total_cmp(&b.elapsed));
            let median = runs.swap_remove(runs.len() / 2);
            traces.push((servers, name, median));
        }
    }
    let servers_json = services.to_json();
    let legends: Vec<(&str, String)> = SERVICE_RUNS
        .iter()
        .map(|&(_, name)| (name, services.legend(name)))
        .collect();
    drop(services);
    traces.sort_by_key(|(servers, name, _)| {
        (
            *servers,
            FIGURE_ORDER
                .iter()
                .position(|n| n == name)
                .unwrap_or(usize::MAX),
        )
    });
    let mut saturated_runs = Vec::new();
    for &servers in &AD_SERVERS {
        for &(run, name) in &ads::RUNS {
            let mut rates = Vec::new();
            for _ in 0..repetitions {
                bar.set_message(format!("saturated, {servers} ad servers, {name}"));
                rates.push(
                    rt.block_on(ads::trace(saturated, servers, run, None))?
                        .throughput,
                );
                bar.inc(1);
            }
            saturated_runs.push((servers, name, wordcount::median(rates)));
        }
    }
    bar.finish_with_message("done");
    let saturated_json: Vec<_> = saturated_runs
        .iter()
        .map(|&(servers, name, rate)| {
            let base = saturated_runs
                .iter()
                .find(|(s, n, _)| *s == servers && *n == "uncoordinated")
                .map_or(f64::NAN, |r| r.2);
            json!({
                "ad_servers": servers,
                "strategy": name,
                "clicks_per_second": rate.round(),
                "over_uncoordinated": rate / base,
            })
        })
        .collect();

    let throughput = |servers: usize, name: &str| {
        traces
            .iter()
            .find(|(s, n, _)| *s == servers && *n == name)
            .map_or(f64::NAN, |(_, _, t)| t.throughput)
    };
    let mut summary = serde_json::Map::new();
    for &servers in &AD_SERVERS {
        let base = throughput(servers, "uncoordinated");
        let seal = throughput(servers, "seal");
        summary.insert(
            format!("{servers}_ad_servers"),
            json!({
                "seal_over_uncoordinated": seal / base,
                "independent_seal_over_uncoordinated": throughput(servers, "independent seal") / base,
                "ordered_embedded_over_uncoordinated": throughput(servers, "ordered (embedded)") / base,
                "seal_over_ordered_embedded": seal / throughput(servers, "ordered (embedded)"),
                "seal_over_ordered_zookeeper": seal / throughput(servers, "ordered (ZooKeeper)"),
                "seal_over_ordered_jetstream_default_sync":
                    seal / throughput(servers, "ordered (JetStream, default sync)"),
                "seal_over_ordered_jetstream_fsync_always":
                    seal / throughput(servers, "ordered (JetStream, fsync always)"),
                "seal_over_ordered_jetstream_default_sync_fsync_runs_server":
                    seal / throughput(servers, "ordered (JetStream, default sync, fsync run's server)"),
                "independent_seal_over_ordered_zookeeper":
                    throughput(servers, "independent seal") / throughput(servers, "ordered (ZooKeeper)"),
                "independent_seal_over_ordered_jetstream_default_sync":
                    throughput(servers, "independent seal") / throughput(servers, "ordered (JetStream, default sync)"),
                "independent_seal_over_ordered_jetstream_fsync_always":
                    throughput(servers, "independent seal") / throughput(servers, "ordered (JetStream, fsync always)"),
            }),
        );
    }
    let doubling = |name: &str| throughput(10, name) / throughput(5, name);
    let scaling: serde_json::Map<String, serde_json::Value> = FIGURE_ORDER
        .iter()
        .map(|name| (name.to_string(), json!(doubling(name))))
        .collect();
    summary.insert("throughput_10_over_5_ad_servers".into(), scaling.into());
    let goal = |servers: usize, name: &str| throughput(servers, "seal") / throughput(servers, name);
    for &servers in &AD_SERVERS {
        for &(_, name) in &SERVICE_RUNS {
            eprintln!(
                "{servers} ad servers: seal / {name} = {:.2}x (goal >= 3x)",
                goal(servers, name)
            );
        }
    }
    for name in FIGURE_ORDER {
        eprintln!("10 over 5 ad servers, {name}: {:.2}x", doubling(name));
    }
    let result = json!({
        "bench": "evaluation",
        "machine_note": "one process, tokio with 2 worker threads, on a 2-core machine; ordered (embedded) uses the in-process EmbeddedSequencer; the other ordered runs use a standalone ZooKeeper and three nats-servers with JetStream (default sync on the PATH's server; fsync always and default sync on a server >= 2.10) that the bench starts on loopback, sharing the same 2 cores",
        "sequencing_servers": servers_json,
        "quick": quick,
        "figure_11_wordcount": wordcount::to_json(&wc, repetitions, &points),
        "figures_12_14_ad_reporting": {
            "workload": {
                "clicks_per_ad_server": ad_setup.clicks,
                "batch": ad_setup.batch,
                "pause_ms": ad_setup.pause.as_millis() as u64,
                "report_replicas": ad_setup.replicas,
                "query": "CAMPAIGN",
                "repetitions": repetitions,
                "repetitions_service_backed": service_repetitions,
                "repetitions_note": "the service-backed ordered runs may run fewer times (each takes seconds); each run uses a fresh ZooKeeper root / stream prefix; one unrecorded warm-up run (5 ad servers) per service precedes them",
                "statistic": "the run with the median elapsed time",
            },
            "runs": traces.iter().map(|(servers, name, t)| json!({
                "ad_servers": servers,
                "strategy": name,
                "trace": ads::trace_json(t),
            })).collect::<Vec<_>>(),
            "summary": summary,
        },
        "ad_reporting_without_pauses": {
            "clicks_per_ad_server": saturated.clicks,
            "note": "in-process sequencer only: the service-backed ordered runs are not repeated without pauses",
            "statistic": "median clicks per second (all ad servers, per replica)",
            "runs": saturated_json,
        },
    });
    let text = serde_json::to_string_pretty(&result)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&without_samples(result))?
    );
    let dir = results_dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("evaluation.json"), text + "\n")?;

    plots::draw(
        &dir.join("evaluation-fig11.svg"),
        "Fig. 11: word count throughput",
        ("Count instances", "words per second"),
        &[
            Line {
                name: "sealed",
                points: points
                    .iter()
                    .map(|p| (p.counters as f64, p.sealed))
                    .collect(),
            },
            Line {
                name: "ordered (transactional)",
                points: points
                    .iter()
                    .map(|p| (p.counters as f64, p.ordered))
                    .collect(),
            },
        ],
        true,
    )?;
    let figure = |servers: usize, skip_ordered: bool| -> Vec<Line> {
        traces
            .iter()
            .filter(|(s, name, _)| *s == servers && !(skip_ordered && name.starts_with("ordered")))
            .map(|(_, name, t)| Line {
                name: legends
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(name, |(_, legend)| legend.as_str()),
                points: t.samples.clone(),
            })
            .collect()
    };
    let axes = ("seconds", "click records processed (per replica)");
    plots::draw(
        &dir.join("evaluation-fig12.svg"),
        "Fig. 12: ad reporting, 5 ad servers",
        axes,
        &figure(5, false),
        false,
    )?;
    plots::draw(
        &dir.join("evaluation-fig13.svg"),
        "Fig. 13: ad reporting, 10 ad servers",
        axes,
        &figure(10, false),
        false,
    )?;
    plots::draw(
        &dir.join("evaluation-fig14.svg"),
        "Fig. 14: 10 ad servers, seal strategies",
        axes,
        &figure(10, true),
        false,
    )?;
    eprintln!(
        "wrote {}/evaluation.json and evaluation-fig11..14.svg",
        dir.display()
    );
    Ok(())
}
