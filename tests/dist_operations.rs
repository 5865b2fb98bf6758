//! Operating runs across processes (issue 15): a run id names one run
//! (reusing it for another dataflow, deployment or workload is refused),
//! a finished run is cleaned from the servers by a command, NATS
//! credentials and ZooKeeper digest authentication, a process waiting for
//! peers that never came names them, and partitions waiting past the
//! configured time are reported across processes. Against real servers on
//! loopback; the example's processes where an operator would meet it.

#[allow(dead_code)]
#[path = "../examples/support/ad_network_job.rs"]
mod ad;
mod support_cluster;
mod support_servers;

use std::process::Command;
use std::time::{Duration, Instant};

use ad::Shape;
use blazes::dist::{
    Cluster, ClusterConfig, ClusterError, RunStream, SequencerConfig, ServiceError, TransportError,
    ZooKeeperDigest, ZooKeeperMembership, clean_run,
};
use blazes::runtime::{Deployment, ProducerId};
use serde_json::Value as Json;
use support_cluster::{Proc, canonical, sorted_json};
use support_servers::{Nats, ZooKeeper, tokio};

/// How long one process of the example may take.
const LIMIT: Duration = Duration::from_secs(120);

fn config(nats: &Nats, run: &str, workload: &str) -> ClusterConfig {
    let mut config = ClusterConfig::new(&nats.url(), run);
    config.policy = support_servers::backend::policy();
    config.workload = workload.to_string();
    config
}

fn deployment(replicas: usize) -> Deployment {
    Deployment::new()
        .instances("Report", replicas)
        .instances("Cache", 1)
        .source_producers("clicks", 3)
        .seed(7)
}

/// Connects one process of `query`'s ad network to `config`'s run.
async fn connect(
    query: ad::Query,
    deployment: &Deployment,
    config: ClusterConfig,
) -> Result<Cluster, ClusterError> {
    let (dataflow, analysis, factories) = ad::Run::Query(query).job();
    Cluster::connect(&dataflow, &analysis, deployment, factories, config).await
}

/// What differs, when `result` is the refusal of a reused run id.
fn reuse_refusal(result: Result<Cluster, ClusterError>) -> (Vec<&'static str>, String) {
    match result {
        Ok(_) => panic!("a reused run id was accepted"),
        Err(e) => {
            let message = e.to_string();
            let ClusterError::Transport(TransportError::RunIdReused { differences, .. }) = e else {
                panic!("not a reused run id: {message}");
            };
            (differences.iter().map(|d| d.part).collect(), message)
        }
    }
}

/// The first process records the run's identity; a process of the same run
/// agrees; one with another workload, deployment or dataflow is refused,
/// naming the run id and what differs. About a second.
#[test]
fn reusing_a_run_id_for_another_workload_deployment_or_dataflow_is_refused() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let campaign = ad::Query::Campaign;
        connect(
            campaign,
            &deployment(2),
            config(&nats, "reused", "200 clicks"),
        )
        .await
        .expect("the first process records the run");
        connect(
            campaign,
            &deployment(2),
            config(&nats, "reused", "200 clicks"),
        )
        .await
        .expect("another process of the same run");
        let (parts, message) = reuse_refusal(
            connect(
                campaign,
                &deployment(2),
                config(&nats, "reused", "300 clicks"),
            )
            .await,
        );
        assert_eq!(parts, ["workload"], "{message}");
        assert!(
            message.contains("run id `reused`")
                && message.contains("`200 clicks`")
                && message.contains("`300 clicks`")
                && message.contains("new run id"),
            "{message}"
        );
        let (parts, message) = reuse_refusal(
            connect(
                campaign,
                &deployment(3),
                config(&nats, "reused", "200 clicks"),
            )
            .await,
        );
        assert_eq!(parts, ["deployment"], "{message}");
        let (parts, message) = reuse_refusal(
            connect(
                ad::Query::Thresh,
                &deployment(2),
                config(&nats, "reused", "200 clicks"),
            )
            .await,
        );
        assert_eq!(parts, ["dataflow"], "{message}");
    });
}

