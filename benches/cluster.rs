//! The ad-reporting evaluation of the paper (§VIII-B, Figures 12-14) ACROSS
//! PROCESSES: every ad server, each of the two Report replicas and the cache
//! is its own process of `examples/ad_cluster.rs`, and they exchange their
//! streams over one `nats-server -js` that the bench starts on loopback,
//! with one ZooKeeper server beside it (both stopped, by pid, when it ends).
//!
//! For 5 and 10 ad servers (1,000 clicks each, in batches of 50 with a
//! 20 ms pause after each batch, as in `benches/evaluation`, and again
//! with no pause, to measure capacity rather than the paced load) it runs:
//! uncoordinated; seal and independent seal, their producers learned from
//! ZooKeeper; ordered, the total order assigned by ZooKeeper; ordered, the
//! total order assigned by JetStream on the same NATS server (default
//! sync). Each run has a fresh run id; three repetitions, interleaved, and
//! the median is reported.
//!
//! Two times per run:
//! - `wall`: from spawning the first process to the cache's exit (process
//!   start-up, connecting to NATS and ZooKeeper, included);
//! - `from_first_click`: from the first click any ad server sent to the
//!   cache's end (its last line's clock), which leaves process start-up out.
//!
//! Every run is checked from the processes' JSON lines: each Report replica
//! processed every click and request once, and, for every strategy but
//! uncoordinated, the two replicas' answers are equal.
//!
//! Then a throughput section (issue 14, see `cluster/throughput.rs`): raw
//! JetStream publishing of batches of records next to the same records
//! through blazes, uncoordinated and sealed, over two JetStream hops
//! (source -> Pass -> sink) and over one (source -> Pass), on the same
//! server, in one run.
//!
//! `cargo bench --features dist --bench cluster` writes `bench-results/cluster.json` and
//! prints it. `-- quick` runs one repetition of 200 clicks per ad server
//! and of 20,000 records; `-- throughput` runs the throughput section only
//! (and, without `quick`, updates that section of `cluster.json`).

#[allow(unused_imports)]
#[path = "../tests/support_cluster/mod.rs"]
mod support_cluster;
#[path = "../tests/support_servers/mod.rs"]
mod support_servers;

#[allow(dead_code)]
#[path = "../examples/support/ad_network_job.rs"]
mod job;
#[path = "cluster/throughput.rs"]
mod throughput;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use job::Shape;
use serde_json::{Value as Json, json};
use support_cluster::{Proc, canonical, sorted_json};
use support_servers::{Nats, ZooKeeper};

/// Ad server counts, as in Figures 12 and 13.
const AD_SERVERS: [usize; 2] = [5, 10];
/// Report replicas.
const REPLICAS: usize = 2;
/// Click records per ad server.
const CLICKS: usize = 1_000;
/// Clicks per batch (one campaign per batch).
const BATCH: usize = 50;
/// Distinct ads.
const ADS: i64 = 10;
/// The pauses after each batch, in milliseconds: the paper's paced
/// workload (20 ms, as in benches/evaluation), then the same clicks sent as
/// fast as each ad server can (0), which measures capacity rather than a
/// paced load that seal and uncoordinated keep up with.
const PAUSES_MS: [u64; 2] = [20, 0];
/// Repetitions of each configuration (the median is reported).
const REPETITIONS: usize = 3;
/// How long one run may take before it is killed and counted as failed.
const RUN_LIMIT: Duration = Duration::from_secs(300);

/// A coordination strategy and the service behind it.
#[derive(Clone, Copy)]
struct Strategy {
    /// The name in the results.
    name: &'static str,
    /// The example's `--strategy`.
    arg: &'static str,
    /// Where the order comes from, if ordered.
    sequencer: Sequencer,
    /// Whether the sealed clicks' producers come from ZooKeeper.
    membership: bool,
}

