//! The paper's ad network (§II, §VIII-B) across processes: each ad server,
//! each Report replica and the cache is its own process, and they exchange
//! their streams over NATS JetStream. Ordering (POOR) goes through ZooKeeper
//! or JetStream; the producers of the sealed clicks (CAMPAIGN) are learned
//! from ZooKeeper.
//!
//! ```text
//! nats-server -js -a 127.0.0.1 -p 4222 &   # loopback only
//! cargo build --features dist --example ad_cluster && A=target/debug/examples/ad_cluster
//! C="--nats nats://127.0.0.1:4222 --run demo-1 --query campaign"
//! $A $C report --index 0 > report-0.json & $A $C report --index 1 > report-1.json &
//! $A $C cache > cache.json & CACHE=$!
//! for i in 0 1 2; do $A $C ad-server --index $i --pace-ms 5 & done
//! wait $CACHE; cat cache.json
//! ```
//!
//! Every process prints one JSON line at the end (its counters and, for the
//! reports and the cache, the answers, and its timings: `elapsed_ms` since
//! the process started, and wall-clock instants in milliseconds since the
//! Unix epoch, so that a driver can line processes up); ad servers print a
//! line per sealed campaign, so a test can kill one in the middle of a
//! partition.
//!
//! `$A $C retire --index 2` retires ad server 2 when it stopped for good
//! without sealing its campaigns (an operator's command: the campaigns it
//! blocked are then released).
//!
//! When the run is over, `$A --run demo-1 clean` deletes it from the servers
//! (add `--sequencer` and `--membership` as the run used them). Reusing a
//! run id for another query, deployment or workload is refused.
//!
//! `--strategy` runs one of the evaluation's four ad-reporting strategies
//! (CAMPAIGN: `seal`, `independent-seal`, `ordered`, `uncoordinated`)
//! instead of `--query`; `ad-server --pause-ms-per-batch` sleeps after each
//! batch of `--batch` clicks, like the paper's workload (benches/cluster.rs).
//!
//! Fault injection, for `tests/dist_faults.rs` only (docs/faults.md): the
//! process aborts (`std::process::abort`, like a crash: nothing flushed,
//! nothing acknowledged) at a point a signal cannot hit reliably.
//! `--abort-at-punctuation N`: an ad server right after handing its `N`th
//! seal to the transport (before JetStream acknowledged it, so the seal may
//! have reached some Report replicas and not others); a Report replica inside
//! the handler's `on_seal` of the `N`th partition it releases (the
//! partition's clicks applied, its held requests not yet answered).
//! `--abort-after-positions N`: right after the sequencer assigned this
//! process its `N`th position (a fresh one), before the ordered message is
//! published.

#[allow(dead_code)] // shared with the tests and the evaluation benchmark
#[path = "support/ad_network_job.rs"]
mod job;
#[path = "support/telemetry.rs"]
mod telemetry;

use std::io::Write;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use blazes::Tuple;
use blazes::dist::{
    CheckpointPolicy, Cluster, ClusterConfig, InstanceOutcome, LinkStats, NatsCredentials, NatsTls,
    Security, SequencerConfig, ZooKeeperDigest,
};
use blazes::runtime::{AssignedFuture, RecoverFuture, SequencerFuture};
use blazes::runtime::{CoordinationMode, Deployment, Factories, ProducerId, Sequencer};
use blazes::{Emit, Handler, UnknownInput};
use clap::{Parser, Subcommand};
use job::{Query, Run, Shape};
use serde_json::{Value as Json, json};

