//! The ad network across processes on loopback (examples/ad_cluster.rs):
//! three ad-server processes, two Report replica processes and a cache
//! process exchange their streams over a real nats-server (JetStream);
//! ZooKeeper keeps who produces the sealed clicks (CAMPAIGN) or orders
//! Report's inputs (POOR). Faults: `kill -9` of an ad server in the middle
//! of a campaign and its restart (a replay), a NATS server restart, a
//! ZooKeeper server restart. After each run: no click lost, none applied
//! twice (every answer equals the true count, every replica processed each
//! record once), the replicas agree, and the books balance.

#[allow(dead_code)]
#[path = "../examples/support/ad_network_job.rs"]
mod ad;
mod support_cluster;
mod support_servers;

use std::process::Command;
use std::time::{Duration, Instant};

use ad::Shape;
use blazes::dist::{
    Cluster, ClusterConfig, ClusterError, InstanceOutcome, LinkStats, SourceProducer,
};
use blazes::runtime::Deployment;
use blazes::runtime::SinkCollector;
use serde_json::Value as Json;
use support_cluster::{Proc, canonical, sorted_json};
use support_servers::{Nats, ZooKeeper, tokio};

/// How long a whole run may take before the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(180);

fn shape() -> Shape {
    Shape {
        ad_servers: 3,
        clicks: 200,
        batch: 50,
        ads: 10,
    }
}

/// One run's shared arguments.
struct Setup {
    nats: String,
    run: String,
    query: &'static str,
    sequencer: String,
    membership: Option<String>,
    logs: tempfile::TempDir,
}

impl Setup {
    /// Spawns the example as `name` in `role`.
    fn spawn(&self, name: &str, role: &[&str]) -> Proc {
        let mut c = Command::new(support_cluster::example());
        c.args([
            "--nats", &self.nats, "--run", &self.run, "--query", self.query,
        ])
        .args(["--sequencer", &self.sequencer])
        // Replays must reach the consumers, whose links drop them.
        .args(["--duplicate-window-ms", "200"]);
        if let Some(m) = &self.membership {
            c.args(["--membership", m]);
        }
        c.args(role);
        Proc::spawn(c, name, self.logs.path())
    }
}

/// Waits until `process` prints `text`; fails the test otherwise.
fn wait_for(process: &mut Proc, text: &str) {
    if let Err(e) = process.wait_for(text, RUN_LIMIT) {
        panic!("{e}");
    }
}

/// The processes of one run.
struct Run {
    reports: Vec<Proc>,
    cache: Proc,
    ad_servers: Vec<Proc>,
}

fn ad_server(setup: &Setup, index: usize, restarted: bool) -> Proc {
    let name = format!("ad-server-{index}{}", if restarted { "-again" } else { "" });
    setup.spawn(
        &name,
        &["ad-server", "--index", &index.to_string(), "--pace-ms", "3"],
    )
}

fn start(setup: &Setup) -> Run {
    let reports = (0..2)
        .map(|i| {
            setup.spawn(
                &format!("report-{i}"),
                &["report", "--index", &i.to_string()],
            )
        })
        .collect();
    let cache = setup.spawn("cache", &["cache"]);
    let ad_servers = (0..3).map(|i| ad_server(setup, i, false)).collect();
    Run {
        reports,
        cache,
        ad_servers,
    }
}

/// What a finished run printed.
struct Outcome {
    reports: Vec<Json>,
    cache: Json,
    ad_servers: Vec<Json>,
}

fn finish(run: Run) -> Outcome {
    let deadline = Instant::now() + RUN_LIMIT;
    let result = |mut p: Proc| p.result(deadline).unwrap_or_else(|e| panic!("{e}"));
    Outcome {
        ad_servers: run.ad_servers.into_iter().map(result).collect(),
        reports: run.reports.into_iter().map(result).collect(),
        cache: result(run.cache),
    }
}

