//! Chooses the destinations of each message a producer sends: consumer
//! instances by the stream's routing, the sequencer group of a dynamically
//! ordered input, or a sink. Punctuations (seals, ends) go to every instance
//! the producer can reach, since each of them counts its vote.

use std::collections::VecDeque;

use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::runtime::deployment::Routing;
use crate::runtime::node::envelope::{Delivery, Envelope, InputId, OutputId, ProducerId};
use crate::runtime::node::topology::{GroupId, SinkId, StreamOut, StreamTarget, Topology};
use crate::tuple::{Tuple, Value};

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
fn hash_fields<'a>(fields: impl Iterator<Item = (&'a str, &'a Value)>) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for (name, value) in fields {
        eat(name.as_bytes());
        hash_value(value, &mut eat);
    }
    hash
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

fn chosen_instances(
    stream: &StreamOut,
    producer_index: usize,
    count: usize,
    envelope: &Envelope,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<usize>,
) {
    out.clear();
    if stream.self_loop {
        // An instance's stream to itself carries its records only: a seal on
        // a stream inside a loop counts for nothing (spec §4.2), and the loop
        // is ended by the driver once nothing is in flight, not by an end.
        if envelope.is_record() {
            out.push(producer_index % count);
        }
        return;
    }
    let payload = match envelope {
        Envelope::Record { payload, .. } => Some(payload),
        _ => None,
    };
    match (&stream.routing, payload) {
        (Routing::Paired, _) => out.push(producer_index % count),
        // Every hash picks the one instance: no need to compute it.
        (Routing::ByKey(_), Some(_)) if count == 1 => out.push(0),
        (Routing::ByKey(_), Some(p)) => {
            // The stable hash of the payload projected on the key's
            // attributes, without building the projection: the key's
            // attributes present in the payload, in name order (the set's
            // order is the tuple's).
            let key = stream
                .key
                .iter()
                .filter_map(|name| p.get(name).map(|v| (name.as_str(), v)));
            out.push((hash_fields(key) % count as u64) as usize);
        }
        (Routing::Random, Some(_)) => out.push(rng.random_range(0..count)),
        _ => out.extend(0..count),
    }
}

/// The seed of a producer's routing choices.
pub(crate) fn routing_rng(seed: u64, producer: ProducerId) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(
        seed ^ (u64::from(producer.0) + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
    )
}

/// Buffers that routing reuses from one message to the next, and how a
/// producer's records are routed on each output (worked out once per
/// output, then reused).
#[derive(Debug, Default)]
pub struct RouteScratch {
    picked: Vec<usize>,
    targets: Vec<(Destination, InputId)>,
    /// By output (a source's one output first, then an instance's outputs
    /// from 0): how its records are routed, once known.
    records: Vec<Option<RecordRoute>>,
    /// The topology `records` was worked out for (its address): a scratch
    /// used with another topology works them out again.
    topology: usize,
}

/// How the records a producer sends on one output are routed: each step
/// adds one destination, in the order [`chosen_targets`] finds them.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RecordRoute {
    steps: Vec<Step>,
    /// No step depends on the record or on a routing choice: `fixed`
    /// holds the destinations.
    fixed: Option<Vec<(Destination, InputId)>>,
}

/// One stream's choice of destination for a record.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Always this destination.
    To(Destination, InputId),
    /// The instance the stable hash of the record's key picks among
    /// `instances` (their destinations for `input`).
    ByKey {
        key: Vec<String>,
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
    /// How `producer` routes records on `output`.
    fn record_route(
        &mut self,
        topology: &Topology,
        producer: ProducerId,
        output: Option<OutputId>,
    ) -> &RecordRoute {
        let address = std::ptr::from_ref(topology) as usize;
        if self.topology != address {
            self.records.clear();
            self.topology = address;
        }
        let slot = output.map_or(0, |o| o + 1);
        if self.records.len() <= slot {
            self.records.resize(slot + 1, None);
        }
        self.records[slot].get_or_insert_with(|| record_route(topology, producer, output))
    }
}

