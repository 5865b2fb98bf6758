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

/// A run that could not complete (a task panicked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError(pub String);

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "run failed: {}", self.0)
    }
}

impl std::error::Error for RunError {}