/// CAMPAIGN's true answers, as sorted JSON.
fn truth_of(shape: &Shape, independent: bool) -> Vec<String> {
    let answers: Vec<blazes::Tuple> = shape
        .campaign_answers(independent)
        .iter()
        .map(blazes::Record::to_tuple)
        .collect();
    sorted_json(&answers)
}

fn int(v: &Json, path: &[&str]) -> i64 {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_i64()
        .unwrap_or_else(|| panic!("no integer at {path:?} in {v}"))
}

/// No loss, no double apply, replicas agree, books balance.
fn assert_exact(outcome: &Outcome, shape: &Shape, query: &str) {
    let clicks = (shape.ad_servers * shape.clicks) as i64;
    let requests = shape.requests(false).len() as i64;
    for (i, r) in outcome.reports.iter().enumerate() {
        assert_eq!(
            int(r, &["processed"]),
            clicks + requests,
            "report {i} applied every click and request exactly once: {r}"
        );
        assert_eq!(int(r, &["dead_lettered"]), 0, "report {i}: {r}");
        assert_eq!(int(r, &["held"]), 0, "report {i}: {r}");
        assert_eq!(r["balanced"], Json::Bool(true), "report {i}: {r}");
        assert_eq!(int(r, &["links", "malformed_frames"]), 0, "report {i}: {r}");
    }
    let answers: Vec<Vec<String>> = outcome
        .reports
        .iter()
        .map(|r| canonical(&r["sent"]["response"]))
        .collect();
    assert_eq!(answers[0].len() as i64, requests, "one answer per request");
    assert_eq!(answers[0], answers[1], "the Report replicas agree");
    let stored = canonical(&outcome.cache["answers"]);
    assert_eq!(stored, answers[0], "the cache stored the replicas' answers");
    if query == "campaign" {
        assert_eq!(
            answers[0],
            truth_of(shape, false),
            "answers are the true counts"
        );
    }
    let cache = &outcome.cache["cache"];
    assert_eq!(cache["balanced"], Json::Bool(true), "cache: {cache}");
    assert_eq!(int(cache, &["dead_lettered"]), 0, "cache: {cache}");
}

/// Where POOR's order comes from (CAMPAIGN needs none).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ordering {
    /// Not ordered: CAMPAIGN, its producers learned from ZooKeeper.
    Sealed,
    /// ZooKeeper sequential znodes.
    ZooKeeper,
    /// JetStream stream sequences, on the NATS server that carries the streams.
    JetStream,
}

fn setup(query: &'static str, nats: &Nats, zk: &ZooKeeper, ordering: Ordering, run: &str) -> Setup {
    Setup {
        nats: nats.url(),
        run: run.to_string(),
        query,
        sequencer: match ordering {
            Ordering::Sealed => "embedded".to_string(),
            Ordering::ZooKeeper => format!("zookeeper://{}/{run}", zk.connect_string()),
            Ordering::JetStream => format!("{}/{}", nats.jetstream_config(), run.replace('-', "_")),
        },
        membership: (ordering == Ordering::Sealed).then(|| zk.connect_string()),
        logs: tempfile::tempdir().expect("log dir"),
    }
}

fn servers() -> (Nats, ZooKeeper) {
    (
        Nats::start().expect("nats-server starts"),
        ZooKeeper::start().expect("ZooKeeper starts"),
    )
}

/// A server a run depends on.
trait Server {
    /// `kill -9`.
    fn kill(&mut self);
    /// Starts it again on the same port and data directory.
    fn start_again(&mut self) -> Result<(), String>;
}

impl Server for Nats {
    fn kill(&mut self) {
        Nats::kill(self);
    }
    fn start_again(&mut self) -> Result<(), String> {
        Nats::start_again(self)
    }
}

impl Server for ZooKeeper {
    fn kill(&mut self) {
        ZooKeeper::kill(self);
    }
    fn start_again(&mut self) -> Result<(), String> {
        ZooKeeper::start_again(self)
    }
}

