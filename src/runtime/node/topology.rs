//! The deployed dataflow: every component instance and source producer with
//! its identity, the streams out of each, who must seal or end each input,
//! and the ordered groups. Built once from the dataflow, the analysis and
//! the deployment; shared read-only by the tokio runner and the simulator.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use blazes_core::{Analysis, AttrSet, Dataflow, Endpoint};

use crate::runtime::coordination::plan::{ComponentPlan, CoordinationMode, InputMode};
use crate::runtime::deployment::{Deployment, Routing};
use crate::runtime::error::{BuildError, NameError, OrderedTwice};
use crate::runtime::node::envelope::{InputId, OutputId, ProducerId};
use crate::runtime::node::router::Destination;
use crate::runtime::partitioning;
use crate::runtime::sink::{SinkCollector, SinkSeal};
use crate::tuple::Tuple;

/// Index of a sink.
pub type SinkId = usize;
/// Index of a dynamically ordered group.
pub type GroupId = usize;

/// Where a stream goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamTarget {
    /// An input interface of a component.
    Input {
        /// The component's index.
        component: usize,
        /// The input's index.
        input: InputId,
    },
    /// A sink.
    Sink(SinkId),
}

/// One stream out of an output interface or a source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamOut {
    /// Its consumer.
    pub target: StreamTarget,
    /// How records choose consumer instances.
    pub routing: Routing,
    /// The stream goes from a component back to itself: each instance feeds
    /// only itself.
    pub self_loop: bool,
    /// The attributes a record's instance is chosen by (routing by key), in
    /// name order, listed once so routing a record walks a slice.
    pub key: Vec<String>,
}

impl StreamOut {
    /// A stream to `target` routed by `routing`.
    pub fn new(target: StreamTarget, routing: Routing, self_loop: bool) -> StreamOut {
        let key = match &routing {
            Routing::ByKey(attrs) => attrs.iter().cloned().collect(),
            _ => Vec::new(),
        };
        StreamOut {
            target,
            routing,
            self_loop,
            key,
        }
    }
}

/// A deployed component.
#[derive(Clone, Debug)]
pub struct ComponentInfo {
    /// Its name.
    pub name: String,
    /// Its input interfaces.
    pub inputs: Vec<String>,
    /// Its output interfaces.
    pub outputs: Vec<String>,
    /// Its instances.
    pub instances: Vec<ProducerId>,
    /// True for a replicated (`rep`) component.
    pub rep: bool,
    /// The wrappers the plan puts on its inputs.
    pub plan: ComponentPlan,
    /// For each output, the inputs with a path into it (an output ends when
    /// they have ended).
    pub feeds: Vec<Vec<InputId>>,
    /// For each output reached only by confluent paths, the inputs whose
    /// seals it forwards; `None` when an order-sensitive path reaches it.
    pub forwards: Vec<Option<Vec<InputId>>>,
    /// The ordered group of each instance, when an input is dynamically ordered.
    pub groups: Vec<Option<GroupId>>,
    /// The inputs sealed with one producer per partition
    /// (`Analysis::independent_input`): one seal completes a partition.
    pub independent: BTreeSet<InputId>,
    /// The streams out of each output.
    pub streams: Vec<Vec<StreamOut>>,
}

impl ComponentInfo {
    /// Where a message to instance `index` on input `input` goes: the
    /// instance itself, or, where that input is dynamically ordered, the
    /// sequencer of the instance's group.
    pub(crate) fn destination(&self, index: usize, input: InputId) -> Destination {
        let ordered = self.plan.ordered.get(input) == Some(&true);
        match (ordered, self.groups.get(index).copied().flatten()) {
            (true, Some(g)) => Destination::Group(g),
            _ => Destination::Instance(self.instances[index]),
        }
    }

    /// The name of input `input` as streams write it, `Component.input`
    /// (`None` for an index it does not have).
    pub fn endpoint(&self, input: InputId) -> Option<String> {
        Some(format!("{}.{}", self.name, self.inputs.get(input)?))
    }
}

/// A deployed source.
#[derive(Clone, Debug)]
pub struct SourceInfo {
    /// Its name.
    pub name: String,
    /// Its producers.
    pub producers: Vec<ProducerId>,
    /// Its streams.
    pub streams: Vec<StreamOut>,
    /// The attributes its streams are sealed on (the union over its sealed
    /// streams; empty when none is sealed): what a seal it sends keeps.
    pub seal_key: AttrSet,
}

/// A dynamically ordered group: the instances that apply one total order.
#[derive(Clone, Debug)]
pub struct GroupInfo {
    /// Its name, passed to the sequencer.
    pub name: String,
    /// Its members.
    pub members: Vec<ProducerId>,
    /// The producers whose messages it orders.
    pub producers: BTreeSet<ProducerId>,
}

