//! A checkpointed restart across processes (runtime spec, "Restarts";
//! docs/runtime.md, "Checkpoints"): the six-process ad network of
//! `examples/ad_cluster.rs` (CAMPAIGN, clicks sealed per campaign, the
//! sealing producers in ZooKeeper) with checkpoints on, a long paced run,
//! one Report replica killed with `kill -9` late in it and started again.
//! The restarted replica restores its last checkpoint and reads at most the
//! messages stored on its subject since then (counted from JetStream), each
//! replica processed every click and request exactly once, the replicas'
//! answers agree and are the true counts, and the books balance.

#[allow(dead_code)]
#[path = "../examples/support/ad_network_job.rs"]
mod ad;
mod support_cluster;
mod support_servers;

use std::process::Command;
use std::time::{Duration, Instant};

use ad::Shape;
use async_nats::jetstream::{self, consumer::DeliverPolicy};
use serde_json::Value as Json;
use support_cluster::{Proc, canonical, sorted_json};
use support_servers::{Nats, ZooKeeper};

/// How long the run may take.
const RUN_LIMIT: Duration = Duration::from_secs(90);

const SHAPE: Shape = Shape {
    ad_servers: 3,
    clicks: 1000,
    batch: 100,
    ads: 10,
};

/// The instances checkpoint every this many messages read.
const CHECKPOINT_EVERY: &str = "200";

struct Cluster {
    nats: String,
    zk: String,
    run: String,
    logs: std::path::PathBuf,
    started: usize,
}

impl Cluster {
    fn spawn(&mut self, role: &[&str]) -> Proc {
        self.started += 1;
        let mut c = Command::new(support_cluster::example());
        c.args(["--nats", &self.nats, "--run", &self.run])
            .args(["--query", "campaign", "--membership", &self.zk])
            .args(["--clicks", &SHAPE.clicks.to_string()])
            .args(["--batch", &SHAPE.batch.to_string()])
            .args(["--checkpoint-every", CHECKPOINT_EVERY])
            .args(role);
        let name = format!("{}.{}", role.join("-"), self.started);
        Proc::spawn(c, &name, &self.logs)
    }
}

fn int(v: &Json, path: &[&str]) -> i64 {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_i64()
        .unwrap_or_else(|| panic!("no integer at {path:?} in {v}"))
}

/// Messages stored on `subject` of the run's stream from stream sequence
/// `from` on (all of them when `from` is `None`).
async fn stored(nats: &str, run: &str, subject: &str, from: Option<u64>) -> u64 {
    let client = async_nats::connect(nats).await.expect("nats client");
    let js = jetstream::new(client);
    let stream = js
        .get_stream(format!("BLAZES_RUN_{run}"))
        .await
        .expect("the run's stream");
    let deliver_policy = match from {
        Some(start_sequence) => DeliverPolicy::ByStartSequence { start_sequence },
        None => DeliverPolicy::All,
    };
    let mut consumer = stream
        .create_consumer(jetstream::consumer::pull::Config {
            filter_subject: subject.to_string(),
            deliver_policy,
            ..Default::default()
        })
        .await
        .expect("a consumer");
    consumer.info().await.expect("consumer info").num_pending
}