/// Runs the ad network and restarts `server` (down for a second) once ad
/// server 0 has printed `after`.
fn restart_mid_run(setup: &Setup, after: &str, server: &mut dyn Server) -> Outcome {
    let mut run = start(setup);
    wait_for(&mut run.ad_servers[0], after);
    server.kill();
    std::thread::sleep(Duration::from_millis(1000));
    server.start_again().expect("the server restarts");
    finish(run)
}

/// Kills ad server 1 in the middle of a campaign and starts it again: it
/// replays its clicks and seals from the start.
fn kill_and_replay_ad_server(setup: &Setup) -> Outcome {
    let mut run = start(setup);
    wait_for(&mut run.ad_servers[1], "campaign 1 half sent");
    run.ad_servers[1].kill();
    std::thread::sleep(Duration::from_millis(500));
    run.ad_servers[1] = ad_server(setup, 1, true);
    finish(run)
}

#[test]
fn campaign_survives_an_ad_server_killed_in_the_middle_of_a_campaign() {
    let (nats, zk) = servers();
    let setup = setup("campaign", &nats, &zk, Ordering::Sealed, "kill-campaign");
    let outcome = kill_and_replay_ad_server(&setup);
    assert_exact(&outcome, &shape(), "campaign");
    // The restarted ad server sent frames its first incarnation had sent,
    // and the replicas' links dropped them.
    let dropped: i64 = outcome
        .reports
        .iter()
        .map(|r| int(r, &["links", "duplicate_frames"]))
        .sum();
    assert!(
        dropped > 0,
        "the replay reached the replicas: {:?}",
        outcome.reports
    );
}

#[test]
fn poor_survives_an_ad_server_killed_mid_run_and_recovers_its_positions() {
    let (nats, zk) = servers();
    let setup = setup("poor", &nats, &zk, Ordering::ZooKeeper, "kill-poor");
    let outcome = kill_and_replay_ad_server(&setup);
    assert_exact(&outcome, &shape(), "poor");
    let recovered = int(&outcome.ad_servers[1], &["links", "recovered_positions"]);
    assert!(
        recovered > 0,
        "the restarted ad server got its first incarnation's positions back: {}",
        outcome.ad_servers[1]
    );
}

#[test]
fn campaign_survives_a_nats_server_restart() {
    let (mut nats, zk) = servers();
    let setup = setup("campaign", &nats, &zk, Ordering::Sealed, "nats-restart");
    let outcome = restart_mid_run(&setup, "campaign 1 half sent", &mut nats);
    assert_exact(&outcome, &shape(), "campaign");
    let felt: i64 = outcome
        .reports
        .iter()
        .chain(&outcome.ad_servers)
        .map(|p| int(p, &["links", "publish_retries"]) + int(p, &["links", "reader_restarts"]))
        .sum();
    assert!(
        felt > 0,
        "the processes rode out the restart: {:?}",
        outcome.reports
    );
}

#[test]
fn poor_ordered_by_zookeeper_survives_a_zookeeper_restart() {
    let (nats, mut zk) = servers();
    let setup = setup("poor", &nats, &zk, Ordering::ZooKeeper, "zk-restart");
    let outcome = restart_mid_run(&setup, "campaign 1 half sent", &mut zk);
    assert_exact(&outcome, &shape(), "poor");
}

#[test]
fn campaign_with_membership_in_zookeeper_survives_a_zookeeper_restart() {
    let (nats, mut zk) = servers();
    let setup = setup(
        "campaign",
        &nats,
        &zk,
        Ordering::Sealed,
        "zk-restart-campaign",
    );
    let outcome = restart_mid_run(&setup, "campaign 0 half sent", &mut zk);
    assert_exact(&outcome, &shape(), "campaign");
}

fn cluster_config(nats: &str, run: &str) -> ClusterConfig {
    let mut config = ClusterConfig::new(nats, run);
    config.policy = support_servers::backend::policy();
    config
}

