//! The Sum -> Total dataflow across processes: what `tests/dist_memory.rs`,
//! `dist_punctuations.rs` and `dist_retirement.rs` run alike.

use std::collections::BTreeMap;
use std::future::Future;

use blazes::dist::{Cluster, ClusterError, InstanceOutcome};

pub use super::cluster_sources::play;
use super::totals_of;

/// Runs `Sum[0]`, `Sum[1]` and `Total[0]` of `cluster` beside `sources`,
/// until the `out` sink has ended: the three outcomes, in that order, and
/// the totals that reached `out`.
pub async fn run_with(
    cluster: &Cluster,
    sources: impl Future<Output = Result<(), ClusterError>>,
) -> Result<(Vec<InstanceOutcome>, BTreeMap<i64, i64>), ClusterError> {
    let (sum0, sum1, total, (), (sink, _)) = tokio::try_join!(
        cluster.run_instance("Sum", 0),
        cluster.run_instance("Sum", 1),
        cluster.run_instance("Total", 0),
        sources,
        cluster.collect_sink("out"),
    )?;
    Ok((vec![sum0, sum1, total], totals_of(&sink.records)))
}

/// Both producers send their whole scripts of `workload` and close.
pub async fn whole_scripts(
    cluster: &Cluster,
    workload: &blazes::runtime::Workload,
) -> Result<(), ClusterError> {
    for producer in 0..2 {
        let mut p = cluster.source("numbers", producer).await?;
        play(&mut p, workload.script("numbers", producer), |_| false).await?;
        p.close().await?;
    }
    Ok(())
}