/// Who a producer id is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRef {
    /// Instance `index` of component `component`.
    Instance {
        /// The component's index.
        component: usize,
        /// The instance's index within the component.
        index: usize,
    },
    /// Producer `index` of source `source`.
    Source {
        /// The source's index.
        source: usize,
        /// The producer's index within the source.
        index: usize,
    },
}

/// The deployed dataflow.
#[derive(Clone, Debug)]
pub struct Topology {
    /// The components, in dataflow order.
    pub components: Vec<ComponentInfo>,
    /// The sources, by first mention.
    pub sources: Vec<SourceInfo>,
    /// The sinks, by first mention.
    pub sinks: Vec<String>,
    /// The dynamically ordered groups.
    pub groups: Vec<GroupInfo>,
    /// Every producer id, indexed by its number.
    pub nodes: Vec<NodeRef>,
    /// The seal-buffer bound per instance.
    pub buffer_capacity: usize,
    /// Released partitions each wrapper remembers to recognise late records.
    pub late_window: usize,
    /// The channel capacity under tokio.
    pub channel_capacity: usize,
    /// The seed of random choices.
    pub seed: u64,
    /// How long a partition may wait for its seals before it is reported.
    pub overdue_after: std::time::Duration,
    expected: HashMap<(ProducerId, InputId), BTreeSet<ProducerId>>,
    sink_producers: Vec<BTreeSet<ProducerId>>,
    sink_seals: Vec<Vec<SinkSeal>>,
    cycle_cuts: Vec<CycleCut>,
}

/// A stream that closes a cycle between components: from output `output`
/// of component `component` to input `input` of component `consumer`.
/// End-of-stream cannot flow around the cycle, so a driver that runs it
/// ends this input itself when the cycle is quiet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleCut {
    /// The producing component's index.
    pub component: usize,
    /// Its output.
    pub output: OutputId,
    /// The consuming component's index.
    pub consumer: usize,
    /// The consumer's input.
    pub input: InputId,
}

/// A port: (component, output).
type Port = (usize, usize);
/// The port graph: each port's successors, with the stream leading there.
type PortEdges = BTreeMap<Port, Vec<(Port, CycleCut)>>;

/// A depth-first walk of the port graph that notes the edges going back
/// to a port on the walk's stack.
struct CycleWalk<'a> {
    edges: &'a PortEdges,
    /// 1: on the stack; 2: done.
    state: BTreeMap<Port, u8>,
    cuts: Vec<CycleCut>,
}

impl CycleWalk<'_> {
    fn visit(&mut self, node: Port) {
        if self.state.contains_key(&node) {
            return;
        }
        self.state.insert(node, 1);
        let edges = self.edges;
        for (next, cut) in edges.get(&node).into_iter().flatten() {
            if self.state.get(next) == Some(&1) {
                if !self.cuts.contains(cut) {
                    self.cuts.push(*cut);
                }
            } else {
                self.visit(*next);
            }
        }
        self.state.insert(node, 2);
    }
}

/// Whether output `output` of `component` may wait, to end, for the end of
/// every input: it is fed by an input whose records or reads a seal buffer
/// holds, and an output ends only once nothing of its inputs is held, or
/// once every input of the instance has ended (the held records are then
/// dead-lettered). Such an output closes a cycle through any of the inputs.
fn ends_after_held(component: &ComponentInfo, output: OutputId) -> bool {
    component.feeds[output].iter().any(|i| {
        matches!(
            component.plan.inputs.get(*i),
            Some(InputMode::Sealed { .. } | InputMode::ReadGated { .. })
        )
    })
}

fn default_routing(consumer_rep: bool, consumer_instances: usize) -> Routing {
    if consumer_rep || consumer_instances == 1 {
        Routing::Broadcast
    } else {
        Routing::Random
    }
}

impl Topology {
    /// Deploys `dataflow` with the plan of `analysis`. A cycle between
    /// components is refused ([`BuildError::Deployment`]): only a driver
    /// that sees when the whole run is quiet (the simulator, the tokio
    /// runner) can end one ([`Topology::build_allowing_cycles`]).
    pub fn build(
        dataflow: &Dataflow,
        analysis: &Analysis,
        deployment: &Deployment,
    ) -> Result<Topology, BuildError> {
        let topology = Topology::assemble(dataflow, analysis, deployment)?;
        topology.reject_cycles()?;
        Ok(topology)
    }