/// The ordering service of an ordered run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sequencer {
    /// Not ordered.
    None,
    /// ZooKeeper sequential znodes.
    ZooKeeper,
    /// JetStream stream sequences on the NATS server carrying the streams.
    JetStream,
}

const STRATEGIES: [Strategy; 5] = [
    Strategy {
        name: "uncoordinated",
        arg: "uncoordinated",
        sequencer: Sequencer::None,
        membership: false,
    },
    Strategy {
        name: "seal",
        arg: "seal",
        sequencer: Sequencer::None,
        membership: true,
    },
    Strategy {
        name: "independent seal",
        arg: "independent-seal",
        sequencer: Sequencer::None,
        membership: true,
    },
    Strategy {
        name: "ordered (ZooKeeper)",
        arg: "ordered",
        sequencer: Sequencer::ZooKeeper,
        membership: false,
    },
    Strategy {
        name: "ordered (JetStream, default sync)",
        arg: "ordered",
        sequencer: Sequencer::JetStream,
        membership: false,
    },
];

/// Milliseconds since the Unix epoch.
fn unix_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

/// The machine's load averages (1, 5, 15 minutes), from /proc/loadavg.
fn load_average() -> Json {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let loads: Vec<f64> = text
        .split_whitespace()
        .take(3)
        .filter_map(|s| s.parse().ok())
        .collect();
    json!(loads)
}

/// The servers of the whole bench.
struct Servers {
    nats: Nats,
    zk: ZooKeeper,
    example: PathBuf,
}

/// One run's measurements.
struct Measured {
    wall_s: f64,
    from_first_click_s: f64,
    startup_s: f64,
    correct: bool,
    replicas_agree: bool,
    true_counts: bool,
    processed: Vec<i64>,
    expected_processed: i64,
    problems: Vec<String>,
    timeline: Json,
    cache_answers: usize,
    requests: usize,
}

fn ints(v: &Json, key: &str) -> Option<f64> {
    v.get(key).and_then(Json::as_f64)
}

