//! Why a runtime could not be built or run. Every name a runner, a
//! simulation or a cluster is given (components, instance counts, routes
//! and, into typed handlers, their keys, sources, handler factories,
//! workload inputs) is checked against the dataflow when it is built, and a
//! mismatch is a [`NameError`] that lists the valid names: nothing is
//! silently ignored.

use std::fmt;

/// A name given to the runtime that the dataflow does not have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The deployment gives instances to a component the dataflow lacks.
    #[error("the deployment gives instances to `{name}`, which is not a component of the dataflow; its components are: {}", list(.valid))]
    UnknownComponent {
        /// The name given.
        name: String,
        /// The dataflow's components.
        valid: Vec<String>,
    },
    /// A handler factory is registered for a component the dataflow lacks.
    #[error("a handler factory is registered for `{name}`, which is not a component of the dataflow; its components are: {}", list(.valid))]
    UnknownFactory {
        /// The name given.
        name: String,
        /// The dataflow's components.
        valid: Vec<String>,
    },
    /// The deployment gives producers to a source the dataflow lacks.
    #[error("the deployment gives producers to `{name}`, which is not a source of the dataflow; its sources are: {}", list(.valid))]
    UnknownSource {
        /// The name given.
        name: String,
        /// The dataflow's sources.
        valid: Vec<String>,
    },
    /// The deployment routes a stream the dataflow lacks (or one into a
    /// sink, which every record reaches).
    #[error("the deployment routes `{from} -> {to}`, which is not a stream into a component; the routable streams are: {}", list(.valid))]
    UnknownRoute {
        /// The producing end given.
        from: String,
        /// The consuming end given.
        to: String,
        /// The streams into components, `from -> to`.
        valid: Vec<String>,
    },
    /// A stream is routed by key on an attribute the records its consumer
    /// takes lack: every record would hash alike and go to one instance.
    #[error(transparent)]
    UnknownRouteKey(Box<UnknownRouteKey>),
    /// The workload feeds a source the dataflow lacks.
    #[error("the workload feeds `{name}`, which is not a source of the dataflow; its sources are: {}", list(.valid))]
    UnknownWorkloadSource {
        /// The name given.
        name: String,
        /// The dataflow's sources.
        valid: Vec<String>,
    },
    /// A process asked to host a component the dataflow lacks.
    #[error("no component `{name}` in the dataflow; its components are: {}", list(.valid))]
    NoSuchComponent {
        /// The name given.
        name: String,
        /// The dataflow's components.
        valid: Vec<String>,
    },
    /// A process asked to host an instance the deployment does not give the component.
    #[error(
        "component `{component}` has {instances} instance(s) (0..{instances}); there is no instance {index}"
    )]
    NoSuchInstance {
        /// The component.
        component: String,
        /// The instance index given.
        index: usize,
        /// How many instances the deployment gives it.
        instances: usize,
    },
    /// A process asked for a source the dataflow lacks.
    #[error("no source `{name}` in the dataflow; its sources are: {}", list(.valid))]
    NoSuchSource {
        /// The name given.
        name: String,
        /// The dataflow's sources.
        valid: Vec<String>,
    },
    /// A process asked for a source producer the deployment does not give the source.
    #[error(
        "source `{source_name}` has {producers} producer(s) (0..{producers}); there is no producer {index}"
    )]
    NoSuchSourceProducer {
        /// The source.
        source_name: String,
        /// The producer index given.
        index: usize,
        /// How many producers the deployment gives it.
        producers: usize,
    },
    /// A process asked to collect a sink the dataflow lacks.
    #[error("no sink `{name}` in the dataflow; its sinks are: {}", list(.valid))]
    NoSuchSink {
        /// The name given.
        name: String,
        /// The dataflow's sinks.
        valid: Vec<String>,
    },
    /// A seal given to a source (in a workload, or by a source producer
    /// across processes) lacks attributes of the stream's seal key: no
    /// partition could be named by it.
    #[error(
        "a seal of source `{source_name}` ({key}) lacks {} of its stream's seal key [{}]; seal with a record holding every seal-key field (a key struct, or a record of the partition)",
        quoted(.missing),
        .seal_key.join(", ")
    )]
    SealKeyLacks {
        /// The source.
        source_name: String,
        /// The seal as given.
        key: crate::tuple::Tuple,
        /// The seal-key attributes it lacks.
        missing: Vec<String>,
        /// The stream's seal key.
        seal_key: Vec<String>,
    },
    /// The workload feeds a producer the deployment does not give the source.
    #[error(
        "the workload feeds producer {producer} of `{source_name}`, which has {producers} producer(s) (0..{producers}); give it more with `Deployment::source_producers`"
    )]
    NoSuchProducer {
        /// The source.
        source_name: String,
        /// The producer index given.
        producer: usize,
        /// How many producers the source has.
        producers: usize,
    },
}