/// Eight processes start one run id at once, half with one workload and
/// half with another: the first record wins atomically, so exactly the
/// processes of one workload are accepted. About a second.
#[test]
fn processes_starting_one_run_id_at_once_agree_on_one_run() {
    let nats = Nats::start().expect("nats-server starts");
    let outcomes = tokio().block_on(async {
        let attempts = (0..8).map(|i| {
            let workload = if i % 2 == 0 { "even" } else { "odd" };
            let config = config(&nats, "race", workload);
            async move {
                let result = connect(ad::Query::Campaign, &deployment(2), config).await;
                (workload, result.map(|_| ()))
            }
        });
        futures_util::future::join_all(attempts).await
    });
    let accepted: Vec<&str> = outcomes
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(w, _)| *w)
        .collect();
    assert_eq!(accepted.len(), 4, "{outcomes:?}");
    assert!(accepted.iter().all(|w| *w == accepted[0]), "{outcomes:?}");
    for (_, result) in &outcomes {
        if let Err(e) = result {
            assert!(
                matches!(
                    e,
                    ClusterError::Transport(TransportError::RunIdReused { .. })
                ),
                "{e}"
            );
        }
    }
}

/// Orders one message of `run`'s group `Report` on `sequencer`: the state a
/// run leaves on the sequencing service. Returns its position.
async fn order_one(sequencer: &SequencerConfig, run: &str, seq: u64) -> Option<u64> {
    let service = sequencer
        .connect(support_servers::backend::policy())
        .await
        .expect("the sequencer connects");
    service
        .assign(&format!("{run}.Report"), ProducerId(0), seq)
        .await
        .expect("ordered")
}

/// A finished run's stream, sequencer state (ZooKeeper, then JetStream)
/// and membership znodes are deleted, another run's are not, cleaning
/// twice finds nothing, and the run id can then name another run. About
/// five seconds (ZooKeeper's start).
#[test]
fn cleaning_a_run_deletes_its_state_and_only_its_state() {
    let nats = Nats::start().expect("nats-server starts");
    let zk = ZooKeeper::start().expect("ZooKeeper starts");
    let rt = tokio();
    let sequencers: [SequencerConfig; 2] = [
        format!("{}/runs-seq", zk.zookeeper_config())
            .parse()
            .expect("valid"),
        nats.jetstream_config().parse().expect("valid"),
    ];
    for (k, sequencer) in sequencers.iter().enumerate() {
        let (old, other) = (format!("old-{k}"), format!("old-{k}-other"));
        let configure = |run: &str, workload: &str| {
            let mut c = config(&nats, run, workload);
            c.sequencer = sequencer.clone();
            c.membership = Some(zk.connect_string());
            c
        };
        rt.block_on(async {
            for run in [&old, &other] {
                let cluster = connect(ad::Query::Campaign, &deployment(2), configure(run, "w1"))
                    .await
                    .expect("connected");
                // Registers clicks[0] in ZooKeeper and its epoch on the stream.
                cluster.source("clicks", 0).await.expect("a producer");
                assert_eq!(order_one(sequencer, run, 0).await, Some(0));
            }
            let cleaned = clean_run(&configure(&old, "")).await.expect("cleaned");
            assert!(
                cleaned.streams.contains(&format!("BLAZES_RUN_{old}")),
                "{cleaned:?}"
            );
            assert!(
                cleaned.znodes.contains(&format!("/blazes/runs/{old}")),
                "{cleaned:?}"
            );
            let group_state = cleaned
                .streams
                .iter()
                .chain(&cleaned.znodes)
                .filter(|name| name.contains(&format!("{old}_2eReport")))
                .count();
            assert!(group_state > 0, "the sequencer's state: {cleaned:?}");
            assert!(
                !format!("{cleaned:?}").contains(&other),
                "another run untouched: {cleaned:?}"
            );
            // The old run's order starts again; the other run's goes on.
            assert_eq!(order_one(sequencer, &old, 1).await, Some(0));
            assert_eq!(order_one(sequencer, &other, 1).await, Some(1));
            let membership = ZooKeeperMembership::connect(
                &zk.connect_string(),
                &format!("/blazes/runs/{other}/membership"),
                support_servers::backend::policy(),
            )
            .await
            .expect("connected");
            assert_eq!(
                membership
                    .members("Report.click")
                    .await
                    .expect("read")
                    .len(),
                1
            );
            let stream = RunStream::connect(
                &nats.url(),
                &other,
                Duration::from_secs(60),
                support_servers::backend::policy(),
            )
            .await
            .expect("connected");
            assert!(stream.exists().await.expect("asked"));
            // The order of the old run was cleaned again above; clean it
            // all once more: the stream and znodes are gone already.
            let again = clean_run(&configure(&old, "")).await.expect("cleaned");
            assert!(
                again.streams.iter().all(|s| !s.starts_with("BLAZES_RUN_")),
                "{again:?}"
            );
            assert!(
                again.znodes.iter().all(|z| !z.starts_with("/blazes/runs")),
                "{again:?}"
            );
            connect(ad::Query::Campaign, &deployment(2), configure(&old, "w2"))
                .await
                .expect("a cleaned run id names a new run");
        });
    }
}

