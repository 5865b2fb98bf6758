//! Chooses the destinations of each message a producer sends: consumer
//! instances by the stream's routing, the sequencer group of a dynamically
//! ordered input, or a sink. Punctuations (seals, ends) go to every instance
//! the producer can reach, since each of them counts its vote.

use std::cell::Cell;
use std::collections::VecDeque;

use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::runtime::deployment::Routing;
use crate::runtime::node::envelope::{Delivery, Envelope, InputId, OutputId, ProducerId};
use crate::runtime::node::topology::{GroupId, SinkId, StreamTarget, Topology};
use std::borrow::Cow;

use crate::runtime::node::payload::{Payload, PayloadRun};
use crate::tuple::Value;

/// Where a routed message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Destination {
    /// A component instance (directly).
    Instance(ProducerId),
    /// The sequencer of an ordered group, which forwards it to every member.
    Group(GroupId),
    /// A sink.
    Sink(SinkId),
}

/// One message on its way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routed {
    /// Where it goes.
    pub to: Destination,
    /// The input interface at the destination (unused for a sink).
    pub input: InputId,
    /// The message.
    pub envelope: Envelope,
}

/// A hash of attribute values that is the same in every run and build.
#[cfg(test)]
fn stable_hash(tuple: &crate::tuple::Tuple) -> u64 {
    hash_fields(tuple.fields())
}

/// A hash of the values of `fields` (sorted by name) that is the same in
/// every run and build.
#[cfg(test)]
fn hash_fields<'a>(fields: impl Iterator<Item = (&'a str, &'a Value)>) -> u64 {
    let mut hash = FNV_OFFSET;
    for (name, value) in fields {
        fnv(&mut hash, name.as_bytes());
        hash_value(value, &mut |bytes| fnv(&mut hash, bytes));
    }
    hash
}

/// FNV-1a's starting state.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Feeds `bytes` to the FNV-1a state `hash`.
#[inline]
fn fnv(hash: &mut u64, bytes: &[u8]) {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(PRIME);
    }
}

/// Feeds `value` to `eat`: a tag byte per kind, then its data (a float's
/// bits, a list's length and items, a record's names and values).
/// Integers and strings as they always were, so their routes do not change.
fn hash_value(value: &Value, eat: &mut impl FnMut(&[u8])) {
    match value {
        Value::Int(v) => {
            eat(&[0]);
            eat(&v.to_le_bytes());
        }
        Value::Str(s) => {
            eat(&[1]);
            eat(s.as_bytes());
        }
        Value::Float(v) => {
            eat(&[2]);
            eat(&v.to_bits().to_le_bytes());
        }
        Value::Null => eat(&[3]),
        Value::Some(v) => {
            eat(&[4]);
            hash_value(v, eat);
        }
        Value::List(items) => {
            eat(&[5]);
            eat(&(items.len() as u64).to_le_bytes());
            for item in items.iter() {
                hash_value(item, eat);
            }
        }
        Value::Record(tuple) => {
            eat(&[6]);
            eat(&(tuple.fields().count() as u64).to_le_bytes());
            for (name, v) in tuple.fields() {
                eat(&(name.len() as u64).to_le_bytes());
                eat(name.as_bytes());
                hash_value(v, eat);
            }
        }
        Value::Bytes(bytes) => {
            eat(&[7]);
            eat(&(bytes.len() as u64).to_le_bytes());
            eat(bytes);
        }
    }
}

/// The attributes a stream routes by, with what spares work per record:
/// the hash after the first attribute's name (the same for every record),
/// and where each attribute was found in the last record (a record of the
/// same type has it at the same position, under the same `'static` name).
#[derive(Clone, Debug, PartialEq, Eq)]
struct RouteKey {
    names: Vec<String>,
    /// The hash's state after the first name.
    after_first: u64,
    /// By attribute: its position in the last record and its name there
    /// when `'static`.
    hints: Vec<Cell<(usize, Option<&'static str>)>>,
}

impl RouteKey {
    fn new(names: &[String]) -> RouteKey {
        let mut after_first = FNV_OFFSET;
        if let Some(first) = names.first() {
            fnv(&mut after_first, first.as_bytes());
        }
        RouteKey {
            names: names.to_vec(),
            after_first,
            hints: vec![Cell::new((0, None)); names.len()],
        }
    }

