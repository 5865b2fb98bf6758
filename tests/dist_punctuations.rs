//! Issue 11 across processes' transport: the Sum -> Total dataflow hosted by
//! a `Cluster` on a real `nats-server` (instances, source producers and the
//! sink in this process, every stream through JetStream). Sum's handler
//! punctuations travel as frames like the sources' seals and release
//! Total's seal buffer; a partition one Sum instance never punctuates is
//! reported, with the missing producer, as a failure of Total's instance.

mod punctuation_support;
#[path = "support_servers/mod.rs"]
mod support_servers;

use std::collections::BTreeMap;

use blazes::dist::{Cluster, ClusterConfig, ClusterError, InstanceOutcome};
use blazes::runtime::{NameError, RunFailure};
use blazes::{Tuple, analyze};
use punctuation_support::cluster;
use punctuation_support::{BATCHES, dataflow, deployment, factories, truth, workload};
use support_servers::{Nats, tokio};

/// Runs everything in one cluster; returns the instances' outcomes (Sum 0,
/// Sum 1, Total 0) and the totals reaching the sink.
async fn run(
    nats: &Nats,
    run: &str,
    skip_unseen: Option<i64>,
) -> (Vec<InstanceOutcome>, BTreeMap<i64, i64>) {
    let dataflow = dataflow();
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let mut config = ClusterConfig::new(&nats.url(), run);
    config.policy = support_servers::backend::policy();
    let cluster = Cluster::connect(
        &dataflow,
        &analysis,
        &deployment(),
        factories(true, skip_unseen),
        config,
    )
    .await
    .expect("connected");
    let (outcomes, totals) =
        cluster::run_with(&cluster, cluster::whole_scripts(&cluster, &workload()))
            .await
            .expect("the run completes");
    cluster.run_stream().delete().await.expect("stream deleted");
    (outcomes, totals)
}

#[test]
fn punctuations_from_a_handler_cross_the_transport_and_release_the_seal_buffer() {
    let nats = Nats::start().expect("nats-server starts");
    let (outcomes, totals) = tokio().block_on(run(&nats, "punct-ok", None));
    assert_eq!(totals, truth());
    for o in &outcomes {
        assert!(o.is_success(), "{}: {:#?}", o.snapshot.name, o.failures());
    }
    let punctuations: u64 = outcomes[..2]
        .iter()
        .map(|o| o.snapshot.metrics.punctuations)
        .sum();
    assert_eq!(punctuations, 2 * BATCHES as u64);
    assert_eq!(
        outcomes[2].snapshot.metrics.released_partitions,
        BATCHES as u64
    );
}

#[test]
fn a_partition_one_instance_never_punctuates_fails_the_consumer_across_processes() {
    let nats = Nats::start().expect("nats-server starts");
    let (outcomes, totals) = tokio().block_on(run(&nats, "punct-missing", Some(2)));
    let mut expected = truth();
    expected.remove(&2);
    assert_eq!(totals, expected);
    let failures = outcomes[2].failures();
    assert!(
        failures.iter().any(|f| matches!(
            f,
            RunFailure::NeverSealed { instance, partition, missing, .. }
                if instance == "Total[0]"
                    && partition == &Tuple::new().with("batch", 2)
                    && missing.len() == 1
                    && missing[0].starts_with("Sum[")
        )),
        "{failures:#?}"
    );
    assert!(!outcomes[2].is_success());
}

/// A connected cluster refuses to host or collect what the dataflow lacks,
/// with a typed error listing the valid names.
#[test]
fn a_cluster_refuses_to_host_what_the_dataflow_lacks() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let dataflow = dataflow();
        let analysis = analyze(&dataflow).expect("valid dataflow");
        let mut config = ClusterConfig::new(&nats.url(), "punct-names");
        config.policy = support_servers::backend::policy();
        let cluster = Cluster::connect(
            &dataflow,
            &analysis,
            &deployment(),
            factories(true, None),
            config,
        )
        .await
        .expect("connected");
        let names = |s: &[&str]| s.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        match cluster.run_instance("Summ", 0).await {
            Err(ClusterError::Name(NameError::NoSuchComponent { name, valid })) => {
                assert_eq!((name.as_str(), valid), ("Summ", names(&["Sum", "Total"])));
            }
            other => panic!("{:?}", other.err()),
        }
        assert!(matches!(
            cluster.run_instance("Sum", 2).await.err(),
            Some(ClusterError::Name(NameError::NoSuchInstance {
                index: 2,
                instances: 2,
                ..
            }))
        ));
        match cluster.source("numbrs", 0).await {
            Err(ClusterError::Name(NameError::NoSuchSource { valid, .. })) => {
                assert_eq!(valid, names(&["numbers"]));
            }
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("accepted"),
        }
        match cluster.source("numbers", 2).await {
            Err(ClusterError::Name(NameError::NoSuchSourceProducer {
                index: 2,
                producers: 2,
                ..
            })) => {}
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("accepted"),
        }
        match cluster.collect_sink("ot").await {
            Err(ClusterError::Name(NameError::NoSuchSink { valid, .. })) => {
                assert_eq!(valid, names(&["out"]));
            }
            other => panic!("{:?}", other.err()),
        }
        cluster.run_stream().delete().await.expect("stream deleted");
    });
}