/// One process of a distributed ad network.
#[derive(Parser)]
struct Args {
    /// The NATS server carrying the streams.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    nats: String,
    /// The run's id: the same for every process of one run, new for each run.
    #[arg(long)]
    run: String,
    /// The continuous query of the reporting servers.
    #[arg(long, value_enum, default_value_t = Query::Campaign)]
    query: Query,
    /// One of the evaluation's CAMPAIGN strategies instead of `--query`.
    #[arg(long, value_enum)]
    strategy: Option<Strategy>,
    /// The ordering service: embedded, zookeeper://H:P[/ROOT], jetstream://H:P.
    #[arg(long, default_value = "embedded")]
    sequencer: String,
    /// ZooKeeper (`host:port`) keeping who produces the sealed clicks.
    #[arg(long)]
    membership: Option<String>,
    /// Ad servers.
    #[arg(long, default_value_t = 3)]
    ad_servers: usize,
    /// Report replicas.
    #[arg(long, default_value_t = 2)]
    replicas: usize,
    /// Click records per ad server.
    #[arg(long, default_value_t = 200)]
    clicks: usize,
    /// Click records per campaign (one seal per batch).
    #[arg(long, default_value_t = 50)]
    batch: usize,
    /// Distinct ads.
    #[arg(long, default_value_t = 10)]
    ads: i64,
    /// How long JetStream drops a frame published again (milliseconds);
    /// past it, a replayed frame reaches its consumer, which drops it.
    #[arg(long, default_value_t = 600_000)]
    duplicate_window_ms: u64,
    /// How long a process waits for a peer it never heard from (an ad
    /// server, a replica, the cache) before failing with their names
    /// (milliseconds).
    #[arg(long, default_value_t = 60_000)]
    peer_wait_ms: u64,
    /// How often a waiting process logs the peers it still waits for
    /// (milliseconds).
    #[arg(long, default_value_t = 10_000)]
    peer_report_ms: u64,
    /// How long a partition may wait for its seals before it is reported
    /// as overdue, with the producers whose seals are missing (milliseconds).
    #[arg(long)]
    overdue_ms: Option<u64>,
    #[command(flatten)]
    security: SecurityArgs,
    /// Save a checkpoint of each hosted instance every `N` messages it
    /// reads (and every 5 s), so that a restarted Report replica reads its
    /// inputs from there (docs/runtime.md, "Checkpoints"); off by default.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_every: Option<u64>,
    /// Test only (fault injection): abort at the `N`th punctuation (an ad
    /// server after handing its `N`th seal to the transport, a Report
    /// replica in `on_seal` of its `N`th released partition).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    abort_at_punctuation: Option<u64>,
    /// Test only (fault injection): abort right after the sequencer assigned
    /// the `N`th fresh position, before its message is published.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    abort_after_positions: Option<u64>,
    /// The process's role.
    #[command(subcommand)]
    role: Role,
}

/// Credentials, TLS and authentication. Secrets can also come from the
/// environment (`BLAZES_NATS_TOKEN`, `BLAZES_NATS_PASSWORD`,
/// `BLAZES_ZOOKEEPER_DIGEST`), which other users cannot read in `ps`.
#[derive(clap::Args)]
struct SecurityArgs {
    /// A token the NATS server requires.
    #[arg(long)]
    nats_token: Option<String>,
    /// A user the NATS server knows (with `--nats-password`).
    #[arg(long)]
    nats_user: Option<String>,
    /// The NATS user's password.
    #[arg(long)]
    nats_password: Option<String>,
    /// A NATS `.creds` file (JWT and NKey seed).
    #[arg(long)]
    nats_creds: Option<std::path::PathBuf>,
    /// A PEM file of certificate authorities to trust: TLS to NATS.
    #[arg(long)]
    nats_ca: Option<std::path::PathBuf>,
    /// A PEM client certificate for NATS (with `--nats-key`).
    #[arg(long, requires = "nats_key")]
    nats_cert: Option<std::path::PathBuf>,
    /// The PEM private key of `--nats-cert`.
    #[arg(long, requires = "nats_cert")]
    nats_key: Option<std::path::PathBuf>,
    /// ZooKeeper digest authentication, USER:PASSWORD.
    #[arg(long)]
    zookeeper_digest: Option<String>,
}