    /// The value of attribute `i` in `payload`, looked for first where
    /// the last record had it.
    #[inline]
    fn value<'t>(&self, payload: &'t Payload, i: usize) -> Option<Cow<'t, Value>> {
        let Some(payload) = payload.as_tuple() else {
            return payload.field(&self.names[i]);
        };
        let (at, literal) = self.hints[i].get();
        let name = self.names[i].as_str();
        if let Some(literal) = literal
            && let Some(value) = payload.value_named_at(at, literal)
        {
            return Some(Cow::Borrowed(value));
        }
        let at = payload.position(name)?;
        self.hints[i].set((at, payload.static_name_at(at)));
        payload.value_named_at(at, name).map(Cow::Borrowed)
    }

    /// The stable hash of the key's attributes in `payload` (those it
    /// has, names and values), in the key's order.
    fn hash(&self, payload: &Payload) -> u64 {
        self.hash_of(|i| self.value(payload, i))
    }

    /// [`RouteKey::hash`] of record `at` of a run, read in its batch.
    fn hash_in_run(&self, records: &PayloadRun, at: usize) -> u64 {
        self.hash_of(|i| records.field(at, &self.names[i]))
    }

    /// The stable hash of the key's attributes whose values `value` gives
    /// (by the attribute's index in the key).
    #[inline]
    fn hash_of<'v>(&self, value: impl Fn(usize) -> Option<Cow<'v, Value>>) -> u64 {
        let mut hash = FNV_OFFSET;
        for (i, name) in self.names.iter().enumerate() {
            let Some(value) = value(i) else {
                continue;
            };
            if i == 0 {
                hash = self.after_first;
            } else {
                fnv(&mut hash, name.as_bytes());
            }
            hash_value(&value, &mut |bytes| fnv(&mut hash, bytes));
        }
        hash
    }
}

/// The seed of a producer's routing choices.
pub(crate) fn routing_rng(seed: u64, producer: ProducerId) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(
        seed ^ (u64::from(producer.0) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
    )
}

/// Buffers that routing reuses from one message to the next, and how a
/// producer's messages are routed on each output (worked out once per
/// output, then reused).
#[derive(Debug, Default)]
pub struct RouteScratch {
    targets: Vec<(Destination, InputId)>,
    /// By output (a source's one output first, then an instance's outputs
    /// from 0): how its messages are routed, once known.
    plans: Vec<Option<OutputRoute>>,
    /// The topology `plans` were worked out for (its address): a scratch
    /// used with another topology works them out again.
    topology: usize,
}

/// How the messages a producer sends on one output are routed: the one
/// place the routing rules are written.
#[derive(Clone, Debug, PartialEq, Eq)]
struct OutputRoute {
    /// A record's destinations: each step adds one, in stream order.
    steps: Vec<Step>,
    /// No step depends on the record or on a routing choice: `fixed`
    /// holds a record's destinations.
    fixed: Option<Vec<(Destination, InputId)>>,
    /// Where a punctuation (seal, end, retirement) goes: every instance a
    /// record could reach (each counts its vote), in stream order, each
    /// once; none on an instance's stream to itself.
    punctuations: Vec<(Destination, InputId)>,
}

/// One stream's choice of destination for a record.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Always this destination.
    To(Destination, InputId),
    /// The instance the stable hash of the record's key picks among
    /// `instances` (their destinations for `input`).
    ByKey {
        key: RouteKey,
        input: InputId,
        instances: Vec<Destination>,
    },
    /// An instance picked at random among `instances`.
    Random {
        input: InputId,
        instances: Vec<Destination>,
    },
}

