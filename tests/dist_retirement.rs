//! Issue 15, explicit retirement across processes: a producer that stops
//! without sealing a partition blocks it (reported overdue, naming it);
//! retired by an operator, it releases the partition with every record,
//! and a consumer started after the retirement reads it and releases the
//! partition too.

mod punctuation_support;
#[path = "support_servers/mod.rs"]
mod support_servers;

use std::time::Duration;

use blazes::dist::{Cluster, ClusterConfig, ClusterError};
use blazes::runtime::SourceEvent;
use blazes::{Tuple, analyze};
use punctuation_support::cluster;
use punctuation_support::{BATCHES, dataflow, deployment, factories, truth, workload};
use support_servers::{Nats, tokio};

const RUN: &str = "retire";

async fn connect(nats: &Nats) -> Cluster {
    let dataflow = dataflow();
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let mut config = ClusterConfig::new(&nats.url(), RUN);
    config.policy = support_servers::backend::policy();
    let deployment = deployment().overdue_after(Duration::from_millis(300));
    Cluster::connect(
        &dataflow,
        &analysis,
        &deployment,
        factories(true, None),
        config,
    )
    .await
    .expect("connected")
}

/// Producer 0 sends its whole script; producer 1 sends its records and
/// every seal but the last batch's, then stops; after a while an operator
/// retires it.
async fn sources(cluster: &Cluster) -> Result<(), ClusterError> {
    let workload = workload();
    let last = Tuple::new().with("batch", BATCHES);
    let mut stopping = None;
    for producer in 0..2 {
        let mut p = cluster.source("numbers", producer).await?;
        let unsent = |e: &SourceEvent| producer == 1 && *e == SourceEvent::Seal(last.clone());
        cluster::play(&mut p, workload.script("numbers", producer), unsent).await?;
        if producer == 1 {
            p.flush().await?;
            stopping = Some(p);
        } else {
            p.close().await?;
        }
    }
    drop(stopping);
    // Past the overdue time (300 ms) and a check of it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.retire("numbers", 1).await?;
    Ok(())
}

#[test]
fn a_retired_producer_releases_the_partition_it_blocked_also_for_a_late_consumer() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let cluster = connect(&nats).await;
        let run = cluster::run_with(&cluster, sources(&cluster));
        let (outcomes, totals) = tokio::time::timeout(Duration::from_secs(20), run)
            .await
            .expect("the retirement lets the run complete")
            .expect("the run completes");
        let [sum0, sum1, total] = &outcomes[..] else {
            panic!("three outcomes");
        };
        assert_eq!(totals, truth(), "the released batch has every record");
        let overdue: u64 = [sum0, sum1]
            .iter()
            .map(|o| o.snapshot.metrics.overdue_partitions)
            .sum();
        assert!(overdue >= 1, "the blocked batch was reported overdue first");
        for o in [sum0, sum1, total] {
            assert!(o.is_success(), "{}: {:#?}", o.snapshot.name, o.failures());
        }

        // Sum again, started after the retirement: it reads its inputs
        // from the start of the run, the retirement included.
        let late = connect(&nats).await;
        let rerun =
            async { tokio::try_join!(late.run_instance("Sum", 0), late.run_instance("Sum", 1)) };
        let (a, b) = tokio::time::timeout(Duration::from_secs(15), rerun)
            .await
            .expect("the late consumer reads the retirement")
            .expect("the late consumer completes");
        let released =
            a.snapshot.metrics.released_partitions + b.snapshot.metrics.released_partitions;
        assert_eq!(
            released,
            2 * BATCHES as u64,
            "both instances release every batch"
        );
        for o in [&a, &b] {
            assert!(o.is_success(), "{}: {:#?}", o.snapshot.name, o.failures());
        }
        cluster.run_stream().delete().await.expect("stream deleted");
    });
}
