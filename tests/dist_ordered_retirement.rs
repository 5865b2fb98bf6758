//! An operator's retirement of a stopped producer that feeds an ordered
//! group (the replicas of a component a sequencer orders): the retirement
//! takes its place in the group's order, so every replica applies it at the
//! same point, counts it as the producer's seal of every partition it left
//! open and as its end, and the run completes with the replicas agreeing.
//! Before, such a retirement reached no member (it was only logged): the
//! replicas waited for the stopped producer for ever.

#[path = "support_servers/mod.rs"]
mod support_servers;

use std::collections::BTreeMap;
use std::time::Duration;

use blazes::dist::{Cluster, ClusterConfig, ClusterError, InstanceOutcome};
use blazes::runtime::{Deployment, Factories, SinkRecord};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Permission, Requirement, Stream, Tuple,
    UnknownInput, analyze, attrs,
};
use support_servers::{Nats, tokio};

const RUN: &str = "ordered-retire";
const BATCHES: i64 = 3;

/// numbers (sealed on batch) -> Keep (`rep`, `OW[v]`: the seal does not
/// cover the gate, so a sequencer orders Keep's input and its replicas
/// apply the seals in that order) -> out.
fn dataflow() -> Dataflow {
    Dataflow::new()
        .component(
            Component::new("Keep")
                .path("numbers", "kept", Annotation::ow(attrs(["v"])))
                .replicated(true),
        )
        .stream(Stream::between("numbers", "Keep.numbers").sealed(attrs(["batch"])))
        .stream(Stream::between("Keep.kept", "out"))
        .requires(Requirement::Convergent)
        .coordinate(Permission::Auto)
}

/// Sums each batch; reports the sum when every producer sealed the batch.
#[derive(Default)]
struct Keep(BTreeMap<i64, i64>);

impl Handler for Keep {
    fn handle(&mut self, input: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
        if input != "numbers" {
            return Err(UnknownInput::new(input, t));
        }
        let batch = t.int("batch").unwrap_or_default();
        *self.0.entry(batch).or_default() += t.int("v").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _: &str, partition: &Tuple, out: &mut Emit) {
        let batch = partition.int("batch").unwrap_or_default();
        let sum = self.0.remove(&batch).unwrap_or_default();
        out.emit("kept", partition.clone().with("sum", sum));
    }
}

fn value(producer: usize, batch: i64, i: i64) -> i64 {
    batch * 10 + i + producer as i64 * 100
}

/// Producer 0 sends every batch and seals it; producer 1 sends every
/// batch's records but seals only the first, then stops for good.
async fn sources(cluster: &Cluster) -> Result<(), ClusterError> {
    for producer in 0..2usize {
        let mut p = cluster.source("numbers", producer).await?;
        for batch in 1..=BATCHES {
            for i in 0..3 {
                let t = Tuple::new()
                    .with("batch", batch)
                    .with("v", value(producer, batch, i));
                p.send(t).await?;
            }
        }
        for batch in 1..=BATCHES {
            if producer == 0 || batch == 1 {
                p.seal(Tuple::new().with("batch", batch)).await?;
            }
        }
        if producer == 0 {
            p.close().await?;
        } else {
            p.flush().await?;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    cluster.retire("numbers", 1).await?;
    Ok(())
}

/// Each replica's `(batch, sum)` reports, by replica.
fn by_replica(records: &[SinkRecord]) -> BTreeMap<u32, BTreeMap<i64, i64>> {
    let mut replicas: BTreeMap<u32, BTreeMap<i64, i64>> = BTreeMap::new();
    for r in records {
        let batch = r.payload.int("batch").unwrap_or_default();
        let sum = r.payload.int("sum").unwrap_or_default();
        let previous = replicas.entry(r.producer.0).or_default().insert(batch, sum);
        assert_eq!(
            previous, None,
            "batch {batch} reported twice by one replica"
        );
    }
    replicas
}

#[test]
fn a_retirement_into_an_ordered_group_reaches_every_replica_in_the_order() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let dataflow = dataflow();
        let analysis = analyze(&dataflow).expect("valid dataflow");
        assert!(analysis.ok(), "{:?}", analysis.violations);
        let mut config = ClusterConfig::new(&nats.url(), RUN);
        config.policy = support_servers::backend::policy();
        config.sequencer = nats
            .jetstream_config()
            .parse()
            .expect("a sequencer configuration");
        let deployment = Deployment::new()
            .source_producers("numbers", 2)
            .instances("Keep", 2);
        let factories = Factories::new().with("Keep", || Box::<Keep>::default());
        let cluster = Cluster::connect(&dataflow, &analysis, &deployment, factories, config)
            .await
            .expect("connected");
        let run = async {
            tokio::try_join!(
                cluster.run_instance("Keep", 0),
                cluster.run_instance("Keep", 1),
                sources(&cluster),
                cluster.collect_sink("out"),
            )
        };
        let (a, b, (), (sink, _)) = tokio::time::timeout(Duration::from_secs(20), run)
            .await
            .expect("the retirement reaches the ordered replicas: the run completes")
            .expect("the run completes");
        let outcomes: [&InstanceOutcome; 2] = [&a, &b];
        for o in outcomes {
            assert!(o.is_success(), "{}: {:#?}", o.snapshot.name, o.failures());
        }
        let mut truth = BTreeMap::new();
        for producer in 0..2 {
            for batch in 1..=BATCHES {
                for i in 0..3 {
                    *truth.entry(batch).or_insert(0) += value(producer, batch, i);
                }
            }
        }
        let replicas = by_replica(&sink.records);
        assert_eq!(replicas.len(), 2, "both replicas report: {replicas:?}");
        for (replica, sums) in &replicas {
            assert_eq!(sums, &truth, "replica {replica}: every batch whole");
        }
        cluster.run_stream().delete().await.expect("stream deleted");
    });
}