    /// Like [`Topology::build`], but a cycle between components is kept,
    /// with the streams that close it ([`Topology::cycle_cuts`]), for a
    /// driver that ends such a cycle itself once nothing is in flight (the
    /// simulator).
    pub fn build_allowing_cycles(
        dataflow: &Dataflow,
        analysis: &Analysis,
        deployment: &Deployment,
    ) -> Result<Topology, BuildError> {
        Topology::assemble(dataflow, analysis, deployment)
    }

    fn assemble(
        dataflow: &Dataflow,
        analysis: &Analysis,
        deployment: &Deployment,
    ) -> Result<Topology, BuildError> {
        let mut topology = Topology {
            components: Vec::new(),
            sources: Vec::new(),
            sinks: Vec::new(),
            groups: Vec::new(),
            nodes: Vec::new(),
            buffer_capacity: deployment.buffer_capacity,
            late_window: deployment.late_window,
            channel_capacity: deployment.channel_capacity,
            seed: deployment.seed,
            overdue_after: deployment.overdue_after,
            expected: HashMap::new(),
            sink_producers: Vec::new(),
            sink_seals: Vec::new(),
            cycle_cuts: Vec::new(),
        };
        topology.add_components(dataflow, analysis, deployment)?;
        topology.add_externals(dataflow, deployment);
        topology.check_names(dataflow, deployment)?;
        topology.add_streams(dataflow, deployment)?;
        topology.settle_independence(dataflow, analysis);
        topology.check_partitioning(dataflow, deployment)?;
        topology.add_groups();
        topology.check_one_ordered_input_per_output()?;
        Topology::check_seals_do_not_wait_on_themselves(dataflow, analysis, deployment)?;
        topology.compute_expected();
        topology.cycle_cuts = topology.find_cycle_cuts();
        Ok(topology)
    }

    fn add_components(
        &mut self,
        dataflow: &Dataflow,
        analysis: &Analysis,
        deployment: &Deployment,
    ) -> Result<(), BuildError> {
        for (ci, component) in dataflow.components.iter().enumerate() {
            let count = deployment
                .instances
                .get(&component.name)
                .copied()
                .unwrap_or(1);
            let inputs: Vec<String> = component.inputs().iter().map(|s| s.to_string()).collect();
            let outputs: Vec<String> = component.outputs().iter().map(|s| s.to_string()).collect();
            let index_of = |list: &[String], name: &str| list.iter().position(|x| x == name);
            let mut feeds = vec![Vec::new(); outputs.len()];
            for path in &component.paths {
                let (Some(i), Some(o)) =
                    (index_of(&inputs, &path.from), index_of(&outputs, &path.to))
                else {
                    continue;
                };
                if !feeds[o].contains(&i) {
                    feeds[o].push(i);
                }
            }
            for f in &mut feeds {
                if f.is_empty() {
                    // An output no path reaches depends on every input.
                    *f = (0..inputs.len()).collect();
                }
            }
            // Which seals each output forwards: one rule, the analysis's
            // (confluent paths only, and not around a loop, spec §4.2).
            let forwards: Vec<Option<Vec<InputId>>> = outputs
                .iter()
                .map(|o| {
                    blazes_core::forwarded_seals(component, o, analysis)
                        .map(|names| names.iter().filter_map(|n| index_of(&inputs, n)).collect())
                })
                .collect();
            let instances = (0..count)
                .map(|index| {
                    self.nodes.push(NodeRef::Instance {
                        component: ci,
                        index,
                    });
                    ProducerId((self.nodes.len() - 1) as u32)
                })
                .collect();
            self.components.push(ComponentInfo {
                independent: BTreeSet::new(),
                name: component.name.clone(),
                inputs,
                streams: vec![Vec::new(); outputs.len()],
                outputs,
                instances,
                rep: component.rep,
                plan: ComponentPlan::for_component(component, analysis, deployment.coordination)?,
                feeds,
                forwards,
                groups: vec![None; count],
            });
        }
        Ok(())
    }

    fn add_externals(&mut self, dataflow: &Dataflow, deployment: &Deployment) {
        for stream in &dataflow.streams {
            if let Endpoint::External(name) = &stream.from
                && !self.sources.iter().any(|s| &s.name == name)
            {
                let count = deployment.producers.get(name).copied().unwrap_or(1);
                let si = self.sources.len();
                let producers = (0..count)
                    .map(|index| {
                        self.nodes.push(NodeRef::Source { source: si, index });
                        ProducerId((self.nodes.len() - 1) as u32)
                    })
                    .collect();
                self.sources.push(SourceInfo {
                    name: name.clone(),
                    producers,
                    streams: Vec::new(),
                    seal_key: AttrSet::new(),
                });
            }
            if let Endpoint::External(name) = &stream.from
                && let Some(key) = &stream.annotation.seal
                && let Some(source) = self.sources.iter_mut().find(|s| &s.name == name)
            {
                source.seal_key.extend(key.iter().cloned());
            }
            if let Endpoint::External(name) = &stream.to
                && !self.sinks.contains(name)
            {
                self.sinks.push(name.clone());
            }
        }
        self.sink_producers = vec![BTreeSet::new(); self.sinks.len()];
        self.sink_seals = vec![Vec::new(); self.sinks.len()];
    }