impl RouteScratch {
    /// Splits the scratch into how `producer` routes on `output` and the
    /// room for a record's targets.
    fn plan(
        &mut self,
        topology: &Topology,
        producer: ProducerId,
        output: Option<OutputId>,
    ) -> (&OutputRoute, &mut Vec<(Destination, InputId)>) {
        let address = std::ptr::from_ref(topology) as usize;
        if self.topology != address {
            self.plans.clear();
            self.topology = address;
        }
        let slot = output.map_or(0, |o| o + 1);
        if self.plans.len() <= slot {
            self.plans.resize(slot + 1, None);
        }
        let plan = self.plans[slot].get_or_insert_with(|| output_route(topology, producer, output));
        (plan, &mut self.targets)
    }
}

/// How `producer` routes what it sends on `output`, by the stream's
/// routing rule: a record goes to the paired instance (`producer`'s index
/// modulo the instances), the instance its key's stable hash picks, one at
/// random, or every instance (broadcast); a punctuation goes to the paired
/// instance on a paired stream and to every instance otherwise; on an
/// instance's stream to itself a record goes back to it and a punctuation
/// nowhere (a seal inside a loop counts for nothing, spec §4.2, and the
/// driver ends the loop once nothing is in flight).
fn output_route(
    topology: &Topology,
    producer: ProducerId,
    output: Option<OutputId>,
) -> OutputRoute {
    let producer_index = topology.index_of(producer);
    let mut steps = Vec::new();
    let mut punctuations = Vec::new();
    for stream in topology.streams_of(producer, output) {
        match stream.target {
            StreamTarget::Sink(sink) => {
                steps.push(Step::To(Destination::Sink(sink), 0));
                add_once(&mut punctuations, (Destination::Sink(sink), 0));
            }
            StreamTarget::Input { component, input } => {
                let info = &topology.components[component];
                let count = info.instances.len();
                if count == 0 {
                    continue;
                }
                let to = |i: usize| Step::To(info.destination(i, input), input);
                let instances = || (0..count).map(|i| info.destination(i, input)).collect();
                let every = |punctuations: &mut Vec<_>| {
                    for i in 0..count {
                        add_once(punctuations, (info.destination(i, input), input));
                    }
                };
                if stream.self_loop {
                    steps.push(to(producer_index % count));
                    continue;
                }
                match &stream.routing {
                    Routing::Paired => {
                        let paired = producer_index % count;
                        steps.push(to(paired));
                        add_once(&mut punctuations, (info.destination(paired, input), input));
                    }
                    Routing::ByKey(_) if count == 1 => {
                        steps.push(to(0));
                        every(&mut punctuations);
                    }
                    Routing::ByKey(_) => {
                        steps.push(Step::ByKey {
                            key: RouteKey::new(&stream.key),
                            input,
                            instances: instances(),
                        });
                        every(&mut punctuations);
                    }
                    Routing::Random => {
                        steps.push(Step::Random {
                            input,
                            instances: instances(),
                        });
                        every(&mut punctuations);
                    }
                    Routing::Broadcast => {
                        steps.extend((0..count).map(to));
                        every(&mut punctuations);
                    }
                }
            }
        }
    }
    let mut fixed = Vec::new();
    for step in &steps {
        match step {
            Step::To(to, input) if !fixed.contains(&(*to, *input)) => fixed.push((*to, *input)),
            Step::To(..) => {}
            Step::ByKey { .. } | Step::Random { .. } => {
                return OutputRoute {
                    steps,
                    fixed: None,
                    punctuations,
                };
            }
        }
    }
    OutputRoute {
        steps,
        fixed: Some(fixed),
        punctuations,
    }
}

/// Adds `target` to `targets` unless it is there already.
fn add_once(targets: &mut Vec<(Destination, InputId)>, target: (Destination, InputId)) {
    if !targets.contains(&target) {
        targets.push(target);
    }
}

impl OutputRoute {
    /// The destinations of a record `payload`, in `targets` (each once).
    fn record_targets(
        &self,
        payload: &Payload,
        rng: &mut ChaCha8Rng,
        targets: &mut Vec<(Destination, InputId)>,
    ) {
        targets.clear();
        for step in &self.steps {
            let target = match step {
                Step::To(to, input) => (*to, *input),
                Step::ByKey {
                    key,
                    input,
                    instances,
                } => {
                    let i = (key.hash(payload) % instances.len() as u64) as usize;
                    (instances[i], *input)
                }
                Step::Random { input, instances } => {
                    (instances[rng.random_range(0..instances.len())], *input)
                }
            };
            add_once(targets, target);
        }
    }
}