#[test]
fn a_report_replica_restarted_late_reads_only_what_came_after_its_checkpoint() {
    let nats = Nats::start().expect("nats-server starts");
    let zk = ZooKeeper::start().expect("ZooKeeper starts");
    let logs = tempfile::tempdir().expect("log dir");
    let mut cluster = Cluster {
        nats: nats.url(),
        zk: zk.connect_string(),
        run: "checkpoint-1".to_string(),
        logs: logs.path().to_path_buf(),
        started: 0,
    };
    // Built before the clock starts.
    support_cluster::example();
    let began = Instant::now();
    let mut reports = [
        cluster.spawn(&["report", "--index", "0"]),
        cluster.spawn(&["report", "--index", "1"]),
    ];
    let mut cache = cluster.spawn(&["cache"]);
    let mut servers: Vec<Proc> = (0..SHAPE.ad_servers)
        .map(|i| {
            let i = i.to_string();
            cluster.spawn(&["ad-server", "--index", &i, "--pace-ms", "2"])
        })
        .collect();

    // Late in the run: ad server 0 has sealed 8 of its 10 campaigns.
    let late = SHAPE.batches() - 2;
    while servers[0]
        .lines()
        .iter()
        .filter(|l| l.ends_with("sealed"))
        .count()
        < late
    {
        assert!(
            began.elapsed() < RUN_LIMIT,
            "the run never got late: {:?}\n{}",
            servers[0].lines().to_vec(),
            servers[0].log()
        );
        assert!(!servers[0].poll_exit(), "{}", servers[0].log());
        std::thread::sleep(Duration::from_millis(20));
    }
    reports[1].kill();
    std::thread::sleep(Duration::from_millis(300));
    reports[1] = cluster.spawn(&["report", "--index", "1"]);

    let deadline = began + RUN_LIMIT;
    for s in &mut servers {
        s.result(deadline).expect("ad server");
    }
    let results: Vec<Json> = reports
        .iter_mut()
        .map(|r| r.result(deadline).expect("report"))
        .collect();
    let cache = cache.result(deadline).expect("cache");

    // The restarted replica restored a checkpoint and read at most what was
    // stored on its subject since then: a small part of the run.
    let restarted = &results[1];
    let from = restarted["restored_from"]
        .as_u64()
        .unwrap_or_else(|| panic!("the restarted replica restored no checkpoint: {restarted}"));
    let subject = format!("blazes.{}.i.{}", cluster.run, int(restarted, &["instance"]));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let since_checkpoint =
        runtime.block_on(stored(&cluster.nats, &cluster.run, &subject, Some(from)));
    let all = runtime.block_on(stored(&cluster.nats, &cluster.run, &subject, None));
    let read = int(restarted, &["links", "frames_in"]) as u64;
    eprintln!(
        "restarted replica: read {read} messages from stream sequence {from}; \
         {since_checkpoint} stored since, {all} in the run"
    );
    assert!(
        read <= since_checkpoint,
        "read {read}, only {since_checkpoint} stored since the checkpoint"
    );
    assert!(
        since_checkpoint * 2 < all,
        "the checkpoint was late in the run: {since_checkpoint} of {all} after it"
    );
    assert!(int(&results[0], &["checkpoints_saved"]) > 0);
    assert!(results[0]["restored_from"].is_null(), "never restarted");

    // Exactly once, replicas agree, true counts, books balance.
    let clicks = (SHAPE.ad_servers * SHAPE.clicks) as i64;
    let requests = SHAPE.requests(false).len() as i64;
    for (i, r) in results.iter().enumerate() {
        assert_eq!(
            int(r, &["processed"]),
            clicks + requests,
            "report {i} processed every click and request once: {r}"
        );
        assert_eq!(int(r, &["dead_lettered"]), 0, "report {i}: {r}");
        assert_eq!(int(r, &["held"]), 0, "report {i}: {r}");
        assert_eq!(r["balanced"], Json::Bool(true), "report {i}: {r}");
    }
    let answers: Vec<Vec<String>> = results
        .iter()
        .map(|r| canonical(&r["sent"]["response"]))
        .collect();
    assert_eq!(answers[0], answers[1], "the replicas agree");
    let truth: Vec<blazes::Tuple> = SHAPE
        .campaign_answers(false)
        .iter()
        .map(blazes::Record::to_tuple)
        .collect();
    assert_eq!(answers[0], sorted_json(&truth), "the true counts");
    assert_eq!(
        canonical(&cache["answers"]),
        answers[0],
        "the cache has them"
    );
    assert_eq!(cache["cache"]["balanced"], Json::Bool(true), "{cache}");
}