    /// Refuses a deployment naming a component, source or stream the
    /// dataflow lacks, listing the valid names.
    fn check_names(&self, dataflow: &Dataflow, deployment: &Deployment) -> Result<(), NameError> {
        let components: Vec<String> = self.components.iter().map(|c| c.name.clone()).collect();
        if let Some(name) = deployment
            .instances
            .keys()
            .find(|n| !components.contains(n))
        {
            return Err(NameError::UnknownComponent {
                name: name.clone(),
                valid: components,
            });
        }
        let sources: Vec<String> = self.sources.iter().map(|s| s.name.clone()).collect();
        if let Some(name) = deployment.producers.keys().find(|n| !sources.contains(n)) {
            return Err(NameError::UnknownSource {
                name: name.clone(),
                valid: sources,
            });
        }
        let routable: Vec<(String, String)> = dataflow
            .streams
            .iter()
            .filter(|s| matches!(s.to, Endpoint::Port { .. }))
            .map(|s| (s.from.to_string(), s.to.to_string()))
            .collect();
        if let Some((from, to)) = deployment.routing.keys().find(|k| !routable.contains(k)) {
            return Err(NameError::UnknownRoute {
                from: from.clone(),
                to: to.clone(),
                valid: routable
                    .iter()
                    .map(|(f, t)| format!("{f} -> {t}"))
                    .collect(),
            });
        }
        Ok(())
    }

    /// Refuses a routing that splits an order-sensitive path's groups
    /// between the instances of a partitioned component
    /// ([`BuildError::SplitGroups`]), or keeps a read from the writes it
    /// observes ([`BuildError::ScatteredWrites`]).
    fn check_partitioning(
        &self,
        dataflow: &Dataflow,
        deployment: &Deployment,
    ) -> Result<(), BuildError> {
        let info = |name: &str| self.components.iter().find(|c| c.name == name);
        partitioning::check(
            dataflow,
            |name| info(name).map_or(1, |c| c.instances.len()),
            |si| {
                let stream = &dataflow.streams[si];
                let key = (stream.from.to_string(), stream.to.to_string());
                let self_loop = matches!((&stream.from, &stream.to),
                    (Endpoint::Port { component: a, .. }, Endpoint::Port { component: b, .. }) if a == b);
                match deployment.routing.get(&key) {
                    // Each instance feeds only itself: nothing is split.
                    _ if self_loop => Routing::Broadcast,
                    Some(routing) => routing.clone(),
                    None => {
                        let (rep, count) = match &stream.to {
                            Endpoint::Port { component, .. } => {
                                info(component).map_or((false, 1), |c| (c.rep, c.instances.len()))
                            }
                            Endpoint::External(_) => (false, 1),
                        };
                        default_routing(rep, count)
                    }
                }
            },
            |name| info(name).is_some_and(|c| c.plan.is_dynamically_ordered()),
        )
    }

    /// The names of the components, in dataflow order.
    pub fn component_names(&self) -> Vec<String> {
        self.components.iter().map(|c| c.name.clone()).collect()
    }

    /// The names of the sources, by first mention.
    pub fn source_names(&self) -> Vec<String> {
        self.sources.iter().map(|s| s.name.clone()).collect()
    }

    fn find_port(&self, endpoint: &Endpoint, outputs: bool) -> Result<(usize, usize), BuildError> {
        let Endpoint::Port {
            component,
            interface,
        } = endpoint
        else {
            return Err(BuildError::UnknownEndpoint(endpoint.to_string()));
        };
        let ci = self
            .components
            .iter()
            .position(|c| &c.name == component)
            .ok_or_else(|| BuildError::UnknownEndpoint(endpoint.to_string()))?;
        let list = if outputs {
            &self.components[ci].outputs
        } else {
            &self.components[ci].inputs
        };
        let ii = list
            .iter()
            .position(|i| i == interface)
            .ok_or_else(|| BuildError::UnknownEndpoint(endpoint.to_string()))?;
        Ok((ci, ii))
    }