/// Why connecting `run` with `query`'s dataflow and default settings is
/// refused (no server is contacted: the configuration is checked first).
fn refusal(query: ad::Query, run: &str) -> String {
    let (dataflow, analysis, factories) = ad::Run::Query(query).job();
    match tokio().block_on(Cluster::connect(
        &dataflow,
        &analysis,
        &Deployment::new(),
        factories,
        ClusterConfig::new("nats://127.0.0.1:9", run),
    )) {
        Ok(_) => panic!("{query:?} with run id `{run}` was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn an_ordered_dataflow_across_processes_needs_a_shared_sequencer() {
    let refused = refusal(ad::Query::Poor, "poor");
    assert!(
        refused.contains("Report") && refused.contains("zookeeper://"),
        "{refused}"
    );
}

#[test]
fn a_run_id_that_cannot_name_a_stream_is_refused() {
    let refused = refusal(ad::Query::Campaign, "a.b");
    assert!(refused.contains("run id `a.b`"), "{refused}");
}

/// The whole ad network in one process through the same transport: a
/// malformed frame on Report[0]'s subject is counted and skipped, and the
/// answers are still the true counts.
#[test]
fn malformed_frames_are_counted_and_skipped() {
    let nats = Nats::start().expect("nats-server starts");
    let shape = shape();
    let run = ad::Run::Query(ad::Query::Campaign);
    let deployment = Deployment::new()
        .instances("Report", 2)
        .instances("Cache", 1)
        .source_producers("clicks", shape.ad_servers)
        .seed(7);
    let rt = tokio();
    rt.block_on(async {
        let (dataflow, analysis, factories) = run.job();
        let cluster = Cluster::connect(
            &dataflow,
            &analysis,
            &deployment,
            factories,
            cluster_config(&nats.url(), "malformed"),
        )
        .await
        .expect("connected")
        .record_outputs(true);
        let report0 = cluster.topology().components
            [cluster.topology().component("Report").expect("Report")]
        .instances[0];
        let client = async_nats::connect(nats.url()).await.expect("nats client");
        // A frame whose checksum holds but whose run of records is empty
        // (issue 14: runs on the wire): version 6, a frame from 1 in epoch
        // 1 at link position 0, no schemas, one Direct message on input 0,
        // Records from producer 1 at seq 0 with no records.
        let mut empty_run = vec![6, 0, 1, 1, 0, 0, 1, 0, 0, 4, 1, 0, 0];
        empty_run.extend_from_slice(&crc32fast::hash(&empty_run).to_le_bytes());
        for garbage in [&b"\x01\xff\xff"[..], b"not a frame", b"", &empty_run] {
            client
                .publish(
                    format!("blazes.malformed.i.{}", report0.0),
                    garbage.to_vec().into(),
                )
                .await
                .expect("published");
        }
        client.flush().await.expect("flushed");
        let sources = async {
            for server in 0..shape.ad_servers {
                let mut p = cluster.source("clicks", server).await?;
                send_campaigns(&mut p, &shape, server, false).await?;
                p.close().await?;
            }
            send_requests(&cluster, &shape, false).await
        };
        let (r0, r1, cache, answers) = run_hosted(&cluster, sources).await;
        assert_eq!(r0.links.malformed_frames, 4, "{:?}", r0.links);
        assert_eq!(r1.links.malformed_frames, 0);
        let truth = truth_of(&shape, false);
        for r in [&r0, &r1] {
            assert_eq!(answers_of(r), truth);
            assert!(r.snapshot.metrics.balanced());
        }
        assert!(cache.snapshot.metrics.balanced());
        assert_eq!(answers.0.records.len(), truth.len());
        // The run is over: its stream can go.
        let stream = cluster.run_stream();
        assert!(stream.exists().await.expect("asked"));
        stream.delete().await.expect("deleted");
        assert!(!stream.exists().await.expect("asked"));
    });
}

/// Kills the Report replica 1 process mid-run and starts it again: it reads
/// its inputs again from the start of the run, rebuilds its state and sends
/// the same answers, which the cache drops as already delivered.
#[test]
fn campaign_survives_a_report_replica_killed_and_restarted() {
    let (nats, zk) = servers();
    let setup = setup("campaign", &nats, &zk, Ordering::Sealed, "kill-report");
    let mut run = start(&setup);
    wait_for(&mut run.ad_servers[0], "campaign 1 sealed");
    run.reports[1].kill();
    run.reports[1] = setup.spawn("report-1-again", &["report", "--index", "1"]);
    let outcome = finish(run);
    assert_exact(&outcome, &shape(), "campaign");
}

/// Kills the cache process (the cache, the analysts' requests and the
/// answers sink) mid-run under POOR: as a producer of Report's ordered
/// group, the restarted cache gets its requests' original positions back.
#[test]
fn poor_survives_the_cache_killed_and_restarted() {
    let (nats, zk) = servers();
    let setup = setup("poor", &nats, &zk, Ordering::ZooKeeper, "kill-cache");
    let mut run = start(&setup);
    wait_for(&mut run.ad_servers[0], "campaign 1 half sent");
    run.cache.kill();
    run.cache = setup.spawn("cache-again", &["cache"]);
    let outcome = finish(run);
    assert_exact(&outcome, &shape(), "poor");
    let recovered = int(&outcome.cache, &["cache", "links", "recovered_positions"]);
    assert!(recovered > 0, "positions recovered: {}", outcome.cache);
}

/// With membership configured, a replica counts votes only once the
/// producers the deployment declares have registered in ZooKeeper; none
/// registering is a clear error naming the missing ones, not a partition
/// released early.
#[test]
fn a_replica_waits_for_the_producers_to_register_and_says_who_is_missing() {
    let (nats, zk) = servers();
    let (dataflow, analysis, factories) = ad::Run::Query(ad::Query::Campaign).job();
    let deployment = Deployment::new()
        .instances("Report", 2)
        .instances("Cache", 1)
        .source_producers("clicks", 3);
    let mut config = cluster_config(&nats.url(), "unregistered");
    config.membership = Some(zk.connect_string());
    config.membership_wait = Duration::from_secs(2);
    let refused = tokio().block_on(async {
        let cluster = Cluster::connect(&dataflow, &analysis, &deployment, factories, config)
            .await
            .expect("connected");
        // One ad server registers; the deployment declares three.
        let _producer = cluster.source("clicks", 0).await.expect("registered");
        cluster
            .run_instance("Report", 0)
            .await
            .expect_err("refused")
    });
    assert!(
        refused.to_string().contains("Report.click")
            && refused.to_string().contains("1 of 3 producers")
            && refused
                .to_string()
                .contains("missing: clicks[1], clicks[2]"),
        "{refused}"
    );
}

/// CAMPAIGN with each campaign mastered by one ad server (`independent`):
/// the master is claimed in ZooKeeper by the producer that seals, and the
/// replicas look it up once per campaign. A member that seals a campaign
/// it does not master is refused at the producer, and a seal from it that
/// reaches the replicas (a producer without membership) is an error, not a
/// vote: the campaign is not released early.
#[test]
fn independent_partitions_are_sealed_only_by_their_master() {
    let (nats, zk) = servers();
    let shape = shape();
    let (dataflow, analysis, factories) = ad::Run::IndependentSeal.job();
    // Three ad servers and a fourth member of the stream that has no campaign.
    let deployment = Deployment::new()
        .instances("Report", 2)
        .instances("Cache", 1)
        .source_producers("clicks", 4)
        .seed(7);
    let mut config = cluster_config(&nats.url(), "independent");
    config.membership = Some(zk.connect_string());
    let rt = tokio();
    rt.block_on(async {
        let (_, _, rogue_factories) = ad::Run::IndependentSeal.job();
        let cluster = Cluster::connect(&dataflow, &analysis, &deployment, factories, config)
            .await
            .expect("connected")
            .record_outputs(true);
        // Without membership: claims nothing, checks nothing.
        let unchecked = Cluster::connect(
            &dataflow,
            &analysis,
            &deployment,
            rogue_factories,
            cluster_config(&nats.url(), "independent"),
        )
        .await
        .expect("connected");
        let stolen = shape.campaign(1, 0, true);
        let sources = async {
            // Registered as a member; seals ad server 1's first campaign
            // before ad server 1 has sent it.
            drop(cluster.source("clicks", 3).await?);
            let mut rogue = unchecked.source("clicks", 3).await?;
            rogue
                .seal(blazes::Tuple::new().with("campaign", stolen))
                .await?;
            rogue.close().await?;
            for server in 0..shape.ad_servers {
                let mut p = cluster.source("clicks", server).await?;
                send_campaigns(&mut p, &shape, server, true).await?;
                if server == 2 {
                    let refused = p
                        .seal(blazes::Tuple::new().with("campaign", stolen))
                        .await
                        .expect_err("ad server 2 does not master campaign 1");
                    assert!(
                        refused.to_string().contains("mastered by clicks[1]"),
                        "{refused}"
                    );
                }
                p.close().await?;
            }
            send_requests(&cluster, &shape, true).await
        };
        let (r0, r1, _, _) = run_hosted(&cluster, sources).await;
        let truth = truth_of(&shape, true);
        for r in [&r0, &r1] {
            let m = &r.snapshot.metrics;
            assert_eq!(m.unknown_sealers, 1, "the stolen seal was refused: {m:?}");
            assert_eq!(m.dead_lettered, 0, "no click came late: {m:?}");
            assert_eq!(answers_of(r), truth);
        }
    });
}

#[test]
fn poor_ordered_by_jetstream_survives_a_nats_server_restart() {
    let (mut nats, zk) = servers();
    let setup = setup("poor", &nats, &zk, Ordering::JetStream, "nats-restart-poor");
    let outcome = restart_mid_run(&setup, "campaign 1 half sent", &mut nats);
    assert_exact(&outcome, &shape(), "poor");
}

#[test]
fn poor_ordered_by_jetstream_survives_an_ad_server_killed_mid_run() {
    let (nats, zk) = servers();
    let setup = setup("poor", &nats, &zk, Ordering::JetStream, "kill-poor-js");
    let outcome = kill_and_replay_ad_server(&setup);
    assert_exact(&outcome, &shape(), "poor");
    let recovered = int(&outcome.ad_servers[1], &["links", "recovered_positions"]);
    assert!(recovered > 0, "{}", outcome.ad_servers[1]);
}

/// Sends ad server `server`'s clicks campaign by campaign, sealing each.
async fn send_campaigns(
    producer: &mut SourceProducer,
    shape: &Shape,
    server: usize,
    independent: bool,
) -> Result<(), ClusterError> {
    for b in 0..shape.batches() {
        for click in shape.batch_clicks(server, b, independent) {
            producer.send(click).await?;
        }
        let campaign = shape.campaign(server, b, independent);
        producer
            .seal(blazes::Tuple::new().with("campaign", campaign))
            .await?;
    }
    Ok(())
}

/// Sends the analysts' requests and ends them.
async fn send_requests(
    cluster: &Cluster,
    shape: &Shape,
    independent: bool,
) -> Result<LinkStats, ClusterError> {
    let mut analyst = cluster.source("requests", 0).await?;
    for request in shape.requests(independent) {
        analyst.send(request).await?;
    }
    analyst.close().await
}

/// Runs both Report replicas, the cache and the answers sink in this
/// process while `sources` sends.
async fn run_hosted(
    cluster: &Cluster,
    sources: impl std::future::Future<Output = Result<LinkStats, ClusterError>>,
) -> (
    InstanceOutcome,
    InstanceOutcome,
    InstanceOutcome,
    (SinkCollector, LinkStats),
) {
    let (r0, r1, cache, _, answers) = tokio::try_join!(
        cluster.run_instance("Report", 0),
        cluster.run_instance("Report", 1),
        cluster.run_instance("Cache", 0),
        sources,
        cluster.collect_sink("answers"),
    )
    .expect("the run completes");
    (r0, r1, cache, answers)
}

/// A replica's answers, sorted.
fn answers_of(outcome: &InstanceOutcome) -> Vec<String> {
    sorted_json(&outcome.sent["response"])
}