/// `` `a` `` or `` `a`, `b` ``.
fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A dataflow, plan or deployment the runtime cannot run.
///
/// `Debug` writes the message, as `Display` does: a `main` that returns
/// this through `?` prints what is wrong and how to fix it, not the
/// variant's fields.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A stream names a component or interface that does not exist.
    #[error("stream endpoint `{0}` does not exist")]
    UnknownEndpoint(String),
    /// A component has no handler factory.
    #[error("no handler factory for component `{0}`")]
    MissingFactory(String),
    /// The coordination plan cannot be realised.
    #[error("coordination plan: {0}")]
    Plan(String),
    /// The deployment asks for something the runtime does not support.
    #[error("deployment: {0}")]
    Deployment(String),
    /// A name given to the runtime that the dataflow does not have.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A stream's routing splits the groups of an order-sensitive path
    /// between the instances of a partitioned component, so each would
    /// emit a partial result for a group.
    #[error(transparent)]
    SplitGroups(Box<SplitGroups>),
    /// A stream into a write path of a partitioned component is routed so
    /// that a read (or an order-sensitive write) of the component would miss
    /// writes of its group that land on another instance.
    #[error(transparent)]
    ScatteredWrites(Box<ScatteredWrites>),
    /// A producer's output feeds two inputs of one dynamically ordered
    /// group: not supported yet.
    #[error(transparent)]
    OrderedTwice(Box<OrderedTwice>),
    /// A seal buffer waits for seals that can only come round a loop from
    /// what its own component emits for the records it holds.
    #[error("deployment: {0}")]
    SealLoop(Box<blazes_core::SealLoop>),
    /// An input the plan wraps in two ways the runtime cannot combine (a
    /// read under seals on two keys, a seal buffer and a static order).
    #[error("coordination plan: {0}")]
    CoordinationConflict(Box<blazes_core::CoordinationConflict>),
}

/// A stream routed by key on an attribute that the record its consumer
/// takes lacks ([`NameError::UnknownRouteKey`]): every record would hash
/// alike and go to the same instance, so the deployment is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{from} -> {to}` is routed by `{attribute}`, which is not a field of `{record}`, the record \
     `{to}` takes, so every record would go to the same instance; the fields of `{record}` are: \
     {}. Route by one of them (`Routing::by_key([..])` in the deployment, `{{ route: [..] }}` in \
     `streams!`)",
    list(.fields)
)]
#[non_exhaustive]
pub struct UnknownRouteKey {
    /// The producing end: a source, or `Component.output`.
    pub from: String,
    /// The consuming end, `Component.input`.
    pub to: String,
    /// The attribute routed by.
    pub attribute: String,
    /// The consumer's record type.
    pub record: String,
    /// Its fields.
    pub fields: Vec<String>,
}

/// One output feeding two or more inputs of a component whose inputs one
/// sequencer orders together ([`BuildError::OrderedTwice`]). The sequencer
/// orders a message once, by its producer and number, so the copy on the
/// second input would be taken for a replay and dropped: refused rather
/// than run with that input's messages missing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "deployment: `{from}` feeds inputs {} of `{component}`, whose inputs a sequencer orders \
     together; one message on two inputs of an ordered group is not supported yet (the \
     sequencer orders it once, so its copy on the second input would be dropped as a \
     replay)\n  = fix: feed `{component}` one of these inputs from `{from}`, or pass the \
     other stream through a confluent (`CR`) component first",
    .inputs.join(" and ")
)]
#[non_exhaustive]
pub struct OrderedTwice {
    /// The producing side: a source, or `Component.output`.
    pub from: String,
    /// The ordered component.
    pub component: String,
    /// The inputs it feeds.
    pub inputs: Vec<String>,
}