    fn add_streams(
        &mut self,
        dataflow: &Dataflow,
        deployment: &Deployment,
    ) -> Result<(), BuildError> {
        for stream in &dataflow.streams {
            let key = (stream.from.to_string(), stream.to.to_string());
            let (target, routing) = match &stream.to {
                Endpoint::External(name) => {
                    let sink = self
                        .sinks
                        .iter()
                        .position(|s| s == name)
                        .unwrap_or_default();
                    (StreamTarget::Sink(sink), Routing::Broadcast)
                }
                port => {
                    let (component, input) = self.find_port(port, false)?;
                    let info = &self.components[component];
                    let routing = deployment
                        .routing
                        .get(&key)
                        .cloned()
                        .unwrap_or_else(|| default_routing(info.rep, info.instances.len()));
                    (StreamTarget::Input { component, input }, routing)
                }
            };
            let producers = match &stream.from {
                Endpoint::External(name) => {
                    let si = self
                        .sources
                        .iter()
                        .position(|s| &s.name == name)
                        .unwrap_or_default();
                    self.sources[si]
                        .streams
                        .push(StreamOut::new(target.clone(), routing, false));
                    self.sources[si].producers.clone()
                }
                port => {
                    let (ci, oi) = self.find_port(port, true)?;
                    let self_loop =
                        matches!(target, StreamTarget::Input { component, .. } if component == ci);
                    self.components[ci].streams[oi].push(StreamOut::new(
                        target.clone(),
                        routing,
                        self_loop,
                    ));
                    self.components[ci].instances.clone()
                }
            };
            // A sink stream declared sealed: its producers' seals are a
            // claim the run checks at the sink, as a consumer would.
            if let (StreamTarget::Sink(sink), Some(key)) = (&target, &stream.annotation.seal) {
                self.sink_seals[*sink].push(SinkSeal {
                    key: key.iter().cloned().collect(),
                    producers: producers.into_iter().collect(),
                    independent: stream.annotation.independent,
                });
            }
        }
        Ok(())
    }

    /// The inputs whose partitions each have one producer, so that one seal
    /// completes a partition: those the analysis finds independent
    /// (`Analysis::independent_input`) whose every stream is declared
    /// `independent` or comes from a component deployed as one instance.
    /// The analysis does not see the deployment: through a component of
    /// several instances, each instance emits its share of every partition,
    /// so every instance must seal it (a unanimous vote).
    fn settle_independence(&mut self, dataflow: &Dataflow, analysis: &Analysis) {
        for ci in 0..self.components.len() {
            let name = self.components[ci].name.clone();
            let independent: BTreeSet<InputId> = (0..self.components[ci].inputs.len())
                .filter(|&i| {
                    let input = &self.components[ci].inputs[i];
                    analysis.independent_input(&format!("{name}.{input}"))
                        && dataflow
                            .streams
                            .iter()
                            .filter(|s| {
                                matches!(&s.to, Endpoint::Port { component, interface }
                                    if *component == name && interface == input)
                            })
                            .all(|s| {
                                s.annotation.independent
                                    || match &s.from {
                                        Endpoint::Port { component, .. } => self
                                            .components
                                            .iter()
                                            .find(|c| &c.name == component)
                                            .is_some_and(|c| c.instances.len() == 1),
                                        Endpoint::External(_) => false,
                                    }
                            })
                })
                .collect();
            // The analysis's independent vote of a seal buffer holds only
            // where every input it votes on is independent here: the plan
            // says what runs.
            let info = &mut self.components[ci];
            for (b, spec) in info.plan.seals.iter_mut().enumerate() {
                let votes_a_shared_input = info.plan.inputs.iter().enumerate().any(|(i, mode)| {
                    matches!(mode, InputMode::Sealed { buffer } if *buffer == b)
                        && !independent.contains(&i)
                });
                if votes_a_shared_input {
                    spec.vote = blazes_core::Vote::Unanimous;
                }
            }
            info.independent = independent;
        }
    }

    /// Refuses an output (or a source) that feeds two inputs of one
    /// dynamically ordered component ([`BuildError::OrderedTwice`]).
    fn check_one_ordered_input_per_output(&self) -> Result<(), BuildError> {
        let outputs = self
            .sources
            .iter()
            .map(|s| (s.name.clone(), &s.streams))
            .chain(self.components.iter().flat_map(|c| {
                c.outputs
                    .iter()
                    .zip(&c.streams)
                    .map(move |(o, streams)| (format!("{}.{o}", c.name), streams))
            }));
        for (from, streams) in outputs {
            let mut ordered: BTreeMap<usize, Vec<InputId>> = BTreeMap::new();
            for stream in streams {
                if let StreamTarget::Input { component, input } = stream.target
                    && self.components[component].plan.ordered.get(input) == Some(&true)
                    && self.components[component]
                        .groups
                        .iter()
                        .any(Option::is_some)
                {
                    let inputs = ordered.entry(component).or_default();
                    if !inputs.contains(&input) {
                        inputs.push(input);
                    }
                }
            }
            if let Some((component, inputs)) = ordered.into_iter().find(|(_, i)| i.len() > 1) {
                let info = &self.components[component];
                return Err(BuildError::OrderedTwice(Box::new(OrderedTwice {
                    from,
                    component: info.name.clone(),
                    inputs: inputs.iter().map(|i| info.inputs[*i].clone()).collect(),
                })));
            }
        }
        Ok(())
    }