/// ZooKeeper digest authentication: the znodes of an authenticated run are
/// its identity's only; a process without it, or with another password, is
/// refused with an error saying so. About five seconds (ZooKeeper's start).
#[test]
fn zookeeper_znodes_of_an_authenticated_run_refuse_other_identities() {
    let zk = ZooKeeper::start().expect("ZooKeeper starts");
    let policy = support_servers::backend::policy().with_deadline(Duration::from_secs(5));
    let root = "/blazes/runs/authenticated/membership";
    tokio().block_on(async {
        let alice = ZooKeeperDigest::parse("alice:secret").expect("parses");
        let member =
            ZooKeeperMembership::connect_with(&zk.connect_string(), root, policy, Some(&alice))
                .await
                .expect("connected");
        member
            .register("Report.click", ProducerId(3))
            .await
            .expect("registered");
        assert_eq!(member.members("Report.click").await.expect("read").len(), 1);
        let wrong = ZooKeeperDigest::parse("alice:wrong").expect("parses");
        for auth in [None, Some(&wrong)] {
            let other = ZooKeeperMembership::connect_with(&zk.connect_string(), root, policy, auth)
                .await
                .expect("connected");
            let refused = other
                .members("Report.click")
                .await
                .expect_err("not its znodes");
            let message = refused.to_string();
            assert!(
                message.contains("not authorized") && message.contains("digest"),
                "{message}"
            );
        }
    });
}

/// The example's processes with shared arguments.
struct Example {
    args: Vec<String>,
    env: Vec<(String, String)>,
    logs: tempfile::TempDir,
}

