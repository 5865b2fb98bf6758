//! Issue 15, fix 3: zombie producers. A source producer is paused (here:
//! left idle in the same process, its sends not yet made) while a new
//! incarnation of the same producer starts, replays its script and goes
//! on; the paused one then resumes and sends what it had left. Both number
//! their frames on the same link from 0, so the zombie's frames carry the
//! link sequence numbers of the replacement's: without fencing the
//! receiver kept whichever came first, the zombie's record and end took the
//! replacement's places, and a record of the real script was dropped. With
//! fencing, each incarnation has an epoch from JetStream, registered on
//! every destination before it sends, and the zombie's frames stored after
//! its replacement registered are refused and counted; the zombie itself
//! learns it was replaced when it next waits for what it sent (its close
//! fails with `ClusterError::Fenced`) instead of reporting success.

#[path = "support_servers/mod.rs"]
mod support_servers;

use blazes::dist::{Cluster, ClusterConfig, ClusterError};
use blazes::runtime::{Deployment, Factories};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze,
};
use support_servers::{Nats, tokio};

/// Passes every record on.
struct Pass;

impl Handler for Pass {
    fn handle(&mut self, _input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        out.emit("out", tuple);
        Ok(())
    }
}

fn value(v: &str) -> Tuple {
    Tuple::new().with("v", v)
}

/// src -> Pass (CR) -> sink, as run `run` on `nats`.
async fn pass_cluster(nats: &Nats, run: &str) -> Cluster {
    let dataflow = Dataflow::new()
        .component(Component::new("Pass").path("in", "out", Annotation::cr()))
        .stream(Stream::between("src", "Pass.in"))
        .stream(Stream::between("Pass.out", "sink"));
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let mut config = ClusterConfig::new(&nats.url(), run);
    config.policy = support_servers::backend::policy();
    let factories = Factories::new().with("Pass", || Box::new(Pass));
    Cluster::connect(&dataflow, &analysis, &Deployment::new(), factories, config)
        .await
        .expect("connected")
}

#[test]
fn a_paused_producer_resumed_after_its_replacement_is_fenced() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let cluster = pass_cluster(&nats, "zombie").await;
        // The first incarnation sends two records, then is paused.
        let mut zombie = cluster.source("src", 0).await.expect("first incarnation");
        for v in ["a0", "a1"] {
            zombie.send(value(v)).await.expect("sent");
        }
        // Its replacement replays the script so far.
        let mut replacement = cluster.source("src", 0).await.expect("second incarnation");
        for v in ["a0", "a1"] {
            replacement.send(value(v)).await.expect("replayed");
        }
        // The zombie resumes: its next record and its end take the link
        // numbers the replacement is about to use.
        zombie.send(value("zombie")).await.expect("sent");
        // Told, not left to report success: its close fails, naming the
        // newer incarnation.
        match zombie.close().await {
            Err(ClusterError::Fenced {
                producer,
                epoch,
                newer,
            }) => {
                assert_eq!(producer, "src[0]");
                assert!(newer > epoch, "{newer} > {epoch}");
            }
            other => panic!("the zombie learns it was replaced: {other:?}"),
        }
        replacement.send(value("a2")).await.expect("sent");
        replacement.close().await.expect("closed");

        let pass = cluster.run_instance("Pass", 0).await.expect("Pass runs");
        let (sink, _) = cluster.collect_sink("sink").await.expect("sink collected");
        let got: Vec<String> = sink
            .records
            .iter()
            .map(|r| r.payload.str("v").unwrap_or_default().to_string())
            .collect();
        assert_eq!(got, ["a0", "a1", "a2"], "the replacement's script, whole");
        assert_eq!(
            pass.links.fenced_frames, 2,
            "the zombie's record and end refused: {:?}",
            pass.links
        );
        assert!(pass.snapshot.metrics.balanced());
        assert!(pass.failures().is_empty(), "{:?}", pass.failures());
    });
}

/// A running instance whose replacement starts stops within seconds, with
/// no input and no checkpoint to make it flush: it checks every two seconds
/// whether a newer incarnation registered. The replacement does the work.
#[test]
fn a_running_instance_replaced_by_a_newer_one_stops_within_seconds() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let cluster = pass_cluster(&nats, "replaced").await;
        let zombie = cluster.run_instance("Pass", 0);
        tokio::pin!(zombie);
        let early = tokio::time::timeout(std::time::Duration::from_millis(800), &mut zombie).await;
        assert!(
            early.is_err(),
            "the first incarnation runs, waiting for input"
        );
        let replacement = cluster.run_instance("Pass", 0);
        tokio::pin!(replacement);
        let stopped = tokio::time::timeout(std::time::Duration::from_secs(8), async {
            tokio::select! {
                z = &mut zombie => z,
                r = &mut replacement => panic!("the replacement ended first: {r:?}"),
            }
        })
        .await
        .expect("the replaced incarnation stops within seconds, idle");
        match stopped {
            Err(ClusterError::Fenced {
                producer,
                epoch,
                newer,
            }) => {
                assert_eq!(producer, "Pass[0]");
                assert!(newer > epoch, "{newer} > {epoch}");
            }
            other => panic!("the replaced instance learns it: {other:?}"),
        }
        let sources = async {
            let mut p = cluster.source("src", 0).await?;
            p.send(value("a0")).await?;
            p.close().await?;
            Ok::<(), ClusterError>(())
        };
        let (pass, (), (sink, _)) =
            tokio::try_join!(replacement, sources, cluster.collect_sink("sink"))
                .expect("the replacement does the work");
        assert!(pass.failures().is_empty(), "{:?}", pass.failures());
        let got: Vec<&str> = sink
            .records
            .iter()
            .map(|r| r.payload.str("v").unwrap_or_default())
            .collect();
        assert_eq!(got, ["a0"]);
    });
}