    /// Refuses a seal buffer whose release waits on itself
    /// ([`BuildError::SealLoop`], [`blazes_core::seal_loops`]), where the
    /// plan is applied.
    fn check_seals_do_not_wait_on_themselves(
        dataflow: &Dataflow,
        analysis: &Analysis,
        deployment: &Deployment,
    ) -> Result<(), BuildError> {
        if deployment.coordination == CoordinationMode::Off {
            return Ok(());
        }
        match blazes_core::seal_loops(dataflow, analysis)
            .into_iter()
            .next()
        {
            Some(found) => Err(BuildError::SealLoop(Box::new(found))),
            None => Ok(()),
        }
    }

    fn add_groups(&mut self) {
        for ci in 0..self.components.len() {
            let info = &self.components[ci];
            if !info.plan.is_dynamically_ordered() {
                continue;
            }
            let name = info.name.clone();
            let members = info.instances.clone();
            if info.rep {
                let g = self.groups.len();
                self.groups.push(GroupInfo {
                    name,
                    members,
                    producers: BTreeSet::new(),
                });
                self.components[ci].groups = vec![Some(g); self.groups[g].members.len()];
            } else {
                for (index, member) in members.into_iter().enumerate() {
                    let g = self.groups.len();
                    self.groups.push(GroupInfo {
                        name: format!("{name}[{index}]"),
                        members: vec![member],
                        producers: BTreeSet::new(),
                    });
                    self.components[ci].groups[index] = Some(g);
                }
            }
        }
    }

    /// Every (producer, stream) pair, with the producer's index among its peers.
    fn producer_streams(&self) -> Vec<(ProducerId, usize, Option<usize>, &StreamOut)> {
        let mut out = Vec::new();
        for (ci, c) in self.components.iter().enumerate() {
            for streams in &c.streams {
                for s in streams {
                    for (index, p) in c.instances.iter().enumerate() {
                        out.push((*p, index, Some(ci), s));
                    }
                }
            }
        }
        for source in &self.sources {
            for s in &source.streams {
                for (index, p) in source.producers.iter().enumerate() {
                    out.push((*p, index, None, s));
                }
            }
        }
        out
    }

    fn compute_expected(&mut self) {
        let mut expected: HashMap<(ProducerId, InputId), BTreeSet<ProducerId>> = HashMap::new();
        let mut group_producers: BTreeMap<GroupId, BTreeSet<ProducerId>> = BTreeMap::new();
        let mut sink_producers = vec![BTreeSet::new(); self.sinks.len()];
        for (producer, index, _, stream) in self.producer_streams() {
            match &stream.target {
                StreamTarget::Sink(s) => {
                    sink_producers[*s].insert(producer);
                }
                StreamTarget::Input { component, input } => {
                    let info = &self.components[*component];
                    let ordered = info.plan.ordered[*input];
                    for (ci, consumer) in info.instances.iter().enumerate() {
                        let reached = if stream.self_loop {
                            false
                        } else if ordered && info.rep {
                            true
                        } else {
                            match stream.routing {
                                Routing::Paired => index % info.instances.len() == ci,
                                _ => true,
                            }
                        };
                        if reached {
                            expected
                                .entry((*consumer, *input))
                                .or_default()
                                .insert(producer);
                            if ordered && let Some(g) = info.groups[ci] {
                                group_producers.entry(g).or_default().insert(producer);
                            }
                        }
                    }
                }
            }
        }
        for (g, producers) in group_producers {
            self.groups[g].producers = producers;
        }
        self.expected = expected;
        self.sink_producers = sink_producers;
    }