/// A stream into a write path (`CW`, `OW`) of a partitioned component,
/// routed otherwise than the streams of a path whose output depends on that
/// state, a read (`OR`) or an order-sensitive write (`OW`)
/// ([`BuildError::ScatteredWrites`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "deployment: stream `{stream}` is routed {routing} into {instances} instances of \
     `{component}`, but its path {write} writes state that the path {read} observes, \
     and that path's stream `{read_stream}` is routed {read_routing}: each of its records \
     would meet only the writes that landed on its own instance\n  = fix: {fix}"
)]
#[non_exhaustive]
pub struct ScatteredWrites {
    /// The stream into the write path, `from -> to`.
    pub stream: String,
    /// The consuming component.
    pub component: String,
    /// How many instances it has.
    pub instances: usize,
    /// The write path, `input -> output (annotation)`.
    pub write: String,
    /// The write stream's routing.
    pub routing: String,
    /// The path that observes the write (`OR` or `OW`), `input -> output
    /// (annotation)`.
    pub read: String,
    /// The stream into the observing path, `from -> to`.
    pub read_stream: String,
    /// The observing stream's routing.
    pub read_routing: String,
    /// How to fix it.
    pub fix: String,
}

/// A stream routed into several instances of a component (not replicas)
/// so that a group of an order-sensitive path's gate would be split between
/// them ([`BuildError::SplitGroups`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "deployment: stream `{stream}` is routed {routing} into {instances} instances of \
     `{component}`, but its path {path} is {annotation}: a group of the gate would be \
     split between instances, {consequence}\n  = fix: {fix}"
)]
#[non_exhaustive]
pub struct SplitGroups {
    /// The stream, `from -> to`.
    pub stream: String,
    /// The consuming component.
    pub component: String,
    /// How many instances it has.
    pub instances: usize,
    /// The order-sensitive path, `input -> output`.
    pub path: String,
    /// The path's annotation (`OW[site,window]`).
    pub annotation: String,
    /// The stream's routing.
    pub routing: String,
    /// What the split does: partial results of an aggregation, or reads
    /// of one group meeting the writes in different orders.
    pub consequence: String,
    /// How to fix it.
    pub fix: String,
}

/// A run that could not complete.
///
/// `Debug` writes the message and its causes, one per line, as a `main`
/// returning this through `?` should print them.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// A task of the run panicked or was cancelled.
    #[error("run failed: a task did not complete")]
    Task(#[from] tokio::task::JoinError),
    /// The runner could not start its tasks
    /// ([`DataflowRunner::start`](crate::runtime::DataflowRunner::start)):
    /// so that `runner.start()?.run_workload(&workload).await?` is one
    /// fallible step, in an `async` block as in a function.
    #[error(transparent)]
    Start(#[from] BuildError),
    /// The workload names a source or producer the deployment lacks.
    #[error("run refused: {0}")]
    Name(#[from] NameError),
    /// The sequencer could not order some messages of an ordered group even
    /// after retrying (issue 15, fix 5): they reached no replica, so the
    /// run cannot be trusted, whatever its books say.
    #[error("run failed: {unordered} message(s) of an ordered group could not be ordered")]
    Unordered {
        /// How many messages were not ordered.
        unordered: u64,
        /// The first of them.
        #[source]
        first: crate::runtime::coordination::sequencer::Unordered,
    },
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            // A cause the message already quotes is not repeated.
            let said = error.to_string();
            if !text.contains(&said) {
                text.push_str("\n  caused by: ");
                text.push_str(&said);
            }
            cause = error.source();
        }
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_says_what_display_says_so_main_prints_the_fix() {
        let unknown = NameError::UnknownComponent {
            name: "Aggg".into(),
            valid: vec!["Agg".into(), "Map".into()],
        };
        let build = BuildError::Name(unknown.clone());
        assert_eq!(format!("{build:?}"), build.to_string());
        assert!(format!("{build:?}").contains("its components are: `Agg`, `Map`"));
        let start = RunError::Start(build.clone());
        assert_eq!(format!("{start:?}"), build.to_string());
        let refused = RunError::Name(unknown);
        let printed = format!("{refused:?}");
        assert!(printed.starts_with("run refused: the deployment gives instances to `Aggg`"));
        assert!(!printed.contains("caused by"), "quoted already: {printed}");
        let unordered = RunError::Unordered {
            unordered: 2,
            first: crate::runtime::coordination::sequencer::Unordered {
                group: "Report".into(),
                producer: crate::runtime::ProducerId(3),
                seq: 7,
                attempts: 5,
                source: crate::runtime::coordination::sequencer::SequencerError::Injected,
            },
        };
        let printed = format!("{unordered:?}");
        let lines: Vec<&str> = printed.lines().collect();
        assert_eq!(lines.len(), 3, "{printed}");
        assert!(lines[1].starts_with("  caused by: ordered group `Report`: message 7"));
        assert!(lines[2].starts_with("  caused by: "), "{printed}");
    }
}
