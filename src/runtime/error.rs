//! Why a runtime could not be built or run.

use std::fmt;

/// A dataflow, plan or deployment the runtime cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// A stream names a component or interface that does not exist.
    UnknownEndpoint(String),
    /// A component has no handler factory.
    MissingFactory(String),
    /// The coordination plan cannot be realised.
    Plan(String),
    /// The deployment asks for something the runtime does not support.
    Deployment(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::UnknownEndpoint(e) => write!(f, "stream endpoint `{e}` does not exist"),
            BuildError::MissingFactory(c) => write!(f, "no handler factory for component `{c}`"),
            BuildError::Plan(m) => write!(f, "coordination plan: {m}"),
            BuildError::Deployment(m) => write!(f, "deployment: {m}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// A run that could not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A task of the run panicked or was cancelled.
    #[error("run failed: a task of the run failed")]
    Task(#[from] tokio::task::JoinError),
    /// The sequencer could not order some messages of an ordered group even
    /// after retrying (issue 15, fix 5): they reached no replica, so the
    /// run cannot be trusted, whatever its books say.
    #[error("run failed: {unordered} message(s) of an ordered group could not be ordered")]
    Unordered {
        /// How many messages were not ordered.
        unordered: u64,
        /// The first of them.
        #[source]
        first: super::sequencer::Unordered,
    },
}