impl SecurityArgs {
    fn security(&self) -> Result<Security, Box<dyn std::error::Error>> {
        let from_env =
            |flag: &Option<String>, var: &str| flag.clone().or_else(|| std::env::var(var).ok());
        let token = from_env(&self.nats_token, "BLAZES_NATS_TOKEN");
        let password = from_env(&self.nats_password, "BLAZES_NATS_PASSWORD");
        let credentials = match (token, &self.nats_user, password, &self.nats_creds) {
            (None, None, None, None) => None,
            (Some(token), None, None, None) => Some(NatsCredentials::Token(token)),
            (None, Some(user), Some(password), None) => Some(NatsCredentials::UserPassword {
                user: user.clone(),
                password,
            }),
            (None, None, None, Some(file)) => Some(NatsCredentials::CredsFile(file.clone())),
            _ => {
                return Err(
                    "NATS credentials: give one of --nats-token, --nats-user with \
                            --nats-password, or --nats-creds"
                        .into(),
                );
            }
        };
        let tls = match (&self.nats_ca, &self.nats_cert, &self.nats_key) {
            (None, None, None) => None,
            (ca, cert, key) => {
                let mut tls = NatsTls::default();
                tls.ca_file = ca.clone();
                if let (Some(cert), Some(key)) = (cert, key) {
                    tls = tls.client_cert(cert, key);
                }
                Some(tls)
            }
        };
        let mut security = Security::default();
        security.nats.credentials = credentials;
        security.nats.tls = tls;
        security.zookeeper = from_env(&self.zookeeper_digest, "BLAZES_ZOOKEEPER_DIGEST")
            .map(|d| ZooKeeperDigest::parse(&d))
            .transpose()?;
        security.nats.check()?;
        Ok(security)
    }
}

#[derive(Subcommand)]
enum Role {
    /// Sends one ad server's clicks (a replay when started again).
    AdServer {
        /// Which ad server.
        #[arg(long)]
        index: usize,
        /// Pause after each click, in milliseconds.
        #[arg(long, default_value_t = 0)]
        pace_ms: u64,
        /// Pause after each batch of `--batch` clicks (and its seal), in
        /// milliseconds.
        #[arg(long, default_value_t = 0)]
        pause_ms_per_batch: u64,
    },
    /// Runs one Report replica.
    Report {
        /// Which replica.
        #[arg(long)]
        index: usize,
    },
    /// Runs the cache, sends the analysts' requests, collects the answers.
    Cache,
    /// Retires a producer that stopped for good (e.g. an ad server that will
    /// send nothing more): it counts as that producer's seal of every
    /// campaign it has not sealed, so the campaigns it blocked are released
    /// once the others sealed them (docs/runtime.md, "Retirement").
    Retire {
        /// The source or component whose producer is retired.
        #[arg(long, default_value = "clicks")]
        producer: String,
        /// Which of its producers.
        #[arg(long)]
        index: usize,
    },
    /// Deletes a finished run from the servers: its stream, its sequencer
    /// streams or znodes (`--sequencer`), its membership znodes
    /// (`--membership`). Run it once every process of the run has ended.
    Clean,
}

/// The evaluation's ad-reporting strategies (§VIII-B), all on CAMPAIGN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Strategy {
    /// Clicks sealed on campaign by every ad server.
    Seal,
    /// Each campaign sealed by the one ad server mastering it.
    IndependentSeal,
    /// Unsealed clicks, ordered through the sequencer at Report.
    Ordered,
    /// No coordination at all (the plan ignored).
    Uncoordinated,
}