impl Example {
    fn new(nats: &Nats, run: &str, extra: &[&str]) -> Example {
        let mut args: Vec<String> = ["--nats", &nats.url(), "--run", run]
            .iter()
            .map(ToString::to_string)
            .collect();
        args.extend(extra.iter().map(ToString::to_string));
        Example {
            args,
            env: Vec::new(),
            logs: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn spawn(&self, name: &str, extra: &[&str], role: &[&str]) -> Proc {
        let mut c = Command::new(support_cluster::example());
        c.args(&self.args).args(extra).args(role);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        Proc::spawn(c, name, self.logs.path())
    }

    fn result(&self, name: &str, extra: &[&str], role: &[&str]) -> Result<Json, String> {
        self.spawn(name, extra, role).result(Instant::now() + LIMIT)
    }
}

const SMALL: [&str; 8] = [
    "--clicks",
    "20",
    "--batch",
    "10",
    "--replicas",
    "1",
    "--ads",
    "4",
];

fn small_shape() -> Shape {
    Shape {
        ad_servers: 3,
        clicks: 20,
        batch: 10,
        ads: 4,
    }
}

/// The reported problem: a run id used again for another workload gave the
/// old run's answers back. Now the process fails naming the run id and the
/// workload; `clean` deletes the old run; the id then names the new one.
/// A few seconds (after the example is built).
#[test]
fn the_example_refuses_a_reused_run_id_until_the_run_is_cleaned() {
    let nats = Nats::start().expect("nats-server starts");
    let example = Example::new(&nats, "again", &[]);
    let first = example
        .result("first", &["--clicks", "20"], &["ad-server", "--index", "0"])
        .expect("the first run's ad server");
    assert_eq!(first["role"], "ad-server");
    let refused = example
        .result(
            "second",
            &["--clicks", "40"],
            &["ad-server", "--index", "0"],
        )
        .expect_err("another workload under the same run id");
    assert!(
        refused.contains("run id `again` names another run")
            && refused.contains("the workload differs"),
        "{refused}"
    );
    let cleaned = example.result("clean", &[], &["clean"]).expect("cleaned");
    assert_eq!(cleaned["streams"], serde_json::json!(["BLAZES_RUN_again"]));
    example
        .result("third", &["--clicks", "40"], &["ad-server", "--index", "0"])
        .expect("the run id names the new run");
}

/// CAMPAIGN with one replica, its producers and its sink, with `extra`
/// arguments (and `env`) for every process: the answers are the true counts.
fn run_small(example: &Example, extra: &[&str]) -> Vec<Json> {
    let mut args: Vec<&str> = SMALL.to_vec();
    args.extend_from_slice(extra);
    let report = example.spawn("report", &args, &["report", "--index", "0"]);
    let cache = example.spawn("cache", &args, &["cache"]);
    let servers: Vec<Proc> = (0..3)
        .map(|i| {
            example.spawn(
                &format!("ad-server-{i}"),
                &args,
                &["ad-server", "--index", &i.to_string()],
            )
        })
        .collect();
    let deadline = Instant::now() + LIMIT;
    let mut out = Vec::new();
    for mut p in servers.into_iter().chain([report, cache]) {
        out.push(p.result(deadline).unwrap_or_else(|e| panic!("{e}")));
    }
    let cache = out.last().expect("the cache's line");
    let truth: Vec<blazes::Tuple> = small_shape()
        .campaign_answers(false)
        .iter()
        .map(blazes::Record::to_tuple)
        .collect();
    assert_eq!(canonical(&cache["answers"]), sorted_json(&truth), "{cache}");
    out
}

/// A NATS server requiring a token, then one requiring a user and
/// password: wrong or missing credentials are refused at once with an
/// error saying so; the right ones (on the command line or from the
/// environment) run the ad network to the true answers. About ten seconds.
#[test]
fn nats_token_and_user_password_authentication() {
    for (server_auth, right, wrong, env) in [
        (
            "authorization { token: \"s3cret-token\" }",
            vec!["--nats-token", "s3cret-token"],
            vec!["--nats-token", "guess"],
            ("BLAZES_NATS_TOKEN", "s3cret-token"),
        ),
        (
            "authorization { user: ads, password: \"pa55word\" }",
            vec!["--nats-user", "ads", "--nats-password", "pa55word"],
            vec!["--nats-user", "ads", "--nats-password", "guess"],
            ("BLAZES_NATS_PASSWORD", "pa55word"),
        ),
    ] {
        let nats =
            Nats::start_with_config("nats-server", "", server_auth).expect("nats-server starts");
        let example = Example::new(&nats, "secured", &[]);
        support_cluster::example(); // built before the clock starts
        for credentials in [&wrong[..], &[]] {
            let start = Instant::now();
            let refused = example
                .result("refused", credentials, &["ad-server", "--index", "0"])
                .expect_err("refused");
            assert!(
                refused.contains("refused the credentials"),
                "{server_auth}: {refused}"
            );
            assert!(start.elapsed() < Duration::from_secs(20), "not retried");
        }
        run_small(&example, &right);
        // The secret from the environment instead of the command line.
        let mut from_env = Example::new(&nats, "secured-env", &[]);
        from_env.env.push((env.0.to_string(), env.1.to_string()));
        let user: &[&str] = if right.contains(&"--nats-user") {
            &["--nats-user", "ads"]
        } else {
            &[]
        };
        from_env
            .result("from-env", user, &["ad-server", "--index", "0"])
            .expect("the secret from the environment is used");
    }
    // The error in the library, typed.
    let nats = Nats::start_with_config("nats-server", "", "authorization { token: \"t\" }")
        .expect("nats-server starts");
    let refused = tokio().block_on(RunStream::connect(
        &nats.url(),
        "typed",
        Duration::from_secs(60),
        support_servers::backend::policy(),
    ));
    assert!(
        matches!(
            refused,
            Err(TransportError::Service(ServiceError::Unauthorized { .. }))
        ),
        "{refused:?}"
    );
}

/// Two of three ad servers started, and no cache (which sends the analysts'
/// requests to the replica): the replica logs, at the
/// configured interval, the producers it never heard from, and fails after
/// the configured wait naming them, not those that came. About five
/// seconds.
#[test]
fn a_replica_names_the_peers_that_never_came() {
    let nats = Nats::start().expect("nats-server starts");
    let example = Example::new(&nats, "two-of-three", &SMALL);
    support_cluster::example(); // built before the clock starts
    let waits = ["--peer-wait-ms", "3000", "--peer-report-ms", "500"];
    let mut report = example.spawn("report", &waits, &["report", "--index", "0"]);
    let servers: Vec<Proc> = (0..2)
        .map(|i| {
            example.spawn(
                &format!("ad-server-{i}"),
                &waits,
                &["ad-server", "--index", &i.to_string()],
            )
        })
        .collect();
    let start = Instant::now();
    let failed = report
        .result(Instant::now() + LIMIT)
        .expect_err("the replica gives up");
    assert!(start.elapsed() < Duration::from_secs(30), "{failed}");
    let error = failed
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default();
    assert!(
        error.contains("Report[0] waited")
            && error.contains("that never came")
            && error.contains("clicks[2]")
            && error.contains("Cache[0]")
            && !error.contains("clicks[0]")
            && !error.contains("clicks[1]"),
        "{failed}"
    );
    let log = report.log();
    let reports = log
        .lines()
        .filter(|l| l.contains("waiting for producers never heard from"))
        .collect::<Vec<_>>();
    assert!(reports.len() >= 2, "{log}");
    assert!(
        reports[0].contains("clicks[2]") && !reports[0].contains("clicks[0]"),
        "{log}"
    );
    drop(servers);
}

/// CAMPAIGN across processes with ad server 2 started late: the replica
/// reports each campaign waiting past `--overdue-ms` with the ad server
/// whose seal is missing, counts them in its line, and still answers the
/// true counts once the seals come. About five seconds.
#[test]
fn overdue_campaigns_across_processes_are_reported_with_the_missing_ad_server() {
    let nats = Nats::start().expect("nats-server starts");
    let example = Example::new(&nats, "late-server", &SMALL);
    let overdue = ["--overdue-ms", "1000"];
    let report = example.spawn("report", &overdue, &["report", "--index", "0"]);
    let cache = example.spawn("cache", &overdue, &["cache"]);
    let mut servers: Vec<Proc> = (0..2)
        .map(|i| {
            example.spawn(
                &format!("ad-server-{i}"),
                &overdue,
                &["ad-server", "--index", &i.to_string()],
            )
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2500));
    servers.push(example.spawn("ad-server-2", &overdue, &["ad-server", "--index", "2"]));
    let deadline = Instant::now() + LIMIT;
    for mut s in servers {
        s.result(deadline).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut report = report;
    let line = report.result(deadline).unwrap_or_else(|e| panic!("{e}"));
    let counted = line["overdue_partitions"].as_u64().expect("counted");
    assert!(counted >= 1, "{line}");
    assert_eq!(line["failures"], serde_json::json!([]), "{line}");
    let log = report.log();
    let reported: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("partition waiting past the configured time"))
        .collect();
    assert_eq!(reported.len() as u64, counted, "{log}");
    assert!(
        reported
            .iter()
            .all(|l| l.contains("clicks[2]") && !l.contains("clicks[0]")),
        "{log}"
    );
    let mut cache = cache;
    let cache = cache.result(deadline).unwrap_or_else(|e| panic!("{e}"));
    let truth: Vec<blazes::Tuple> = small_shape()
        .campaign_answers(false)
        .iter()
        .map(blazes::Record::to_tuple)
        .collect();
    assert_eq!(canonical(&cache["answers"]), sorted_json(&truth), "{cache}");
}

/// Runs `openssl` with `args` in `dir`; the test fails if it cannot.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (scripts/install-servers.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A certificate authority, a server certificate for 127.0.0.1 and a
/// client certificate, in `dir` (EC keys: quick to make).
fn make_certificates(dir: &std::path::Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509", "-days", "1", "-subj", "/CN=blazes-test-ca"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
    openssl(dir, &ca);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("written");
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").expect("written");
    for who in ["server", "client"] {
        let (key, csr, pem, ext) = (
            format!("{who}.key"),
            format!("{who}.csr"),
            format!("{who}.pem"),
            format!("{who}.ext"),
        );
        let subject = format!("/CN={who}");
        let mut req = vec!["req", "-subj", &subject];
        req.extend(ec);
        req.extend(["-keyout", &key, "-out", &csr]);
        openssl(dir, &req);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                &ext,
                "-out",
                &pem,
            ],
        );
    }
}