/// Routes what instance `me` emitted: a message to itself (a self-feeding
/// stream) joins `local`, in emission order, to be delivered in place; every
/// other one goes to `remote` with the output it left by. `scratch` is reused
/// between calls.
pub fn route_sends(
    topology: &Topology,
    me: ProducerId,
    sends: impl IntoIterator<Item = (OutputId, Envelope)>,
    rng: &mut ChaCha8Rng,
    scratch: &mut RouteScratch,
    local: &mut VecDeque<Delivery>,
    remote: &mut Vec<(OutputId, Routed)>,
) {
    let mut sends = sends.into_iter().peekable();
    while let Some((output, envelope)) = sends.next() {
        let (plan, targets) = scratch.plan(topology, me, Some(output));
        let mut deliver = |r: Routed| {
            if r.to == Destination::Instance(me) {
                local.push_back(Delivery::Direct {
                    input: r.input,
                    envelope: r.envelope,
                });
            } else {
                remote.push((output, r));
            }
        };
        plan.route(envelope, rng, targets, &mut deliver);
        // The sends after it on the same output: the same plan.
        while let Some((_, envelope)) = sends.next_if(|(o, _)| *o == output) {
            plan.route(envelope, rng, targets, &mut deliver);
        }
    }
}

/// Routes `envelopes`, all sent by `producer` on `output` (`None` for a
/// source), as [`route_with`] on each would, working out the output's
/// routing once.
pub fn route_all(
    topology: &Topology,
    producer: ProducerId,
    output: Option<OutputId>,
    envelopes: impl IntoIterator<Item = Envelope>,
    rng: &mut ChaCha8Rng,
    scratch: &mut RouteScratch,
    out: &mut Vec<Routed>,
) {
    let (plan, targets) = scratch.plan(topology, producer, output);
    for envelope in envelopes {
        plan.route(envelope, rng, targets, &mut |r| out.push(r));
    }
}

/// Routes `envelope`, sent by `producer` on `output` (`None` for a source),
/// appending one [`Routed`] per destination to `out` (the envelope is cloned
/// only for the destinations after the first).
#[cfg_attr(not(all(feature = "nats", feature = "zookeeper")), allow(dead_code))]
pub fn route(
    topology: &Topology,
    producer: ProducerId,
    output: Option<OutputId>,
    envelope: Envelope,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<Routed>,
) {
    let mut scratch = RouteScratch::default();
    route_with(topology, producer, output, envelope, rng, &mut scratch, out);
}

/// [`route`] with buffers reused between calls.
pub fn route_with(
    topology: &Topology,
    producer: ProducerId,
    output: Option<OutputId>,
    envelope: Envelope,
    rng: &mut ChaCha8Rng,
    scratch: &mut RouteScratch,
    out: &mut Vec<Routed>,
) {
    route_each(topology, producer, output, envelope, rng, scratch, |r| {
        out.push(r);
    });
}

/// Routes `envelope` as [`route_with`] does, handing each [`Routed`] to
/// `deliver` in routing order, by its output's [`OutputRoute`], worked out
/// once.
fn route_each(
    topology: &Topology,
    producer: ProducerId,
    output: Option<OutputId>,
    envelope: Envelope,
    rng: &mut ChaCha8Rng,
    scratch: &mut RouteScratch,
    deliver: impl FnMut(Routed),
) {
    let (plan, targets) = scratch.plan(topology, producer, output);
    let mut deliver = deliver;
    plan.route(envelope, rng, targets, &mut deliver);
}