impl From<Strategy> for Run {
    fn from(strategy: Strategy) -> Run {
        match strategy {
            Strategy::Seal => Run::Seal,
            Strategy::IndependentSeal => Run::IndependentSeal,
            Strategy::Ordered => Run::Ordered,
            Strategy::Uncoordinated => Run::Uncoordinated,
        }
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// When the process started, on both clocks.
#[derive(Clone, Copy)]
struct Clock {
    start: Instant,
    start_unix_ms: u128,
}

impl Clock {
    fn elapsed_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }
}

/// Runs the process; an error is printed as its message and its causes
/// (not as a debug dump), and the exit code is 1.
fn main() -> std::process::ExitCode {
    match run_process() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_process() -> Result<(), Box<dyn std::error::Error>> {
    telemetry::install()?;
    let clock = Clock {
        start: Instant::now(),
        start_unix_ms: unix_ms(),
    };
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(args, clock))
}

fn shape(args: &Args) -> Shape {
    Shape {
        ad_servers: args.ad_servers,
        clicks: args.clicks,
        batch: args.batch,
        ads: args.ads,
    }
}

async fn run(args: Args, clock: Clock) -> Result<(), Box<dyn std::error::Error>> {
    let query = args.strategy.map_or(Run::Query(args.query), Run::from);
    let (dataflow, analysis, mut factories) = query.job();
    if let (Some(n), Role::Report { .. }) = (args.abort_at_punctuation, &args.role) {
        factories = abort_at_seal(factories, n);
    }
    let mut deployment = Deployment::new()
        .instances("Report", args.replicas)
        .instances("Cache", 1)
        .source_producers("clicks", args.ad_servers)
        .seed(7);
    if query == Run::Uncoordinated {
        deployment = deployment.coordination(CoordinationMode::Off);
    }
    if let Some(ms) = args.overdue_ms {
        deployment = deployment.overdue_after(Duration::from_millis(ms));
    }
    let mut config = ClusterConfig::new(&args.nats, &args.run);
    config.sequencer = args.sequencer.parse::<SequencerConfig>()?;
    config.membership = args.membership.clone();
    config.duplicate_window = Duration::from_millis(args.duplicate_window_ms);
    config.security = args.security.security()?;
    config.peer_wait = Duration::from_millis(args.peer_wait_ms);
    config.peer_report_every = Duration::from_millis(args.peer_report_ms);
    config.checkpoints = args
        .checkpoint_every
        .map(|n| CheckpointPolicy::new(n, Duration::from_secs(5)));
    config.workload = format!(
        "{query:?}, {} clicks per ad server in campaigns of {}, {} ads",
        args.clicks, args.batch, args.ads
    );
    if let Role::Clean = args.role {
        let cleaned = blazes::dist::clean_run(&config).await?;
        println!(
            "{}",
            json!({"role": "clean", "run": args.run, "streams": cleaned.streams, "znodes": cleaned.znodes})
        );
        return Ok(());
    }
    let mut cluster = Cluster::connect(&dataflow, &analysis, &deployment, factories, config)
        .await?
        .record_outputs(true);
    if let Some(n) = args.abort_after_positions {
        cluster = cluster.wrap_sequencer(|inner| Arc::new(AbortAfterPositions::new(inner, n)));
    }
    let connected_unix_ms = unix_ms();
    let shape = shape(&args);
    let mut failures: Vec<String> = Vec::new();
    let mut line = match args.role {
        Role::AdServer {
            index,
            pace_ms,
            pause_ms_per_batch,
        } => {
            let pace = Pace {
                per_click: Duration::from_millis(pace_ms),
                per_batch: Duration::from_millis(pause_ms_per_batch),
            };
            let abort_at = args.abort_at_punctuation;
            let sent = ad_server(&cluster, &shape, query, index, pace, abort_at).await?;
            json!({
                "role": "ad-server",
                "index": index,
                "links": links(&sent.stats),
                "first_click_unix_ms": sent.first_click_unix_ms,
                "last_click_unix_ms": sent.last_click_unix_ms,
            })
        }
        Role::Report { index } => {
            let outcome = cluster.run_instance("Report", index).await?;
            failures.extend(outcome.failures().iter().map(ToString::to_string));
            let mut line = instance(&outcome);
            line["role"] = json!("report");
            line["index"] = json!(index);
            line
        }
        Role::Cache => {
            let requests = async {
                let mut analyst = cluster.source("requests", 0).await?;
                for request in shape.requests(query.independent()) {
                    analyst.send(request).await?;
                }
                analyst.close().await
            };
            let (cache, requests, answers) = tokio::try_join!(
                cluster.run_instance("Cache", 0),
                requests,
                cluster.collect_sink("answers")
            )?;
            let (collector, sink_links) = answers;
            failures.extend(cache.failures().iter().map(ToString::to_string));
            json!({
                "role": "cache",
                "cache": instance(&cache),
                "requests": links(&requests),
                "answers": collector.records.iter().map(|r| r.payload.to_json()).collect::<Vec<_>>(),
                "sink_duplicates": collector.duplicates,
                "sink_links": links(&sink_links),
            })
        }
        Role::Retire { producer, index } => {
            let stats = cluster.retire(&producer, index).await?;
            json!({
                "role": "retire",
                "producer": producer,
                "index": index,
                "links": links(&stats),
            })
        }
        // Handled above, before connecting (which would create the run).
        Role::Clean => return Err("clean does not connect to a run".into()),
    };
    line["started_unix_ms"] = json!(clock.start_unix_ms);
    line["connected_unix_ms"] = json!(connected_unix_ms);
    line["finished_unix_ms"] = json!(unix_ms());
    line["elapsed_ms"] = json!(clock.elapsed_ms());
    line["failures"] = json!(failures);
    println!("{line}");
    if failures.is_empty() {
        Ok(())
    } else {
        for failure in &failures {
            eprintln!("  {failure}");
        }
        Err(format!(
            "FAILED: the run reported {} failure(s) (listed above)",
            failures.len()
        )
        .into())
    }
}

/// How an ad server paces its clicks.
#[derive(Clone, Copy)]
struct Pace {
    /// Pause after each click.
    per_click: Duration,
    /// Pause after each batch (and its seal).
    per_batch: Duration,
}

/// What an ad server sent, and when.
struct Sent {
    stats: LinkStats,
    first_click_unix_ms: Option<u128>,
    last_click_unix_ms: Option<u128>,
}

/// Sends ad server `index`'s clicks campaign by campaign, sealing each
/// campaign when the query seals, and says on stdout where it is.
async fn ad_server(
    cluster: &Cluster,
    shape: &Shape,
    query: Run,
    index: usize,
    pace: Pace,
    abort_at_punctuation: Option<u64>,
) -> Result<Sent, Box<dyn std::error::Error>> {
    let mut producer = cluster.source("clicks", index).await?;
    let mut stdout = std::io::stdout();
    let independent = query.independent();
    let mut first_click_unix_ms = None;
    let mut last_click_unix_ms = None;
    let mut seals = 0;
    for b in 0..shape.batches() {
        let campaign = shape.campaign(index, b, independent);
        let clicks = shape.batch_clicks(index, b, independent);
        for (k, click) in clicks.into_iter().enumerate() {
            first_click_unix_ms.get_or_insert_with(unix_ms);
            producer.send(click).await?;
            last_click_unix_ms = Some(unix_ms());
            if k == shape.batch / 2 {
                writeln!(stdout, "campaign {campaign} half sent")?;
                stdout.flush()?;
            }
            if !pace.per_click.is_zero() {
                tokio::time::sleep(pace.per_click).await;
            }
        }
        if let Some(key) = query.seal_key() {
            producer.seal(Tuple::new().with(key, campaign)).await?;
            seals += 1;
            if abort_at_punctuation == Some(seals) {
                // Handed to the transport, not acknowledged: a crash mid-seal.
                std::process::abort();
            }
            writeln!(stdout, "campaign {campaign} sealed")?;
            stdout.flush()?;
        }
        if !pace.per_batch.is_zero() {
            tokio::time::sleep(pace.per_batch).await;
        }
    }
    Ok(Sent {
        stats: producer.close().await?,
        first_click_unix_ms,
        last_click_unix_ms,
    })
}

fn links(stats: &LinkStats) -> Json {
    json!({
        "frames_in": stats.frames_in,
        "duplicate_frames": stats.duplicate_frames,
        "malformed_frames": stats.malformed_frames,
        "frames_out": stats.frames_out,
        "publish_retries": stats.publish_retries,
        "already_stored": stats.already_stored,
        "reader_restarts": stats.reader_restarts,
        "recovered_positions": stats.recovered_positions,
        "fenced_frames": stats.fenced_frames,
    })
}

fn instance(outcome: &InstanceOutcome) -> Json {
    let m = &outcome.snapshot.metrics;
    json!({
        "instance": outcome.snapshot.instance.0,
        "restored_from": outcome.restored_from,
        "checkpoints_saved": outcome.checkpoints_saved,
        "received": m.received,
        "records_in": m.records_in(),
        "duplicate_records": m.duplicate_records,
        "duplicate_punctuations": m.duplicate_punctuations,
        "processed": m.processed,
        "dead_lettered": m.dead_lettered,
        "held": m.held,
        "balanced": m.balanced(),
        "released_partitions": m.released_partitions,
        "overdue_partitions": m.overdue_partitions,
        "unsealed": outcome.snapshot.unsealed.iter().map(|p| json!({
            "partition": p.key.to_json(),
            "missing": p.missing_names,
        })).collect::<Vec<_>>(),
        "links": links(&outcome.links),
        "sent": outcome.sent.iter().map(|(output, records)| {
            (output.clone(), Json::Array(records.iter().map(Tuple::to_json).collect()))
        }).collect::<serde_json::Map<_, _>>(),
    })
}

/// Fault injection (`--abort-after-positions N`): the configured sequencer,
/// aborting the process right after it assigned the `N`th fresh position,
/// before the ordered message is published.
struct AbortAfterPositions {
    inner: Arc<dyn Sequencer>,
    assigned: AtomicU64,
    abort_at: u64,
}

impl AbortAfterPositions {
    fn new(inner: Arc<dyn Sequencer>, abort_at: u64) -> AbortAfterPositions {
        AbortAfterPositions {
            inner,
            assigned: AtomicU64::new(0),
            abort_at,
        }
    }