/// A NATS server requiring TLS and verifying clients: a process trusting
/// its CA and presenting a client certificate records a run and sends a
/// campaign (through the library and the example's flags); one that does
/// not trust the CA fails with a TLS error at once; a missing CA file is
/// named before anything connects. About two seconds.
#[test]
fn nats_tls_with_a_ca_and_a_client_certificate() {
    let certs = tempfile::tempdir().expect("temp dir");
    make_certificates(certs.path());
    let file = |name: &str| certs.path().join(name).display().to_string();
    let server = format!(
        "tls {{\n  cert_file: {:?}\n  key_file: {:?}\n  ca_file: {:?}\n  verify: true\n  timeout: 2\n}}",
        file("server.pem"),
        file("server.key"),
        file("ca.pem"),
    );
    let nats = Nats::start_with_config("nats-server", "", &server).expect("nats-server starts");
    let tls = blazes::dist::NatsTls::with_ca(certs.path().join("ca.pem")).client_cert(
        certs.path().join("client.pem"),
        certs.path().join("client.key"),
    );
    let mut secured = config(&nats, "tls", "");
    secured.security.nats.tls = Some(tls.clone());
    let policy = support_servers::backend::policy().with_deadline(Duration::from_secs(5));
    tokio().block_on(async {
        let cluster = connect(ad::Query::Campaign, &deployment(1), secured)
            .await
            .expect("connected over TLS");
        let mut producer = cluster.source("clicks", 0).await.expect("registered");
        producer
            .send(blazes::Tuple::new().with("id", 1).with("campaign", 0))
            .await
            .expect("sent");
        producer.close().await.expect("acknowledged");
        let untrusted =
            RunStream::connect(&nats.url(), "tls", Duration::from_secs(60), policy).await;
        assert!(
            matches!(
                untrusted,
                Err(TransportError::Service(ServiceError::Tls { .. }))
            ),
            "{untrusted:?}"
        );
        let mut missing = blazes::dist::NatsSecurity::default();
        missing.tls = Some(blazes::dist::NatsTls::with_ca(
            certs.path().join("nope.pem"),
        ));
        let refused = RunStream::connect_with(
            &nats.url(),
            "tls",
            Duration::from_secs(60),
            policy,
            &missing,
        )
        .await;
        let message = refused.expect_err("no CA file").to_string();
        assert!(
            message.contains("NATS TLS CA file") && message.contains("nope.pem"),
            "{message}"
        );
    });
    // The example's flags.
    let example = Example::new(&nats, "tls-example", &SMALL);
    example
        .result(
            "ad-server",
            &[
                "--nats-ca",
                &file("ca.pem"),
                "--nats-cert",
                &file("client.pem"),
                "--nats-key",
                &file("client.key"),
            ],
            &["ad-server", "--index", "0"],
        )
        .expect("the ad server sends over TLS");
}