impl OutputRoute {
    /// Hands one [`Routed`] per destination of `envelope` to `deliver`, in
    /// routing order (`targets` is room for a record's destinations).
    #[inline]
    fn route(
        &self,
        envelope: Envelope,
        rng: &mut ChaCha8Rng,
        targets: &mut Vec<(Destination, InputId)>,
        deliver: &mut impl FnMut(Routed),
    ) {
        match (&envelope, &self.fixed) {
            (Envelope::Record { .. }, Some(fixed)) => fan_out(fixed, envelope, deliver),
            (Envelope::Record { payload, .. }, None) => {
                self.record_targets(payload, rng, targets);
                fan_out(targets, envelope, deliver);
            }
            (Envelope::Records { .. }, _) => self.route_run(envelope, rng, targets, deliver),
            _ => fan_out(&self.punctuations, envelope, deliver),
        }
    }

    /// Routes a run of records ([`Envelope::Records`]) as each record alone
    /// would go: whole to each destination of a fixed route made of
    /// instances; on a stream routed by key or at random, split by
    /// destination instance in one pass (the same routing choices, drawn
    /// in the run's order), one run per instance, each numbered with the
    /// next `seq`s of the run's range in the order of its records (an
    /// instance receives its records in the order they were sent, under
    /// increasing `seq`s); to a sink, an ordered group, or a destination
    /// of a route of several steps, one record at a time.
    #[inline(never)]
    fn route_run(
        &self,
        envelope: Envelope,
        rng: &mut ChaCha8Rng,
        targets: &mut Vec<(Destination, InputId)>,
        deliver: &mut impl FnMut(Routed),
    ) {
        let instances_only = |targets: &[(Destination, InputId)]| {
            targets
                .iter()
                .all(|(to, _)| matches!(to, Destination::Instance(_)))
        };
        match (&self.fixed, &self.steps[..]) {
            (Some(fixed), _) if instances_only(fixed) => {
                return fan_out(fixed, envelope, deliver);
            }
            (None, [step @ (Step::ByKey { instances, .. } | Step::Random { instances, .. })])
                if instances
                    .iter()
                    .all(|to| matches!(to, Destination::Instance(_))) =>
            {
                if let Envelope::Records {
                    producer,
                    seq,
                    records,
                } = envelope
                {
                    split_run(step, producer, seq, &records, rng, deliver);
                }
                return;
            }
            _ => {}
        }
        for single in envelope.into_singles() {
            self.route(single, rng, targets, deliver);
        }
    }
}

/// [`OutputRoute::route_run`] on a stream of one step that picks an
/// instance per record (by key or at random).
fn split_run(
    step: &Step,
    producer: ProducerId,
    seq: u64,
    records: &PayloadRun,
    rng: &mut ChaCha8Rng,
    deliver: &mut impl FnMut(Routed),
) {
    let (input, instances) = match step {
        Step::ByKey {
            input, instances, ..
        }
        | Step::Random { input, instances } => (*input, instances),
        Step::To(..) => return,
    };
    let count = instances.len();
    if count == 0 {
        return;
    }
    if let Step::Random { .. } = step {
        // At random, a run at a time: it stays whole (one envelope, its
        // records one after the other in their batch, which a slice
        // handler then takes in one call).
        return deliver(Routed {
            to: instances[rng.random_range(0..count)],
            input,
            envelope: Envelope::Records {
                producer,
                seq,
                records: records.clone(),
            },
        });
    }
    // Stretches of records with one destination, in order: a key of one
    // attribute read once per stretch of equal values.
    let mut stretches: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    let mut at = 0;
    while at < records.len() {
        let (i, n) = match step {
            Step::ByKey { key, .. } if key.names.len() == 1 => {
                let value = records.field(at, &key.names[0]);
                let n = match &value {
                    Some(v) => records.count_equal(at, records.len(), &key.names[0], v),
                    None => 1,
                };
                let i = (key.hash_of(|_| value.clone()) % count as u64) as usize;
                (i, n.max(1))
            }
            Step::ByKey { key, .. } => ((key.hash_in_run(records, at) % count as u64) as usize, 1),
            _ => return,
        };
        match stretches.last_mut() {
            Some((last, range)) if *last == i => range.end = at + n,
            _ => stretches.push((i, at..at + n)),
        }
        at += n;
    }
    if stretches.len() <= 2 * count {
        // Few stretches (a key that changes rarely along the run, as a
        // batch number does): each a part of the run as it is, with its
        // records' own `seq`s.
        for (i, range) in stretches {
            deliver(Routed {
                to: instances[i],
                input,
                envelope: Envelope::Records {
                    producer,
                    seq: seq + range.start as u64,
                    records: records.range(range),
                },
            });
        }
        return;
    }
    // Many: one run per destination, of the records listed, numbered
    // within the run's range in their order.
    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); count];
    for (i, range) in stretches {
        groups[i].extend(range.start as u32..range.end as u32);
    }
    let mut next = seq;
    for (i, positions) in groups.iter().enumerate() {
        if positions.is_empty() {
            continue;
        }
        deliver(Routed {
            to: instances[i],
            input,
            envelope: Envelope::Records {
                producer,
                seq: next,
                records: records.select(positions),
            },
        });
        next += positions.len() as u64;
    }
}

