//! An operator's retirement of a stopped producer that feeds an ordered
//! group (the replicas of a component a sequencer orders): the retirement
//! takes its place in the group's order, so every replica applies it at the
//! same point, counts it as the producer's seal of every partition it left
//! open and as its end, and the run completes with the replicas agreeing.
//! Before, such a retirement reached no member (it was only logged): the
//! replicas waited for the stopped producer for ever.

#[path = "retirement_support/mod.rs"]
mod retirement_support;
#[path = "support_servers/mod.rs"]
mod support_servers;

use std::collections::BTreeMap;
use std::time::Duration;

use blazes::dist::{Cluster, ClusterConfig, ClusterError, InstanceOutcome};
use blazes::runtime::{Deployment, Factories};
use blazes::{Tuple, analyze};
use retirement_support::{BATCHES, Keep, by_replica, dataflow, value};
use support_servers::{Nats, tokio};

const RUN: &str = "ordered-retire";
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

#[test]
fn a_retirement_into_an_ordered_group_reaches_every_replica_in_the_order() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let dataflow = dataflow(true);
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
