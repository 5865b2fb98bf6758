//! How a dataflow is deployed: instances per component, producers per
//! source, the routing of each stream, bounds, and the seed of every random
//! choice the runtime makes.

use std::collections::BTreeMap;
use std::time::Duration;

use blazes_core::{AttrSet, attrs};

use crate::runtime::coordination::plan::CoordinationMode;
use crate::runtime::coordination::recent::DEFAULT_LATE_WINDOW;

/// How a stream chooses the consumer instances of each record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Routing {
    /// One instance, chosen by a stable hash of these attributes.
    ByKey(AttrSet),
    /// One instance, chosen at random (seeded).
    Random,
    /// Every instance (the default into a replicated component).
    Broadcast,
    /// Producer instance `i` feeds consumer instance `i mod n` only.
    Paired,
}

impl Routing {
    /// Partitioning by the given attributes.
    pub fn by_key<I, S>(names: I) -> Routing
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Routing::ByKey(attrs(names))
    }
}

/// How long a partition may wait for its seals before it is reported as
/// overdue, unless configured ([`Deployment::overdue_after`]).
pub const DEFAULT_OVERDUE_AFTER: Duration = Duration::from_secs(30);

/// A deployment of a dataflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    pub(crate) instances: BTreeMap<String, usize>,
    pub(crate) producers: BTreeMap<String, usize>,
    pub(crate) routing: BTreeMap<(String, String), Routing>,
    pub(crate) coordination: CoordinationMode,
    pub(crate) buffer_capacity: usize,
    pub(crate) late_window: usize,
    pub(crate) channel_capacity: usize,
    pub(crate) seed: u64,
    pub(crate) overdue_after: Duration,
}

impl Default for Deployment {
    fn default() -> Deployment {
        Deployment {
            instances: BTreeMap::new(),
            producers: BTreeMap::new(),
            routing: BTreeMap::new(),
            coordination: CoordinationMode::Plan,
            buffer_capacity: 1 << 20,
            late_window: DEFAULT_LATE_WINDOW,
            channel_capacity: 1024,
            seed: 0,
            overdue_after: DEFAULT_OVERDUE_AFTER,
        }
    }
}

impl Deployment {
    /// One instance per component, one producer per source, default routing,
    /// the plan applied.
    pub fn new() -> Deployment {
        Deployment::default()
    }

    /// Runs `component` as `count` instances (replicas of a `rep`
    /// component, partitions otherwise).
    pub fn instances(mut self, component: &str, count: usize) -> Deployment {
        self.instances.insert(component.to_string(), count.max(1));
        self
    }

    /// Gives source `source` `count` independent producers (e.g. ad servers).
    pub fn source_producers(mut self, source: &str, count: usize) -> Deployment {
        self.producers.insert(source.to_string(), count.max(1));
        self
    }

    /// Routes the stream `from -> to` (endpoints as in `Stream::between`).
    /// A key ([`Routing::by_key`]) names fields of the record `to` takes:
    /// where its handler is typed, a name the record lacks is refused when
    /// the runner (or simulation, or cluster) is built, with
    /// [`NameError::UnknownRouteKey`](crate::runtime::NameError::UnknownRouteKey).
    pub fn route(mut self, from: &str, to: &str, routing: Routing) -> Deployment {
        self.routing
            .insert((from.to_string(), to.to_string()), routing);
        self
    }

    /// Applies the plan, or runs without coordination.
    pub fn coordination(mut self, mode: CoordinationMode) -> Deployment {
        self.coordination = mode;
        self
    }

    /// At most `records` held by the wrappers of one instance; at the bound
    /// the instance stops admitting records that it would hold, of new and
    /// open partitions alike (backpressure). Only when nothing else can
    /// arrive (a partition needs more than the bound) does it admit one
    /// record at a time beyond it, each counted as a stall, and the run then
    /// ends as a failure ([`RunFailure::BoundExceeded`](super::RunFailure::BoundExceeded)).
    pub fn buffer_capacity(mut self, records: usize) -> Deployment {
        self.buffer_capacity = records.max(1);
        self
    }

    /// Late records are recognised for the last `partitions` partitions each
    /// wrapper released (default [`DEFAULT_LATE_WINDOW`]); older released
    /// partitions are forgotten, so that memory stays bounded over any
    /// number of partitions, and counted
    /// ([`InstanceMetrics::forgotten_partitions`](super::InstanceMetrics::forgotten_partitions)).
    /// A record of a forgotten partition opens it again; its producers have
    /// sealed it already, so it is dead-lettered as never sealed when the
    /// run ends, and the run fails naming it: late detection ages out, but
    /// never silently.
    pub fn late_detection(mut self, partitions: usize) -> Deployment {
        self.late_window = partitions.max(1);
        self
    }

    /// A partition that waits longer than `wait` for its seals is reported
    /// under tokio (runtime spec, "Liveness and membership"): a `tracing`
    /// warning naming the instance, the partition, its age and the producers
    /// whose seals are missing, once per partition, counted in
    /// [`InstanceMetrics::overdue_partitions`](super::InstanceMetrics::overdue_partitions).
    /// Nothing is released or dropped because of it; a run that ends with
    /// the partition still open fails naming it. The same wait makes a
    /// stalled run say so: while
    /// [`RunningDataflow::finish`](super::RunningDataflow::finish) waits, a
    /// run whose instances received and handled nothing for `wait` and have
    /// not all ended gets one warning per stall, naming the instances still
    /// open and the source producers not closed. Default
    /// [`DEFAULT_OVERDUE_AFTER`].
    pub fn overdue_after(mut self, wait: Duration) -> Deployment {
        self.overdue_after = wait;
        self
    }

    /// The capacity of each channel under tokio.
    pub fn channel_capacity(mut self, messages: usize) -> Deployment {
        self.channel_capacity = messages.max(1);
        self
    }

    /// The seed of random routing.
    pub fn seed(mut self, seed: u64) -> Deployment {
        self.seed = seed;
        self
    }
}
