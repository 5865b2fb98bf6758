//! Issue 14: batches on the wire. A source's `send_batch` crosses to the
//! instance in frames of up to `batch_messages` records, and what the
//! instance emits in one step crosses to the sink the same way. A
//! restarted producer that replays its script cut into other batches
//! (frames overlapping what was delivered) gets each record through once,
//! in order; sealed batches cross too.

#[path = "support_servers/mod.rs"]
mod support_servers;

use blazes::dist::{Cluster, ClusterConfig};
use blazes::runtime::{Deployment, Factories};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};
use support_servers::{Nats, tokio};

/// How long Pass may take (a few hundred milliseconds when it works).
const LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Passes every record on.
struct Pass;

impl Handler for Pass {
    fn handle(&mut self, _input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        out.emit("out", tuple);
        Ok(())
    }
}

fn dataflow(sealed: bool) -> Dataflow {
    let (input, annotation) = if sealed {
        (
            Stream::between("src", "Pass.in").sealed(attrs(["batch"])),
            Annotation::or(attrs(["batch"])),
        )
    } else {
        (Stream::between("src", "Pass.in"), Annotation::cr())
    };
    Dataflow::new()
        .component(Component::new("Pass").path("in", "out", annotation))
        .stream(input)
        .stream(Stream::between("Pass.out", "sink"))
}

async fn cluster(nats: &Nats, run: &str, sealed: bool, batch_messages: usize) -> Cluster {
    let dataflow = dataflow(sealed);
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let mut config = ClusterConfig::new(&nats.url(), run);
    config.policy = support_servers::backend::policy();
    config.batch_messages = batch_messages;
    let factories = Factories::new().with("Pass", || Box::new(Pass));
    Cluster::connect(&dataflow, &analysis, &Deployment::new(), factories, config)
        .await
        .expect("connected")
}

fn records(range: std::ops::Range<i64>) -> Vec<Tuple> {
    range
        .map(|n| Tuple::new().with("batch", n / 10).with("n", n))
        .collect()
}

fn ns(sink: &blazes::runtime::SinkCollector) -> Vec<i64> {
    sink.records
        .iter()
        .map(|r| r.payload.int("n").unwrap_or(-1))
        .collect()
}

#[test]
fn a_replay_cut_into_other_batches_is_delivered_once_in_order() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        // The first incarnation sends 40 records in frames of 16 (0-15,
        // 16-31, 32-39), then stops without ending its stream.
        let cluster = cluster(&nats, "replay", false, 16).await;
        let mut crashed = cluster.source("src", 0).await.expect("first incarnation");
        crashed.send_batch(records(0..40)).await.expect("sent");
        // Its replacement replays its script cut otherwise: 0-4, 5-20,
        // 21-36, 37-52 (straddling the first incarnation's last record),
        // 53-59, then the end.
        let mut replacement = cluster.source("src", 0).await.expect("second incarnation");
        replacement.send_batch(records(0..5)).await.expect("sent");
        replacement.send_batch(records(5..60)).await.expect("sent");
        replacement.close().await.expect("closed");

        // A lost record leaves Pass waiting on its link's gap: bounded.
        let pass = tokio::time::timeout(LIMIT, cluster.run_instance("Pass", 0))
            .await
            .expect("Pass finishes: no gap left in its link")
            .expect("Pass runs");
        let (sink, sink_links) = cluster.collect_sink("sink").await.expect("sink collected");
        assert_eq!(
            ns(&sink),
            (0..60).collect::<Vec<_>>(),
            "each record once, in order"
        );
        // Frames in: two registrations, 3 frames of the first incarnation,
        // 1 + 4 of the replacement's records and its end's.
        assert_eq!(pass.links.registrations, 2, "{:?}", pass.links);
        assert_eq!(
            pass.links.frames_in,
            2 + 3 + 5 + 1,
            "records cross in batches: {:?}",
            pass.links
        );
        // Records cross as runs of up to a frame's 16, a message each: the
        // replayed link positions 0-2 (records 0-4, 5-20, 21-36) are
        // dropped at the link; position 3, the run 37-52, straddles the
        // first incarnation's last record: Pass's own (producer, seq)
        // dedupe drops 37-39 and lets its new records through (issue 14).
        assert_eq!(pass.links.duplicate_frames, 3, "{:?}", pass.links);
        assert_eq!(pass.snapshot.metrics.duplicate_records, 3);
        assert!(pass.is_success(), "{:?}", pass.failures());
        // Pass forwards what one input frame gave it as one frame.
        assert!(
            sink_links.frames_in < 20,
            "the sink read {} frames for 60 records",
            sink_links.frames_in
        );
    });
}

/// Three batches of ten records, each sealed, from one source through
/// Pass: the sink gets every record, and the frames Pass read are returned.
/// `together` sends each batch with its seal in one step.
async fn three_sealed_batches(cluster: &Cluster, together: bool) -> u64 {
    let mut source = cluster.source("src", 0).await.expect("source");
    for batch in 0..3 {
        let key = Tuple::new().with("batch", batch);
        let batch = records(batch * 10..batch * 10 + 10);
        if together {
            source
                .send_sealed_batch(batch, key)
                .await
                .expect("sent and sealed");
        } else {
            source.send_batch(batch).await.expect("sent");
            source.seal(key).await.expect("sealed");
        }
    }
    source.close().await.expect("closed");
    let pass = tokio::time::timeout(LIMIT, cluster.run_instance("Pass", 0))
        .await
        .expect("Pass finishes")
        .expect("Pass runs");
    let (sink, _) = cluster.collect_sink("sink").await.expect("sink collected");
    assert_eq!(ns(&sink), (0..30).collect::<Vec<_>>());
    assert!(pass.is_success(), "{:?}", pass.failures());
    pass.links.frames_in
}

#[test]
fn sealed_batches_cross_and_release_each_partition() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let cluster = cluster(&nats, "sealed", true, 64).await;
        // Each batch of ten records is one frame, each seal another, then
        // the end; and the registration.
        assert_eq!(three_sealed_batches(&cluster, false).await, 1 + 3 * 2 + 1);
    });
}

/// Issue 14: a batch sent with its seal in one step crosses in one frame,
/// records then seal, and the partition is released as when the seal
/// travels alone.
#[test]
fn a_batch_sent_with_its_seal_shares_its_frame() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let cluster = cluster(&nats, "sealed-batches", true, 11).await;
        // The registration, one frame per batch and its seal, the end.
        assert_eq!(three_sealed_batches(&cluster, true).await, 1 + 3 + 1);
    });
}