/// One [`Routed`] per target, in order, each with a copy of `envelope`
/// (the last with the envelope itself).
#[inline]
fn fan_out(
    targets: &[(Destination, InputId)],
    envelope: Envelope,
    deliver: &mut impl FnMut(Routed),
) {
    if let [(to, input)] = targets {
        return deliver(Routed {
            to: *to,
            input: *input,
            envelope,
        });
    }
    let Some(((last_to, last_input), rest)) = targets.split_last() else {
        return;
    };
    for (to, input) in rest {
        deliver(Routed {
            to: *to,
            input: *input,
            envelope: envelope.clone(),
        });
    }
    deliver(Routed {
        to: *last_to,
        input: *last_input,
        envelope,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuple::Tuple;

    /// Source `in` (2 producers) -> A (3 instances, paired) -> B (2,
    /// broadcast), C (1, by key), D (2, by key), E (2, random), sinks; and
    /// A -> L (2 instances, by key), whose output `o` feeds L itself (a
    /// loop) and sink `lo`.
    fn fan_out_topology() -> Topology {
        use crate::runtime::deployment::Deployment;
        use blazes_core::{Annotation, Component, Dataflow, Stream};
        let mut dataflow =
            Dataflow::new().component(Component::new("A").path("in", "a", Annotation::cr()));
        for c in ["B", "C", "D", "E"] {
            dataflow = dataflow
                .component(Component::new(c).path("a", "x", Annotation::cr()))
                .stream(Stream::between("A.a", &format!("{c}.a")))
                .stream(Stream::between(&format!("{c}.x"), &format!("x{c}")));
        }
        let dataflow = dataflow
            .component(Component::new("L").path("a", "o", Annotation::cr()).path(
                "back",
                "o",
                Annotation::cr(),
            ))
            .stream(Stream::between("A.a", "L.a"))
            .stream(Stream::between("L.o", "L.back"))
            .stream(Stream::between("L.o", "lo"))
            .stream(Stream::between("in", "A.in"))
            .stream(Stream::between("A.a", "out"));
        let analysis = crate::analyze(&dataflow).expect("valid dataflow");
        let deployment = Deployment::new()
            .source_producers("in", 2)
            .instances("A", 3)
            .instances("B", 2)
            .instances("D", 2)
            .instances("E", 2)
            .instances("L", 2)
            .route("in", "A.in", Routing::Paired)
            .route("A.a", "B.a", Routing::Broadcast)
            .route("A.a", "C.a", Routing::by_key(["k"]))
            .route("A.a", "D.a", Routing::by_key(["k"]))
            .route("A.a", "E.a", Routing::Random)
            .route("A.a", "L.a", Routing::by_key(["k"]));
        Topology::build(&dataflow, &analysis, &deployment).expect("a topology")
    }

    /// Instance `i` of `component`, as a destination for its input `input`.
    fn at(topology: &Topology, component: &str, i: usize, input: &str) -> (Destination, InputId) {
        let c = topology.component(component).expect("a component");
        let info = &topology.components[c];
        let input = info
            .inputs
            .iter()
            .position(|n| n == input)
            .expect("an input");
        (info.destination(i, input), input)
    }

    /// The sink named `name`.
    fn sink(topology: &Topology, name: &str) -> (Destination, InputId) {
        let s = topology
            .sinks
            .iter()
            .position(|s| s == name)
            .expect("a sink");
        (Destination::Sink(s), 0)
    }

    /// Where `producer` sends `envelope` on `output`.
    fn sent(
        topology: &Topology,
        producer: ProducerId,
        output: Option<OutputId>,
        envelope: Envelope,
        rng: &mut ChaCha8Rng,
        scratch: &mut RouteScratch,
    ) -> Vec<(Destination, InputId)> {
        let mut out = Vec::new();
        route_with(
            topology,
            producer,
            output,
            envelope.clone(),
            rng,
            scratch,
            &mut out,
        );
        assert!(out.iter().all(|r| r.envelope == envelope));
        out.iter().map(|r| (r.to, r.input)).collect()
    }

    fn record(producer: ProducerId, k: i64) -> Envelope {
        Envelope::Record {
            producer,
            seq: 0,
            payload: Tuple::new().with("k", k).with("v", 1).into(),
        }
    }

    #[test]
    fn a_paired_stream_sends_records_and_seals_to_the_paired_instance_only() {
        let topology = fan_out_topology();
        for (p, &source) in topology.sources[0].producers.iter().enumerate() {
            let mut rng = routing_rng(7, source);
            let mut scratch = RouteScratch::default();
            let paired = vec![at(&topology, "A", p % 3, "in")];
            let before = rng.get_word_pos();
            let records = sent(
                &topology,
                source,
                None,
                record(source, 1),
                &mut rng,
                &mut scratch,
            );
            assert_eq!(records, paired);
            let seal = Envelope::Seal {
                producer: source,
                seq: 1,
                key: Tuple::new().with("k", 1),
            };
            assert_eq!(
                sent(&topology, source, None, seal, &mut rng, &mut scratch),
                paired
            );
            let end = Envelope::End {
                producer: source,
                seq: 2,
            };
            assert_eq!(
                sent(&topology, source, None, end, &mut rng, &mut scratch),
                paired
            );
            assert_eq!(rng.get_word_pos(), before, "a fixed route draws nothing");
        }
    }

    #[test]
    fn a_record_goes_where_each_streams_rule_says_and_a_punctuation_to_every_instance() {
        let topology = fan_out_topology();
        let a = topology.components[topology.component("A").expect("A")].instances[1];
        let mut rng = routing_rng(7, a);
        let mut rule_rng = routing_rng(7, a);
        let mut scratch = RouteScratch::default();
        let mut d_instances = std::collections::BTreeSet::new();
        for k in 0..32 {
            let key = stable_hash(&Tuple::new().with("k", k));
            let mut expected = vec![
                at(&topology, "B", 0, "a"),
                at(&topology, "B", 1, "a"),
                at(&topology, "C", 0, "a"),
                at(&topology, "D", (key % 2) as usize, "a"),
                at(&topology, "E", rule_rng.random_range(0..2), "a"),
                at(&topology, "L", (key % 2) as usize, "a"),
                sink(&topology, "out"),
            ];
            let mut got = sent(&topology, a, Some(0), record(a, k), &mut rng, &mut scratch);
            d_instances.insert(got[3]);
            // Stream order is the topology's; the rule fixes the set.
            got.sort();
            expected.sort();
            assert_eq!(got, expected, "record with k = {k}");
            assert_eq!(rng.get_word_pos(), rule_rng.get_word_pos());
        }
        assert_eq!(d_instances.len(), 2, "the key spreads records over D");
        let mut every = vec![sink(&topology, "out")];
        for (c, n) in [("B", 2), ("C", 1), ("D", 2), ("E", 2), ("L", 2)] {
            every.extend((0..n).map(|i| at(&topology, c, i, "a")));
        }
        every.sort();
        let seal = Envelope::Seal {
            producer: a,
            seq: 40,
            key: Tuple::new().with("k", 1),
        };
        let retire = Envelope::Retire {
            producer: a,
            seq: 41,
        };
        for punctuation in [seal, retire] {
            let mut got = sent(&topology, a, Some(0), punctuation, &mut rng, &mut scratch);
            got.sort();
            assert_eq!(got, every);
        }
    }

    #[test]
    fn a_loop_takes_an_instances_records_back_to_it_and_no_punctuation() {
        let topology = fan_out_topology();
        let l = topology.component("L").expect("L");
        for (i, &me) in topology.components[l].instances.iter().enumerate() {
            let mut rng = routing_rng(7, me);
            let mut scratch = RouteScratch::default();
            let mut records = sent(
                &topology,
                me,
                Some(0),
                record(me, 3),
                &mut rng,
                &mut scratch,
            );
            records.sort();
            let mut expected = vec![at(&topology, "L", i, "back"), sink(&topology, "lo")];
            expected.sort();
            assert_eq!(records, expected);
            let end = Envelope::End {
                producer: me,
                seq: 1,
            };
            assert_eq!(
                sent(&topology, me, Some(0), end, &mut rng, &mut scratch),
                [sink(&topology, "lo")]
            );
        }
    }

    #[test]
    fn a_route_key_hashes_as_the_fields_do_whatever_the_records_layout() {
        let key = RouteKey::new(&["k".to_string(), "w".to_string()]);
        let plain = |t: &Tuple| {
            hash_fields(
                ["k", "w"]
                    .into_iter()
                    .filter_map(|n| t.get(n).map(|v| (n, v))),
            )
        };
        let records = [
            Tuple::new().with("k", 1).with("w", "x"),
            Tuple::new().with("a", 0).with("k", 1).with("w", "x"),
            Tuple::new().with("w", "x"),
            Tuple::new().with("k", 2),
            Tuple::new()
                .with("a", 0)
                .with("b", 0)
                .with("k", 3)
                .with("w", "y"),
            Tuple::new().with("k", 1).with("w", "x"),
        ];
        // Twice: the second time with the hints the first left.
        for _ in 0..2 {
            for t in &records {
                assert_eq!(key.hash(&t.clone().into()), plain(t), "{t}");
            }
        }
        let hash = |i: usize| key.hash(&records[i].clone().into());
        assert_eq!(hash(0), hash(1));
        assert_ne!(hash(0), hash(2));
    }

    #[test]
    fn the_stable_hash_depends_on_values_only() {
        let a = Tuple::new().with("word", "x").with("batch", 1);
        let b = Tuple::new().with("batch", 1).with("word", "x");
        assert_eq!(stable_hash(&a), stable_hash(&b));
        assert_ne!(
            stable_hash(&a),
            stable_hash(&Tuple::new().with("word", "y").with("batch", 1))
        );
    }

    /// FNV-1a of `bytes`, written out here to pin the hash's input.
    fn fnv(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    #[test]
    fn integers_and_strings_route_as_they_always_did() {
        let t = Tuple::new().with("b", -2).with("w", "xy");
        let mut bytes = b"b".to_vec();
        bytes.push(0);
        bytes.extend((-2i64).to_le_bytes());
        bytes.extend(b"w");
        bytes.push(1);
        bytes.extend(b"xy");
        assert_eq!(stable_hash(&t), fnv(&bytes));
    }

    #[test]
    fn every_kind_of_value_routes_by_its_data() {
        let values = [
            Value::Int(1),
            Value::from("1"),
            Value::Float(1.0),
            Value::Float(0.0),
            Value::Float(-0.0),
            Value::Null,
            Value::Some(Box::new(Value::Null)),
            Value::from(vec![]),
            Value::from(vec![Value::Int(1)]),
            Value::from(vec![Value::Int(1), Value::Int(1)]),
            Value::from(Tuple::new()),
            Value::from(Tuple::new().with("a", 1)),
            Value::from(Tuple::new().with("b", 1)),
        ];
        let hashes: Vec<u64> = values
            .iter()
            .map(|v| stable_hash(&Tuple::new().with("k", v.clone())))
            .collect();
        for (i, a) in hashes.iter().enumerate() {
            for (j, b) in hashes.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "{} and {}", values[i], values[j]);
            }
            let again = stable_hash(&Tuple::new().with("k", values[i].clone()));
            assert_eq!(*a, again, "{}", values[i]);
        }
    }
}