/// How every record `producer` sends on `output` is routed: a step per
/// destination of a stream (an instance chosen by key or at random is one
/// step), in the order [`chosen_targets`] would find them.
fn record_route(
    topology: &Topology,
    producer: ProducerId,
    output: Option<OutputId>,
) -> RecordRoute {
    let producer_index = topology.index_of(producer);
    let mut steps = Vec::new();
    for stream in topology.streams_of(producer, output) {
        match stream.target {
            StreamTarget::Sink(sink) => steps.push(Step::To(Destination::Sink(sink), 0)),
            StreamTarget::Input { component, input } => {
                let info = &topology.components[component];
                let count = info.instances.len();
                let instances = || (0..count).map(|i| info.destination(i, input)).collect();
                if count == 0 {
                    // Nowhere to go (as `chosen_instances` would find).
                    continue;
                }
                let to = |i: usize| Step::To(info.destination(i, input), input);
                if stream.self_loop {
                    steps.push(to(producer_index % count));
                    continue;
                }
                match &stream.routing {
                    Routing::Paired => steps.push(to(producer_index % count)),
                    Routing::ByKey(_) if count == 1 => steps.push(to(0)),
                    Routing::ByKey(_) => steps.push(Step::ByKey {
                        key: stream.key.clone(),
                        input,
                        instances: instances(),
                    }),
                    Routing::Random => steps.push(Step::Random {
                        input,
                        instances: instances(),
                    }),
                    Routing::Broadcast => steps.extend((0..count).map(to)),
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
                return RecordRoute { steps, fixed: None };
            }
        }
    }
    RecordRoute {
        steps,
        fixed: Some(fixed),
    }
}

impl RecordRoute {
    /// The destinations of `payload`, in `targets` (each once).
    fn targets(
        &self,
        payload: &Tuple,
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
                    let fields = key
                        .iter()
                        .filter_map(|name| payload.get(name).map(|v| (name.as_str(), v)));
                    let i = (hash_fields(fields) % instances.len() as u64) as usize;
                    (instances[i], *input)
                }
                Step::Random { input, instances } => {
                    (instances[rng.random_range(0..instances.len())], *input)
                }
            };
            if !targets.contains(&target) {
                targets.push(target);
            }
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
    for (output, envelope) in sends {
        route_each(topology, me, Some(output), envelope, rng, scratch, |r| {
            if r.to == Destination::Instance(me) {
                local.push_back(Delivery::Direct {
                    input: r.input,
                    envelope: r.envelope,
                });
            } else {
                remote.push((output, r));
            }
        });
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
/// `deliver` in routing order. A record on an output whose destinations are
/// fixed goes to them without working them out again, and any record is
/// routed by its output's [`RecordRoute`], worked out once.
fn route_each(
    topology: &Topology,
    producer: ProducerId,
    output: Option<OutputId>,
    envelope: Envelope,
    rng: &mut ChaCha8Rng,
    scratch: &mut RouteScratch,
    deliver: impl FnMut(Routed),
) {
    if let Envelope::Record { payload, .. } = &envelope {
        let route = scratch.record_route(topology, producer, output);
        if let Some(fixed) = &route.fixed {
            return fan_out(fixed, envelope, deliver);
        }
        // Borrowed apart: the route from the cache, the targets' room.
        let slot = output.map_or(0, |o| o + 1);
        let RouteScratch {
            records, targets, ..
        } = scratch;
        if let Some(Some(route)) = records.get(slot) {
            route.targets(payload, rng, targets);
            return fan_out(targets, envelope, deliver);
        }
    }
    let RouteScratch {
        picked, targets, ..
    } = scratch;
    chosen_targets(topology, producer, output, &envelope, rng, picked, targets);
    fan_out(targets, envelope, deliver);
}

/// Works out where `envelope`, sent by `producer` on `output`, goes: one
/// entry per destination in `targets`, in routing order (`picked` is
/// scratch room).
fn chosen_targets(
    topology: &Topology,
    producer: ProducerId,
    output: Option<OutputId>,
    envelope: &Envelope,
    rng: &mut ChaCha8Rng,
    picked: &mut Vec<usize>,
    targets: &mut Vec<(Destination, InputId)>,
) {
    let producer_index = topology.index_of(producer);
    targets.clear();
    for stream in topology.streams_of(producer, output) {
        match stream.target {
            StreamTarget::Sink(sink) => targets.push((Destination::Sink(sink), 0)),
            StreamTarget::Input { component, input } => {
                let info = &topology.components[component];
                chosen_instances(
                    stream,
                    producer_index,
                    info.instances.len(),
                    envelope,
                    rng,
                    picked,
                );
                for &i in picked.iter() {
                    let to = info.destination(i, input);
                    if !targets.contains(&(to, input)) {
                        targets.push((to, input));
                    }
                }
            }
        }
    }
}

/// One [`Routed`] per target, in order, each with a copy of `envelope`
/// (the last with the envelope itself).
fn fan_out(
    targets: &[(Destination, InputId)],
    envelope: Envelope,
    mut deliver: impl FnMut(Routed),
) {
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
    use crate::runtime::node::topology::NodeRef;
    use crate::tuple::Tuple;

    #[test]
    fn the_key_hash_is_the_stable_hash_of_the_projection() {
        let p = Tuple::new().with("word", "x").with("batch", 1).with("n", 9);
        let attrs: blazes_core::AttrSet = ["word".to_string(), "batch".to_string()].into();
        let projected = stable_hash(&Tuple::new().with("batch", 1).with("word", "x"));
        let key = p.fields().filter(|(name, _)| attrs.contains(*name));
        assert_eq!(hash_fields(key), projected);
        // What routing hashes: the key's attributes looked up in the payload.
        let mut picked = Vec::new();
        let stream = StreamOut::new(StreamTarget::Sink(0), Routing::ByKey(attrs), false);
        let envelope = Envelope::Record {
            producer: ProducerId(0),
            seq: 0,
            payload: p,
        };
        let mut rng = routing_rng(0, ProducerId(0));
        chosen_instances(&stream, 0, 1 << 20, &envelope, &mut rng, &mut picked);
        assert_eq!(picked, [(projected % (1 << 20)) as usize]);
    }

    /// Source `in` (2 producers) -> A (3 instances, paired) -> B (2,
    /// broadcast), C (1, by key), D (2, by key), E (2, random), sink `out`.
    fn fan_out_topology() -> Topology {
        use crate::runtime::deployment::Deployment;
        use blazes_core::{Annotation, Component, Dataflow, Stream, attrs};
        let mut dataflow =
            Dataflow::new().component(Component::new("A").path("in", "a", Annotation::cr()));
        for c in ["B", "C", "D", "E"] {
            dataflow = dataflow
                .component(Component::new(c).path("a", "x", Annotation::cr()))
                .stream(Stream::between("A.a", &format!("{c}.a")))
                .stream(Stream::between(&format!("{c}.x"), &format!("x{c}")));
        }
        let dataflow = dataflow
            .stream(Stream::between("in", "A.in"))
            .stream(Stream::between("A.a", "out"));
        let analysis = crate::analyze(&dataflow).expect("valid dataflow");
        let deployment = Deployment::new()
            .source_producers("in", 2)
            .instances("A", 3)
            .instances("B", 2)
            .instances("D", 2)
            .instances("E", 2)
            .route("in", "A.in", Routing::Paired)
            .route("A.a", "B.a", Routing::Broadcast)
            .route("A.a", "C.a", Routing::by_key(["k"]))
            .route("A.a", "D.a", Routing::by_key(["k"]))
            .route("A.a", "E.a", Routing::Random);
        let _ = attrs(["k"]);
        Topology::build(&dataflow, &analysis, &deployment).expect("a topology")
    }

    #[test]
    fn record_routes_send_where_routing_each_record_would_and_draw_the_same_choices() {
        let topology = fan_out_topology();
        let mut fixed_outputs = 0;
        let mut chosen_outputs = 0;
        for p in 0..topology.nodes.len() as u32 {
            let producer = ProducerId(p);
            let outputs: Vec<Option<OutputId>> = match topology.node(producer) {
                Some(NodeRef::Source { .. }) => vec![None],
                Some(NodeRef::Instance { component, .. }) => {
                    (0..topology.components[component].outputs.len())
                        .map(Some)
                        .collect()
                }
                None => continue,
            };
            for output in outputs {
                let route = record_route(&topology, producer, output);
                let (mut rng, mut planned_rng) =
                    (routing_rng(7, producer), routing_rng(7, producer));
                let (mut picked, mut targets, mut planned) = (Vec::new(), Vec::new(), Vec::new());
                let mut seen = std::collections::BTreeSet::new();
                for k in 0..32 {
                    let payload = Tuple::new().with("k", k as i64).with("v", 1);
                    let envelope = Envelope::Record {
                        producer,
                        seq: k,
                        payload: payload.clone(),
                    };
                    chosen_targets(
                        &topology,
                        producer,
                        output,
                        &envelope,
                        &mut rng,
                        &mut picked,
                        &mut targets,
                    );
                    route.targets(&payload, &mut planned_rng, &mut planned);
                    assert_eq!(planned, targets, "{producer} {output:?}");
                    assert_eq!(planned_rng.get_word_pos(), rng.get_word_pos());
                    if let Some(fixed) = &route.fixed {
                        assert_eq!(fixed, &targets, "{producer} {output:?}");
                    }
                    seen.insert(targets.clone());
                }
                match route.fixed {
                    Some(_) => fixed_outputs += 1,
                    // Not fixed: some record goes elsewhere than another.
                    None => {
                        chosen_outputs += 1;
                        assert!(seen.len() > 1, "{producer} {output:?} always {seen:?}");
                    }
                }
            }
        }
        // Both sources (paired) and B, C, D, E's outputs to their sinks;
        // and the output of each of A's three instances (by key among two,
        // at random) is chosen record by record.
        assert_eq!((fixed_outputs, chosen_outputs), (2 + 2 + 1 + 2 + 2, 3));
    }

    #[test]
    fn a_fixed_route_draws_no_routing_choice_and_sends_where_it_is_worked_out() {
        let topology = fan_out_topology();
        let source = topology.sources[0].producers[1];
        let mut rng = routing_rng(7, source);
        let mut scratch = RouteScratch::default();
        let mut out = Vec::new();
        let envelope = Envelope::Record {
            producer: source,
            seq: 0,
            payload: Tuple::new().with("k", 1),
        };
        let before = rng.get_word_pos();
        route_with(
            &topology,
            source,
            None,
            envelope.clone(),
            &mut rng,
            &mut scratch,
            &mut out,
        );
        assert_eq!(rng.get_word_pos(), before);
        let (mut picked, mut targets) = (Vec::new(), Vec::new());
        chosen_targets(
            &topology,
            source,
            None,
            &envelope,
            &mut rng,
            &mut picked,
            &mut targets,
        );
        let sent: Vec<(Destination, InputId)> = out.iter().map(|r| (r.to, r.input)).collect();
        assert_eq!(sent, targets);
        assert_eq!(sent.len(), 1, "paired: one instance of A");
        assert!(out.iter().all(|r| r.envelope == envelope));
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