    /// Refuses a dataflow with a cycle between components. End-of-stream
    /// cannot flow around a cycle (each output waits for the end of inputs
    /// the cycle feeds from that very output), so a cycle ends only when the
    /// whole cycle is quiet. The simulator sees every message and the tokio
    /// runner counts them, so both decide that
    /// ([`Topology::build_allowing_cycles`]); the cluster has no distributed
    /// termination detection yet.
    fn reject_cycles(&self) -> Result<(), BuildError> {
        let Some(cut) = self.cycle_cuts.first() else {
            return Ok(());
        };
        let c = &self.components[cut.component];
        Err(BuildError::Deployment(format!(
            "`{}.{}` is on a cycle between components: end-of-stream cannot flow around a \
             cycle, and the cluster has no distributed termination detection to end it \
             (only a component's stream to itself runs across processes); the tokio runner \
             (`blazes::runtime`) and the deterministic simulator (`blazes::sim`) run it, \
             ending the cycle when nothing is in flight",
            c.name, c.outputs[cut.output]
        )))
    }

    /// Finds the streams that close cycles between components, in the order
    /// a depth-first walk from the source-fed outputs meets them.
    fn find_cycle_cuts(&self) -> Vec<CycleCut> {
        // Nodes: (component, output); an edge per stream into an input whose
        // end the consumer's output waits for.
        let mut edges = PortEdges::new();
        for (ci, c) in self.components.iter().enumerate() {
            for (oi, streams) in c.streams.iter().enumerate() {
                for s in streams.iter().filter(|s| !s.self_loop) {
                    if let StreamTarget::Input { component, input } = s.target {
                        let consumer = &self.components[component];
                        for (o2, feeds) in consumer.feeds.iter().enumerate() {
                            if feeds.contains(&input) || ends_after_held(consumer, o2) {
                                let cut = CycleCut {
                                    component: ci,
                                    output: oi,
                                    consumer: component,
                                    input,
                                };
                                edges
                                    .entry((ci, oi))
                                    .or_default()
                                    .push(((component, o2), cut));
                            }
                        }
                    }
                }
            }
        }
        // Roots: outputs of components fed by a source first, so that the
        // stream found closing a cycle is the one going back to its entry.
        let fed_by_source: BTreeSet<usize> = self
            .sources
            .iter()
            .flat_map(|s| &s.streams)
            .filter_map(|s| match s.target {
                StreamTarget::Input { component, .. } => Some(component),
                StreamTarget::Sink(_) => None,
            })
            .collect();
        let mut roots: Vec<(usize, usize)> = self
            .components
            .iter()
            .enumerate()
            .flat_map(|(ci, c)| (0..c.outputs.len()).map(move |oi| (ci, oi)))
            .collect();
        roots.sort_by_key(|(ci, _)| !fed_by_source.contains(ci));
        let mut walk = CycleWalk {
            edges: &edges,
            state: BTreeMap::new(),
            cuts: Vec::new(),
        };
        for root in roots {
            walk.visit(root);
        }
        walk.cuts
    }

    /// The streams that close cycles between components, in the order their
    /// cycles should be ended (empty unless built by
    /// [`Topology::build_allowing_cycles`] for a dataflow with cycles).
    pub fn cycle_cuts(&self) -> &[CycleCut] {
        &self.cycle_cuts
    }

    /// Where the end of a cycle-closing stream goes: every instance of the
    /// consumer, or, where the consumer's input is dynamically ordered, the
    /// sequencer of each of their groups (once per group).
    pub(crate) fn cut_destinations(&self, cut: CycleCut) -> Vec<Destination> {
        let consumer = &self.components[cut.consumer];
        let mut targets = Vec::new();
        for index in 0..consumer.instances.len() {
            let to = consumer.destination(index, cut.input);
            if !targets.contains(&to) {
                targets.push(to);
            }
        }
        targets
    }

    /// The producers that must seal or end input `input` of instance `instance`.
    pub fn expected(&self, instance: ProducerId, input: InputId) -> BTreeSet<ProducerId> {
        self.expected
            .get(&(instance, input))
            .cloned()
            .unwrap_or_default()
    }

    /// True when `producer`'s records come in the order of a `seq` stream's
    /// batches, so that a record of a later batch proves it is done with the
    /// earlier ones (static ordering, issue 15 fix 1): a source producer
    /// (which emits its batches in order by contract), or an instance whose
    /// every input is statically ordered or directly fed by at most one
    /// producer that is itself in order. An instance that merges several
    /// producers (a Splitter fed by two spouts), or whose inputs are sealed or
    /// sequenced, interleaves batches. Unknown producers count as
    /// interleaving (the safe answer: only seals and ends prove progress).
    pub fn emits_in_seq_order(&self, producer: ProducerId) -> bool {
        self.in_seq_order(producer, self.nodes.len())
    }