    /// Counts a fresh position; aborts at the `N`th.
    fn assigned(&self) {
        if self.assigned.fetch_add(1, Ordering::SeqCst) + 1 == self.abort_at {
            std::process::abort();
        }
    }
}

impl Sequencer for AbortAfterPositions {
    fn assign<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> SequencerFuture<'a> {
        Box::pin(async move {
            let position = self.inner.assign(group, producer, seq).await?;
            if position.is_some() {
                self.assigned();
            }
            Ok(position)
        })
    }

    fn recover<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> RecoverFuture<'a> {
        Box::pin(async move {
            let recovered = self.inner.recover(group, producer, seq).await?;
            if !recovered.replay {
                self.assigned();
            }
            Ok(recovered)
        })
    }
    fn assigned<'a>(&'a self, group: &'a str, producer: ProducerId) -> AssignedFuture<'a> {
        self.inner.assigned(group, producer)
    }
}

/// Fault injection (`--abort-at-punctuation N` on a Report replica): Report's
/// factory, its handler aborting the process inside `on_seal` of the `N`th
/// partition it releases.
fn abort_at_seal(factories: Factories, n: u64) -> Factories {
    let inner = Rc::new(factories);
    let names = inner.names();
    let mut wrapped = Factories::new();
    for name in names {
        let inner = inner.clone();
        let report = name == "Report";
        let component = name.clone();
        wrapped = wrapped.with(&name, move || -> Box<dyn Handler> {
            let handler = match inner.make(&component) {
                Ok(handler) => handler,
                // `names` lists only components with a factory.
                Err(e) => unreachable!("{e}"),
            };
            if report {
                Box::new(AbortAtSeal {
                    inner: handler,
                    released: 0,
                    abort_at: n,
                })
            } else {
                handler
            }
        });
    }
    wrapped
}

/// A handler aborting the process in `on_seal` of its `N`th released partition.
struct AbortAtSeal {
    inner: Box<dyn Handler>,
    released: u64,
    abort_at: u64,
}

impl Handler for AbortAtSeal {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        self.inner.handle(input, tuple, out)
    }

    fn on_seal(&mut self, input: &str, partition: &Tuple, out: &mut Emit) {
        self.released += 1;
        if self.released == self.abort_at {
            std::process::abort();
        }
        self.inner.on_seal(input, partition, out);
    }
}