/// Runs one configuration once: spawns the reports, the cache and the ad
/// servers, waits for all, checks the answers.
fn run_once(
    servers: &Servers,
    strategy: Strategy,
    shape: &Shape,
    pause_ms: u64,
    run: &str,
) -> Result<Measured, String> {
    let logs = tempfile::tempdir().map_err(|e| e.to_string())?;
    let sequencer = match strategy.sequencer {
        Sequencer::None => "embedded".to_string(),
        Sequencer::ZooKeeper => format!("zookeeper://{}/{run}", servers.zk.connect_string()),
        Sequencer::JetStream => format!(
            "{}/{}",
            servers.nats.jetstream_config(),
            run.replace('-', "_")
        ),
    };
    let command = |role: &[&str]| {
        let mut c = Command::new(&servers.example);
        c.args(["--nats", &servers.nats.url(), "--run", run])
            .args(["--strategy", strategy.arg, "--sequencer", &sequencer])
            .args(["--ad-servers", &shape.ad_servers.to_string()])
            .args(["--replicas", &REPLICAS.to_string()])
            .args(["--clicks", &shape.clicks.to_string()])
            .args(["--batch", &shape.batch.to_string()])
            .args(["--ads", &shape.ads.to_string()]);
        if strategy.membership {
            c.args(["--membership", &servers.zk.connect_string()]);
        }
        c.args(role);
        c
    };
    let start = Instant::now();
    let start_unix = unix_ms();
    let mut procs: Vec<Proc> = Vec::new();
    for i in 0..REPLICAS {
        let index = i.to_string();
        procs.push(Proc::spawn(
            command(&["report", "--index", &index]),
            &format!("report-{i}"),
            logs.path(),
        ));
    }
    procs.push(Proc::spawn(command(&["cache"]), "cache", logs.path()));
    let pause = pause_ms.to_string();
    for i in 0..shape.ad_servers {
        let index = i.to_string();
        let role = [
            "ad-server",
            "--index",
            &index,
            "--pause-ms-per-batch",
            &pause,
        ];
        procs.push(Proc::spawn(
            command(&role),
            &format!("ad-server-{i}"),
            logs.path(),
        ));
    }
    // Poll for exits, so that the cache's exit is timed to a few ms.
    loop {
        let mut all_exited = true;
        for p in &mut procs {
            all_exited &= p.poll_exit();
        }
        if all_exited {
            break;
        }
        if start.elapsed() > RUN_LIMIT {
            return Err(format!("run {run} exceeded {RUN_LIMIT:?}"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let cache_exit = procs[REPLICAS].exited_at().unwrap_or_else(Instant::now);
    let wall_s = (cache_exit - start).as_secs_f64();
    let mut lines = Vec::new();
    for p in &mut procs {
        lines.push(p.result(start + RUN_LIMIT)?);
    }
    let (reports, rest) = lines.split_at(REPLICAS);
    let (cache, ad_servers) = rest.split_at(1);
    let cache = &cache[0];
    let first_click = ad_servers
        .iter()
        .filter_map(|a| ints(a, "first_click_unix_ms"))
        .fold(f64::INFINITY, f64::min);
    let cache_end = ints(cache, "finished_unix_ms").unwrap_or(f64::NAN);
    let from_first_click_s = (cache_end - first_click) / 1000.0;
    let startup_s = lines
        .iter()
        .filter_map(|l| ints(l, "connected_unix_ms"))
        .fold(0.0, f64::max)
        .max(first_click)
        - start_unix;
    let independent = strategy.arg == "independent-seal";
    let clicks = (shape.ad_servers * shape.clicks) as i64;
    let expected_processed = clicks + shape.requests(independent).len() as i64;
    let processed: Vec<i64> = reports
        .iter()
        .map(|r| r["processed"].as_i64().unwrap_or(-1))
        .collect();
    let answers: Vec<Vec<String>> = reports
        .iter()
        .map(|r| canonical(&r["sent"]["response"]))
        .collect();
    let replicas_agree = answers.windows(2).all(|w| w[0] == w[1]);
    let stored = canonical(&cache["answers"]);
    let requests = shape.requests(independent).len();
    let truth: Vec<blazes::Tuple> = shape
        .campaign_answers(independent)
        .iter()
        .map(blazes::Record::to_tuple)
        .collect();
    let true_counts = answers.iter().all(|a| *a == sorted_json(&truth));
    let mut problems = Vec::new();
    if processed.iter().any(|&p| p != expected_processed) {
        problems.push(format!(
            "processed {processed:?}, expected {expected_processed} each"
        ));
    }
    if strategy.arg != "uncoordinated" && !replicas_agree {
        problems.push("the Report replicas' answers differ".to_string());
    }
    // Uncoordinated replicas may answer a request differently, and the
    // cache then stores both answers: recorded, not a failure.
    if strategy.arg != "uncoordinated" && stored.len() != requests {
        problems.push(format!(
            "the cache stored {} answers for {requests} requests",
            stored.len()
        ));
    }
    // Instants relative to the first spawn, in seconds.
    let at = |v: Option<f64>| v.map(|ms| round((ms - start_unix) / 1000.0, 3));
    let latest =
        |values: &[Json], key: &str| values.iter().filter_map(|v| ints(v, key)).reduce(f64::max);
    let timeline = json!({
        "all_connected": at(latest(&lines, "connected_unix_ms")),
        "first_click": at(Some(first_click)),
        "last_click": at(latest(ad_servers, "last_click_unix_ms")),
        "ad_servers_finished": at(latest(ad_servers, "finished_unix_ms")),
        "reports_finished": at(latest(reports, "finished_unix_ms")),
        "cache_finished": at(Some(cache_end)),
        "cache_exit": round(wall_s, 3),
    });
    let cache_answers = stored.len();
    Ok(Measured {
        wall_s,
        from_first_click_s,
        startup_s: startup_s / 1000.0,
        correct: problems.is_empty(),
        replicas_agree,
        true_counts,
        processed,
        expected_processed,
        problems,
        timeline,
        cache_answers,
        requests,
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}

/// Records per throughput measurement, and repetitions (interleaved).
const THROUGHPUT_RECORDS: usize = 200_000;
const THROUGHPUT_REPETITIONS: usize = 3;

/// The throughput section (issue 14): raw JetStream, uncoordinated and seal,
/// interleaved, medians and ratios.
fn throughput_section(nats: &Nats, tag: u32, quick: bool) -> Json {
    let (records, repetitions) = if quick {
        (20_000, 1)
    } else {
        (THROUGHPUT_RECORDS, THROUGHPUT_REPETITIONS)
    };
    let workload = throughput::Workload { records };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let url = nats.url();
    let names = [
        "raw JetStream",
        "uncoordinated",
        "seal",
        "uncoordinated, one hop",
        "seal, one hop",
        "raw JetStream, two hops",
    ];
    let shape = |sealed, two_hops| throughput::Shape { sealed, two_hops };
    let shapes = [
        shape(false, true),
        shape(true, true),
        shape(false, false),
        shape(true, false),
    ];
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut frames = Json::Null;
    let mut failures = Vec::new();
    for rep in 0..repetitions {
        for (i, name) in names.iter().enumerate() {
            let run = format!("tput-{tag}-{rep}-{i}");
            let outcome = match i {
                0 | 5 => rt
                    .block_on(throughput::raw(
                        &url,
                        &run.replace('-', "_"),
                        workload,
                        i == 5,
                    ))
                    .map(|r| (r, Json::Null)),
                _ => throughput::blazes(&url, &run, workload, shapes[i - 1]),
            };
            match outcome {
                Ok((rate, f)) => {
                    eprintln!("throughput {name:<14} rep {rep}: {rate:>10.0} records/s");
                    rates[i].push(rate);
                    if !f.is_null() {
                        frames[*name] = f;
                    }
                }
                Err(e) => {
                    eprintln!("throughput {name} rep {rep}: FAILED: {e}");
                    failures.push(json!({"contender": name, "repetition": rep, "error": e}));
                }
            }
        }
    }
    let medians: Vec<f64> = rates.iter_mut().map(|r| median(r)).collect();
    let results: Vec<Json> = names
        .iter()
        .zip(&medians)
        .zip(&rates)
        .map(|((name, m), runs)| {
            json!({
                "contender": name,
                "median_records_per_s": round(*m, 0),
                "runs_records_per_s": runs.iter().map(|r| round(*r, 0)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "benchmark": "records per second across the transport: raw JetStream publishing vs blazes (benches/cluster/throughput.rs)",
        "workload": {
            "records": records,
            "batch_records": throughput::BATCH,
            "publish_window": throughput::WINDOW,
            "repetitions": repetitions,
            "statistic": "median",
            "shape": "raw: one subject, publish + ordered consumer (one JetStream hop); raw, two hops: the same frames relayed by a second connection (ordered consumer, decode, encode, publish to a second subject) to the reader (two JetStream hops, as the blazes two-hop sides); uncoordinated and seal: source -> Pass -> sink (two JetStream hops); one hop: source -> Pass, whose output it keeps in its own process (one JetStream hop, as raw); each blazes side a Cluster with its own NATS connection, thread and tokio runtime, in one process; blazes is timed from the source's first send to the sink's end (one hop: Pass's end)",
        },
        "results": results,
        "uncoordinated_vs_raw": round(medians[1] / medians[0], 2),
        "seal_vs_raw": round(medians[2] / medians[0], 2),
        "uncoordinated_one_hop_vs_raw": round(medians[3] / medians[0], 2),
        "seal_one_hop_vs_raw": round(medians[4] / medians[0], 2),
        "raw_two_hops_vs_raw": round(medians[5] / medians[0], 2),
        "uncoordinated_vs_raw_two_hops": round(medians[1] / medians[5], 2),
        "seal_vs_raw_two_hops": round(medians[2] / medians[5], 2),
        "frames_last_run": frames,
        "failures": failures,
    })
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let only_throughput = std::env::args().any(|a| a == "throughput");
    let tag = std::process::id();
    if only_throughput {
        let nats = Nats::start().expect("nats-server starts");
        let section = throughput_section(&nats, tag, quick);
        println!("{}", serde_json::to_string_pretty(&section).expect("JSON"));
        if !quick {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results/cluster.json");
            let mut all: Json = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_else(|| json!({}));
            all["throughput"] = section;
            let text = serde_json::to_string_pretty(&all).expect("JSON");
            std::fs::write(&path, format!("{text}\n")).expect("write bench-results/cluster.json");
            eprintln!("updated the throughput section of {}", path.display());
        }
        return;
    }
    let (clicks, repetitions) = if quick {
        (200, 1)
    } else {
        (CLICKS, REPETITIONS)
    };
    let load_at_start = load_average();
    eprintln!("load average at start: {load_at_start}");
    let servers = Servers {
        nats: Nats::start().expect("nats-server starts"),
        zk: ZooKeeper::start().expect("ZooKeeper starts"),
        example: support_cluster::example(),
    };
    // (ad servers, strategy) -> runs.
    // (pause, ad servers, strategy) -> runs.
    let mut runs: BTreeMap<(u64, usize, usize), Vec<Measured>> = BTreeMap::new();
    let mut failures = Vec::new();
    for (rep, pause) in (0..repetitions).flat_map(|r| PAUSES_MS.map(|p| (r, p))) {
        for &n in &AD_SERVERS {
            let shape = Shape {
                ad_servers: n,
                clicks,
                batch: BATCH,
                ads: ADS,
            };
            for (s, strategy) in STRATEGIES.iter().enumerate() {
                // Fresh for each run: the two ordered runs share `arg`.
                let run = format!("cluster-{tag}-{pause}-{n}-{s}-{}-{rep}", strategy.arg);
                match run_once(&servers, *strategy, &shape, pause, &run) {
                    Ok(m) => {
                        eprintln!(
                            "pause {pause:>2} ms, {n:>2} ad servers, {:<34} rep {rep}: wall {:.3} s, from first click {:.3} s, start-up {:.3} s{}",
                            strategy.name,
                            m.wall_s,
                            m.from_first_click_s,
                            m.startup_s,
                            if m.correct { "" } else { "  INCORRECT" }
                        );
                        runs.entry((pause, n, s)).or_default().push(m);
                    }
                    Err(e) => {
                        eprintln!(
                            "pause {pause} ms, {n} ad servers, {} rep {rep}: FAILED: {e}",
                            strategy.name
                        );
                        failures.push(json!({
                            "pause_ms_per_batch": pause, "ad_servers": n, "strategy": strategy.name,
                            "repetition": rep, "error": e,
                        }));
                    }
                }
            }
        }
    }

    let mut results = Vec::new();
    // (n, strategy name) -> (wall clicks/s, first-click clicks/s)
    let mut rates: BTreeMap<(u64, usize, &str), (f64, f64)> = BTreeMap::new();
    for (&(pause, n, s), ms) in &runs {
        let strategy = STRATEGIES[s];
        let total = (n * clicks) as f64;
        let wall = median(&mut ms.iter().map(|m| m.wall_s).collect::<Vec<_>>());
        let first = median(&mut ms.iter().map(|m| m.from_first_click_s).collect::<Vec<_>>());
        let startup = median(&mut ms.iter().map(|m| m.startup_s).collect::<Vec<_>>());
        rates.insert((pause, n, strategy.name), (total / wall, total / first));
        results.push(json!({
            "pause_ms_per_batch": pause,
            "ad_servers": n,
            "strategy": strategy.name,
            "clicks": total,
            "repetitions": ms.len(),
            "median_wall_s": round(wall, 3),
            "median_from_first_click_s": round(first, 3),
            "median_startup_s": round(startup, 3),
            "clicks_per_s_wall": round(total / wall, 1),
            "clicks_per_s_from_first_click": round(total / first, 1),
            "all_correct": ms.iter().all(|m| m.correct),
            "runs": ms.iter().map(|m| json!({
                "wall_s": round(m.wall_s, 3),
                "from_first_click_s": round(m.from_first_click_s, 3),
                "startup_s": round(m.startup_s, 3),
                "correct": m.correct,
                "replicas_agree": m.replicas_agree,
                "true_counts": m.true_counts,
                "requests": m.requests,
                "cache_answers": m.cache_answers,
                "processed": m.processed,
                "expected_processed": m.expected_processed,
                "problems": m.problems,
                "timeline_s": m.timeline,
            })).collect::<Vec<_>>(),
        }));
    }
    let ratio = |a: f64, b: f64| round(a / b, 2);
    let mut seal_over_ordered = Vec::new();
    for (pause, n) in PAUSES_MS.iter().flat_map(|&p| AD_SERVERS.map(|n| (p, n))) {
        for ordered in ["ordered (ZooKeeper)", "ordered (JetStream, default sync)"] {
            for sealed in ["seal", "independent seal"] {
                if let (Some(s), Some(o)) = (
                    rates.get(&(pause, n, sealed)),
                    rates.get(&(pause, n, ordered)),
                ) {
                    seal_over_ordered.push(json!({
                        "pause_ms_per_batch": pause,
                        "ad_servers": n,
                        "sealed": sealed,
                        "ordered": ordered,
                        "wall": ratio(s.0, o.0),
                        "from_first_click": ratio(s.1, o.1),
                    }));
                }
            }
        }
    }
    let mut scaling = Vec::new();
    for (pause, strategy) in PAUSES_MS.iter().flat_map(|&p| STRATEGIES.map(|s| (p, s))) {
        if let (Some(a), Some(b)) = (
            rates.get(&(pause, AD_SERVERS[0], strategy.name)),
            rates.get(&(pause, AD_SERVERS[1], strategy.name)),
        ) {
            scaling.push(json!({
                "pause_ms_per_batch": pause,
                "strategy": strategy.name,
                "wall": ratio(b.0, a.0),
                "from_first_click": ratio(b.1, a.1),
            }));
        }
    }
    let result = json!({
        "benchmark": "ad reporting across processes (examples/ad_cluster.rs over NATS JetStream)",
        "workload": {
            "ad_servers": AD_SERVERS,
            "report_replicas": REPLICAS,
            "caches": 1,
            "clicks_per_ad_server": clicks,
            "batch": BATCH,
            "pause_ms_per_batch": PAUSES_MS,
            "ads": ADS,
            "repetitions": repetitions,
            "statistic": "median",
        },
        "timing": {
            "wall": "from spawning the first process to the cache's exit: includes process start-up and connecting to NATS/ZooKeeper",
            "from_first_click": "from the first click any ad server sent to the cache's last line (process clocks, ms): leaves process start-up out",
            "startup": "from spawning the first process until every process had connected and the first click was sent",
        },
        "machine": {
            "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "load_average_at_start": load_at_start,
            "load_average_at_end": load_average(),
        },
        "results": results,
        "seal_over_ordered_throughput": seal_over_ordered,
        "scaling_10_over_5_throughput": scaling,
        "failures": failures,
        "throughput": throughput_section(&servers.nats, tag, quick),
    });
    let text = serde_json::to_string_pretty(&result).expect("JSON");
    println!("{text}");
    if !quick {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results/cluster.json");
        std::fs::write(&path, format!("{text}\n")).expect("write bench-results/cluster.json");
        eprintln!("wrote {}", path.display());
    }
}
