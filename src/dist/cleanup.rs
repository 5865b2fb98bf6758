//! Deleting a finished run from the servers (issue 15, "Run ids": finished
//! runs can be cleaned up by a command): the run's JetStream stream (its
//! frames, registrations and recorded identity), the JetStream sequencer's
//! streams of its ordered groups, its membership znodes and the ZooKeeper
//! sequencer's znodes of its groups.
//!
//! Every name is derived from the run id as the cluster makes it, so no
//! dataflow is needed, and another run's state is never touched (group
//! names are `{run}.{group}`, escaped: the run's prefix cannot be another
//! run's). Cleaning is idempotent. Clean a run only once every process of
//! it has ended: a process still running would recreate what it uses.

use super::cluster::{ClusterConfig, ClusterError, run_root};
use super::config::SequencerConfig;
use super::names;
use super::retry::{ServiceError, connect_jetstream};
use super::transport::{RunStream, TransportError, valid_run_id};
use super::zk_session::ZkSession;

/// What [`clean_run`] deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cleaned {
    /// JetStream streams deleted.
    pub streams: Vec<String>,
    /// ZooKeeper znodes deleted.
    pub znodes: Vec<String>,
}

impl Cleaned {
    /// True when nothing of the run was found.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty() && self.znodes.is_empty()
    }
}

/// The escaped prefix of the run's group names (`{run}.`): the start of its
/// sequencer streams' and znodes' names.
fn group_prefix(run: &str) -> String {
    names::escape(&format!("{run}."))
}

/// Deletes what run `config.run` left on the servers `config` names (the
/// NATS server, the sequencer, the membership ensemble), with
/// `config.security`.
pub async fn clean_run(config: &ClusterConfig) -> Result<Cleaned, ClusterError> {
    let run = &config.run;
    if !valid_run_id(run) {
        return Err(TransportError::InvalidRunId(run.clone()).into());
    }
    let mut cleaned = Cleaned::default();
    let stream =
        RunStream::connect_existing(&config.nats_url, run, config.policy, &config.security.nats)
            .await?;
    if stream.exists().await? {
        stream.delete().await?;
        cleaned.streams.push(stream.stream_name().to_string());
    }
    match &config.sequencer {
        SequencerConfig::Embedded => {}
        SequencerConfig::JetStream {
            url, stream_prefix, ..
        } => {
            let prefix = format!("{stream_prefix}_{}", group_prefix(run));
            let context = connect_jetstream(url, config.policy, &config.security.nats)
                .await
                .map_err(TransportError::from)?;
            cleaned
                .streams
                .extend(delete_streams(&context, &prefix).await?);
        }
        SequencerConfig::ZooKeeper { connect, root } => {
            let session =
                ZkSession::connect(connect, config.policy, config.security.zookeeper.as_ref())
                    .await
                    .map_err(TransportError::from)?;
            let prefix = group_prefix(run);
            for child in session.children(root).await.map_err(TransportError::from)? {
                if child.starts_with(&prefix) {
                    let deleted = session
                        .delete_tree(&format!("{root}/{child}"))
                        .await
                        .map_err(TransportError::from)?;
                    cleaned.znodes.extend(deleted);
                }
            }
        }
    }
    if let Some(connect) = &config.membership {
        let session =
            ZkSession::connect(connect, config.policy, config.security.zookeeper.as_ref())
                .await
                .map_err(TransportError::from)?;
        cleaned.znodes.extend(
            session
                .delete_tree(&run_root(run))
                .await
                .map_err(TransportError::from)?,
        );
    }
    Ok(cleaned)
}

/// Deletes every stream whose name starts with `prefix`.
async fn delete_streams(
    context: &async_nats::jetstream::Context,
    prefix: &str,
) -> Result<Vec<String>, ClusterError> {
    use futures_util::TryStreamExt;

    let names: Vec<String> = context
        .stream_names()
        .try_collect()
        .await
        .map_err(|e| ServiceError::Failed {
            what: "listing the streams".to_string(),
            source: e.into(),
        })
        .map_err(TransportError::from)?;
    let mut deleted = Vec::new();
    for name in names.into_iter().filter(|n| n.starts_with(prefix)) {
        context
            .delete_stream(&name)
            .await
            .map_err(|source| TransportError::Delete {
                stream: name.clone(),
                source,
            })?;
        deleted.push(name);
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::group_prefix;
    use crate::dist::names::escape;

    #[test]
    fn a_runs_group_prefix_never_starts_another_runs_groups() {
        assert!(escape("demo.Report").starts_with(&group_prefix("demo")));
        assert!(!escape("demo-2.Report").starts_with(&group_prefix("demo")));
        assert!(!escape("demo_2e.Report").starts_with(&group_prefix("demo")));
        assert!(!escape("demo.Report").starts_with(&group_prefix("dem")));
    }
}