    fn in_seq_order(&self, producer: ProducerId, depth: usize) -> bool {
        match self.node(producer) {
            Some(NodeRef::Source { .. }) => true,
            Some(NodeRef::Instance { component, .. }) if depth > 0 => {
                let plan = &self.components[component].plan;
                plan.inputs.iter().enumerate().all(|(i, mode)| match mode {
                    InputMode::StaticOrder { .. } => true,
                    InputMode::Direct if !plan.ordered[i] => {
                        let upstream = self.expected(producer, i);
                        upstream.len() <= 1
                            && upstream.iter().all(|p| self.in_seq_order(*p, depth - 1))
                    }
                    _ => false,
                })
            }
            _ => false,
        }
    }

    /// Refuses a seal of source `source` that lacks an attribute of the
    /// source's seal key (a source whose streams declare no seal takes any).
    pub(crate) fn check_source_seal(&self, source: usize, key: &Tuple) -> Result<(), NameError> {
        let Some(info) = self.sources.get(source) else {
            return Ok(());
        };
        let missing: Vec<String> = info
            .seal_key
            .iter()
            .filter(|attribute| key.get(attribute).is_none())
            .cloned()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(NameError::SealKeyLacks {
            source_name: info.name.clone(),
            key: key.clone(),
            missing,
            seal_key: info.seal_key.iter().cloned().collect(),
        })
    }

    /// [`Topology::check_source_seal`] for the source whose producer is
    /// `producer` (any key for a producer that is no source's).
    pub(crate) fn check_producer_seal(
        &self,
        producer: ProducerId,
        key: &Tuple,
    ) -> Result<(), NameError> {
        match self.node(producer) {
            Some(NodeRef::Source { source, .. }) => self.check_source_seal(source, key),
            _ => Ok(()),
        }
    }

    /// The producers that feed sink `sink`.
    pub fn sink_producers(&self, sink: SinkId) -> &BTreeSet<ProducerId> {
        &self.sink_producers[sink]
    }

    /// The collector of sink `sink`, expecting its producers and the seals
    /// of its streams declared sealed: every driver collects a sink alike.
    pub(crate) fn sink_collector(&self, sink: SinkId) -> SinkCollector {
        SinkCollector::new(self.sink_producers[sink].clone())
            .expecting_seals(self.sink_seals[sink].clone())
    }

    /// Who a producer id is.
    pub fn node(&self, id: ProducerId) -> Option<NodeRef> {
        self.nodes.get(id.0 as usize).copied()
    }

    /// A producer's name for reports: `Component[i]` or `source[i]`.
    pub fn describe(&self, id: ProducerId) -> String {
        match self.node(id) {
            Some(NodeRef::Instance { component, index }) => {
                format!("{}[{index}]", self.components[component].name)
            }
            Some(NodeRef::Source { source, index }) => {
                format!("{}[{index}]", self.sources[source].name)
            }
            None => id.to_string(),
        }
    }

    /// The component instances, as (component index, instance id).
    pub fn instances(&self) -> impl Iterator<Item = (usize, ProducerId)> + '_ {
        self.components
            .iter()
            .enumerate()
            .flat_map(|(ci, c)| c.instances.iter().map(move |p| (ci, *p)))
    }

    /// The index of a source by name.
    pub fn source(&self, name: &str) -> Option<usize> {
        self.sources.iter().position(|s| s.name == name)
    }

    /// The index of a sink by name.
    pub fn sink(&self, name: &str) -> Option<SinkId> {
        self.sinks.iter().position(|s| s == name)
    }

    /// The index of a component by name.
    pub fn component(&self, name: &str) -> Option<usize> {
        self.components.iter().position(|c| c.name == name)
    }

    /// The streams out of a producer's output (`None` for a source producer).
    pub fn streams_of(&self, producer: ProducerId, output: Option<OutputId>) -> &[StreamOut] {
        match (self.node(producer), output) {
            (Some(NodeRef::Instance { component, .. }), Some(o)) => self.components[component]
                .streams
                .get(o)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            (Some(NodeRef::Source { source, .. }), None) => &self.sources[source].streams,
            _ => &[],
        }
    }

    /// True when a stream takes what instance `producer` sends back to
    /// it (a component's output feeding one of its own inputs).
    pub(crate) fn feeds_itself(&self, producer: ProducerId) -> bool {
        match self.node(producer) {
            Some(NodeRef::Instance { component, .. }) => self.components[component]
                .streams
                .iter()
                .flatten()
                .any(|s| s.self_loop),
            _ => false,
        }
    }

    /// A producer's index among its peers.
    pub fn index_of(&self, producer: ProducerId) -> usize {
        match self.node(producer) {
            Some(NodeRef::Instance { index, .. } | NodeRef::Source { index, .. }) => index,
            None => 0,
        }
    }
}
