//! One instance as every driver runs it (the tokio runner, the simulator
//! and the cluster): its [`InstanceCore`], the routing of what it emits, and
//! the messages it sends itself, delivered in place and in order.
//!
//! The node does no I/O. A driver hands it a message and the time, then
//! ships what [`Node::remote`] yields to the other instances, groups and
//! sinks over its own transport (channels, the simulated network, NATS), and
//! collects [`Node::take_dead_letters`]. The delivery loop is written here
//! once, so the drivers cannot disagree on it; so is a source producer
//! ([`SourceCore`]).

pub(crate) mod clock;
pub(crate) mod contain;
pub(crate) mod envelope;
pub(crate) mod instance;
pub(crate) mod payload;
pub(crate) mod router;
pub(crate) mod topology;

use std::collections::{BTreeMap, VecDeque};

use rand_chacha::ChaCha8Rng;

use super::dead_letter::DeadLetter;
use crate::runtime::node::clock::Time;
use crate::runtime::node::envelope::{
    Delivery, Envelope, MOST_IN_RUN, Numbering, OutputId, ProducerId,
};
use crate::runtime::node::instance::InstanceCore;
use crate::runtime::node::payload::{Payload, PayloadRun};
use crate::runtime::node::router::{
    RouteScratch, Routed, route_all, route_sends, route_with, routing_rng,
};
use crate::runtime::node::topology::{CycleCut, NodeRef, Topology};
use crate::tuple::Tuple;

/// An instance with its routing: deliver messages in, take routed sends out.
pub(crate) struct Node {
    core: InstanceCore,
    /// The instance's routing choices (random routes), seeded per producer
    /// so a run is reproducible.
    rng: ChaCha8Rng,
    scratch: RouteScratch,
    /// Messages the instance sent itself, not delivered yet.
    local: VecDeque<Delivery>,
    /// Routed sends for other destinations, in the order they were made.
    remote: Vec<(OutputId, Routed)>,
    /// When recording: the records each output sent, before routing (one
    /// copy per record, however many destinations it went to).
    recorded: Option<BTreeMap<OutputId, Vec<Tuple>>>,
    /// Some stream takes what the instance sends back to itself (worked
    /// out at its first run of messages).
    sends_to_itself: Option<bool>,
}

impl Node {
    /// `core` with the routing choices of a run seeded by `seed`.
    pub(crate) fn new(core: InstanceCore, seed: u64) -> Node {
        let rng = routing_rng(seed, core.id());
        Node {
            core,
            rng,
            scratch: RouteScratch::default(),
            local: VecDeque::new(),
            remote: Vec::new(),
            recorded: None,
            sends_to_itself: None,
        }
    }

    /// Keeps a copy of every record the instance sends, by output
    /// ([`Node::take_recorded`]).
    #[cfg_attr(not(all(feature = "nats", feature = "zookeeper")), allow(dead_code))]
    pub(crate) fn record_sends(&mut self) {
        self.recorded.get_or_insert_with(BTreeMap::new);
    }

    /// The instance.
    pub(crate) fn core(&self) -> &InstanceCore {
        &self.core
    }

    /// The instance, to report on it or feed it messages that bypass
    /// routing (probes).
    pub(crate) fn core_mut(&mut self) -> &mut InstanceCore {
        &mut self.core
    }

    /// Where the instance's routing choices stand, for a checkpoint: a
    /// restored instance must route what it emits next as the original
    /// would have, or its re-emissions would reach other destinations
    /// under link numbers those already used.
    #[cfg_attr(not(all(feature = "nats", feature = "zookeeper")), allow(dead_code))]
    pub(crate) fn routing_position(&self) -> u128 {
        self.rng.get_word_pos()
    }

    /// Resumes the routing choices at `position` ([`Node::routing_position`]).
    #[cfg_attr(not(all(feature = "nats", feature = "zookeeper")), allow(dead_code))]
    pub(crate) fn resume_routing(&mut self, position: u128) {
        self.rng.set_word_pos(position);
    }

    /// This instance's producer id.
    pub(crate) fn id(&self) -> ProducerId {
        self.core.id()
    }

    /// Starts the instance and routes what starting it sent.
    pub(crate) fn start(&mut self, topology: &Topology, now: Time) {
        self.core.start();
        self.settle(topology, now);
    }

    /// Delivers `message` at `now`, then routes what the instance sent:
    /// what it sent itself is delivered in place, in order, until nothing
    /// is left; the rest waits in [`Node::remote`].
    pub(crate) fn deliver(&mut self, topology: &Topology, message: Delivery, now: Time) {
        self.core.deliver(message, now);
        self.settle(topology, now);
    }

    /// [`Node::deliver`], up to where the buffer bound stops a run of
    /// records ([`InstanceCore::deliver_bounded`]): returns the rest.
    fn deliver_part(
        &mut self,
        topology: &Topology,
        message: Delivery,
        now: Time,
    ) -> Option<Delivery> {
        let rest = self.core.deliver_bounded(message, now);
        self.settle(topology, now);
        rest
    }

    /// From now on the instance sends consecutive records of one typed
    /// batch on one output as one [`Envelope::Records`], and routing keeps
    /// them together per destination instance (see
    /// [`InstanceCore::send_runs`]): for drivers whose links carry runs.
    pub(crate) fn send_runs(&mut self) {
        self.core.send_runs(true);
    }

    /// Skips `positions` of the instance's ordered group's order (see
    /// [`InstanceCore::skip_ordered`]) and routes what that released.
    #[cfg_attr(not(all(feature = "nats", feature = "zookeeper")), allow(dead_code))] // the cluster's
    pub(crate) fn skip_ordered(&mut self, topology: &Topology, positions: &[u64], now: Time) {
        self.core.skip_ordered(positions, now);
        self.settle(topology, now);
    }

    /// Delivers `first`, then the messages at the front of `queue` for as
    /// long as the instance can take each within its buffer bound
    /// ([`InstanceCore::would_block`]), each as [`Node::deliver`] would:
    /// what one message sends is routed (and what the instance sent itself
    /// delivered in place) before the next is delivered. Returns how many
    /// messages were delivered; the first one `queue` keeps, if any, is
    /// the one the bound held back (a run of records the bound stopped
    /// inside goes back to the front of `queue` as the rest of the run,
    /// and counts as not delivered). Every driver that receives messages in
    /// batches delivers them through here, so a batch costs one call.
    ///
    /// An instance that sends nothing to itself hands consecutive records
    /// of a direct input to its handler as one batch
    /// ([`InstanceCore::defer_direct`]) and routes what the run sent once,
    /// at its end: with no message of its own to deliver in between, the
    /// same sends in the same order.
    pub(crate) fn deliver_run(
        &mut self,
        topology: &Topology,
        first: Delivery,
        queue: &mut VecDeque<Delivery>,
        now: Time,
    ) -> usize {
        let me = self.core.id();
        let batched = !*self
            .sends_to_itself
            .get_or_insert_with(|| topology.feeds_itself(me));
        let held_back = if !batched {
            self.deliver_part(topology, first, now)
        } else {
            self.core.defer_direct(true);
            self.core.deliver_bounded(first, now)
        };
        let mut delivered = 1;
        if let Some(rest) = held_back {
            // The bound stopped the first message's run inside it.
            queue.push_front(rest);
            delivered = 0;
        }
        while delivered > 0
            && let Some(next) = queue.front()
        {
            if self.core.would_block(next) {
                break;
            }
            let Some(next) = queue.pop_front() else {
                break;
            };
            let held_back = if batched {
                self.core.deliver_bounded(next, now)
            } else {
                self.deliver_part(topology, next, now)
            };
            if let Some(rest) = held_back {
                queue.push_front(rest);
                break;
            }
            delivered += 1;
        }
        if batched {
            self.core.defer_direct(false);
            self.settle(topology, now);
        }
        delivered
    }

    fn settle(&mut self, topology: &Topology, now: Time) {
        // Most deliveries into an aggregate send nothing.
        if !self.core.has_sends() {
            return;
        }
        let me = self.core.id();
        loop {
            if let Some(recorded) = &mut self.recorded {
                for (output, envelope) in self.core.pending_sends() {
                    match envelope {
                        Envelope::Record { payload, .. } => recorded
                            .entry(*output)
                            .or_default()
                            .push(payload.tuple().clone()),
                        Envelope::Records { records, .. } => recorded
                            .entry(*output)
                            .or_default()
                            .extend(records.payloads().map(Payload::into_tuple)),
                        _ => {}
                    }
                }
            }
            route_sends(
                topology,
                me,
                self.core.drain_sends(),
                &mut self.rng,
                &mut self.scratch,
                &mut self.local,
                &mut self.remote,
            );
            let Some(next) = self.local.pop_front() else {
                return;
            };
            self.core.deliver(next, now);
        }
    }

    /// Ends the cycle-closing stream `cut`, of which this instance is a
    /// producer, once the driver has seen the whole dataflow quiet: its end
    /// goes to every consumer instance (or group) of the stream, numbered
    /// after everything the instance sent, so its real end later on that
    /// stream is a duplicate, as in the simulator.
    pub(crate) fn end_cycle_cut(&mut self, topology: &Topology, cut: CycleCut) {
        let envelope = Envelope::End {
            producer: self.core.id(),
            seq: self.core.next_seq(),
        };
        for to in topology.cut_destinations(cut) {
            self.remote.push((
                cut.output,
                Routed {
                    to,
                    input: cut.input,
                    envelope: envelope.clone(),
                },
            ));
        }
    }

    /// The routed sends for other destinations, in the order they were
    /// made, with the output each left by; draining them leaves the
    /// buffer's room for the next ones.
    pub(crate) fn remote(&mut self) -> std::vec::Drain<'_, (OutputId, Routed)> {
        self.remote.drain(..)
    }

    /// True when dead letters wait to be taken.
    pub(crate) fn has_dead_letters(&self) -> bool {
        self.core.has_dead_letters()
    }

    /// Takes the dead letters produced so far.
    pub(crate) fn take_dead_letters(&mut self) -> Vec<DeadLetter> {
        self.core.take_dead_letters()
    }

    /// Takes the records recorded since the last call, by output (empty
    /// unless [`Node::record_sends`] was called).
    #[cfg_attr(not(all(feature = "nats", feature = "zookeeper")), allow(dead_code))]
    pub(crate) fn take_recorded(&mut self) -> BTreeMap<OutputId, Vec<Tuple>> {
        self.recorded
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

/// A source producer as every driver runs it: numbers what it sends (so
/// replays and duplicates are recognised downstream) and routes it. The
/// driver ships [`SourceCore::routed`] over its own transport.
pub(crate) struct SourceCore {
    numbering: Numbering,
    rng: ChaCha8Rng,
    scratch: RouteScratch,
    routed: Vec<Routed>,
}

impl SourceCore {
    /// Producer `id` with the routing choices of a run seeded by `seed`.
    pub(crate) fn new(id: ProducerId, seed: u64) -> SourceCore {
        SourceCore {
            numbering: Numbering::new(id),
            rng: routing_rng(seed, id),
            scratch: RouteScratch::default(),
            routed: Vec::new(),
        }
    }

    /// The producer's id.
    pub(crate) fn id(&self) -> ProducerId {
        self.numbering.producer()
    }

    /// Numbers and routes a record.
    pub(crate) fn record(&mut self, topology: &Topology, payload: impl Into<Payload>) {
        let envelope = self.numbering.record(payload);
        self.route(topology, envelope);
    }

    /// Numbers and routes records, in order (as [`SourceCore::record`] on
    /// each, the source's routing worked out once).
    pub(crate) fn records(
        &mut self,
        topology: &Topology,
        payloads: impl IntoIterator<Item = impl Into<Payload>>,
    ) {
        let me = self.numbering.producer();
        let numbering = &mut self.numbering;
        route_all(
            topology,
            me,
            None,
            payloads
                .into_iter()
                .map(|payload| numbering.record(payload)),
            &mut self.rng,
            &mut self.scratch,
            &mut self.routed,
        );
    }

    /// Numbers and routes `records`, in order, as [`SourceCore::records`]
    /// would, typed records as runs ([`Envelope::Records`], at most
    /// [`MOST_IN_RUN`] records each) split by destination as routing goes.
    pub(crate) fn run<R: crate::Record>(
        &mut self,
        topology: &Topology,
        records: impl IntoIterator<Item = R>,
    ) {
        if R::DYNAMIC {
            return self.records(topology, records.into_iter().map(Payload::typed));
        }
        // One typed batch for all of them (a `Vec` given whole is taken as
        // it is), sent as runs that are ranges of it.
        let all: Vec<R> = records.into_iter().collect();
        match PayloadRun::from_records(all) {
            Ok(run) => self.send_parts(topology, &run),
            Err(all) => self.records(topology, Payload::batch(all)),
        }
    }

    /// Numbers and routes `run` as runs of at most [`MOST_IN_RUN`] records.
    fn send_parts(&mut self, topology: &Topology, run: &PayloadRun) {
        for part in run.parts(MOST_IN_RUN) {
            let envelope = self.numbering.records(part);
            self.route(topology, envelope);
        }
    }

    /// Numbers and routes `tuples`, in order, as runs of at most
    /// [`MOST_IN_RUN`] records ([`Envelope::Records`] of tuples, split by
    /// destination as routing goes): for a driver whose links carry runs of
    /// tuples as they carry typed ones (the cluster's wire, where a run
    /// crosses as its tuples either way).
    #[cfg_attr(not(all(feature = "nats", feature = "zookeeper")), allow(dead_code))]
    pub(crate) fn tuple_runs(
        &mut self,
        topology: &Topology,
        tuples: impl IntoIterator<Item = Tuple>,
    ) {
        let mut tuples = tuples.into_iter();
        loop {
            let chunk: Vec<Tuple> = tuples.by_ref().take(MOST_IN_RUN).collect();
            let Some(run) = PayloadRun::from_tuples(chunk) else {
                return;
            };
            let envelope = self.numbering.records(run);
            self.route(topology, envelope);
        }
    }

    /// Numbers and routes the seal of the partition `key` names: its
    /// values of the source's seal key (a whole record may be given; the
    /// seal keeps only the seal key's attributes, so every producer's seal
    /// of a partition names it alike).
    pub(crate) fn seal(&mut self, topology: &Topology, key: Tuple) {
        let key = self.partition_key(topology, key);
        let envelope = self.numbering.seal(key);
        self.route(topology, envelope);
    }

    /// `key` restricted to the seal key of this producer's source (an
    /// attribute it lacks stays lacking: the consumer reports it).
    fn partition_key(&self, topology: &Topology, key: Tuple) -> Tuple {
        let me = self.numbering.producer();
        let Some(NodeRef::Source { source, .. }) = topology.nodes.get(me.0 as usize) else {
            return key;
        };
        let Some(info) = topology.sources.get(*source) else {
            return key;
        };
        if info.seal_key.is_empty() || key.fields().all(|(name, _)| info.seal_key.contains(name)) {
            return key;
        }
        let mut kept = Tuple::new();
        for (name, value) in key.fields() {
            if info.seal_key.contains(name) {
                kept.set(name, value.clone());
            }
        }
        kept
    }

    /// Numbers and routes this producer's retirement: every partition it
    /// has not sealed counts as sealed by it.
    pub(crate) fn retire(&mut self, topology: &Topology) {
        let envelope = self.numbering.retire();
        self.route(topology, envelope);
    }

    /// Numbers and routes the end of this producer's stream.
    pub(crate) fn end(&mut self, topology: &Topology) {
        let envelope = self.numbering.end();
        self.route(topology, envelope);
    }

    fn route(&mut self, topology: &Topology, envelope: Envelope) {
        let me = self.numbering.producer();
        route_with(
            topology,
            me,
            None,
            envelope,
            &mut self.rng,
            &mut self.scratch,
            &mut self.routed,
        );
    }

    /// What was routed since the last call, in order, one entry per
    /// destination; draining keeps the buffer's room.
    pub(crate) fn routed(&mut self) -> std::vec::Drain<'_, Routed> {
        self.routed.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Record as _;
    use crate::runtime::DeadLetterReason;
    use crate::runtime::deployment::Deployment;
    use crate::runtime::node::router::Destination;
    use crate::{
        Annotation, Component, Dataflow, Emit, Handler, Stream, UnknownInput, analyze, attrs,
    };

    /// Passes each record on, with a count of the records it has seen.
    #[derive(Default)]
    struct Pass(i64);

    impl Handler for Pass {
        fn handle(&mut self, _: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
            self.0 += 1;
            out.emit("out", tuple.with("n", self.0));
            Ok(())
        }

        fn on_seal(&mut self, _: &str, partition: &Tuple, out: &mut Emit) {
            out.emit("out", partition.clone().with("sealed", 1));
        }
    }

    /// `src` (sealed on k) -> Agg (OW[k]) -> `sink`, at most 3 records held.
    fn topology() -> Topology {
        let dataflow = Dataflow::new()
            .component(Component::new("Agg").path("in", "out", Annotation::ow(attrs(["k"]))))
            .stream(Stream::between("src", "Agg.in").sealed(attrs(["k"])))
            .stream(Stream::between("Agg.out", "sink"));
        let analysis = analyze(&dataflow).expect("valid");
        Topology::build(&dataflow, &analysis, &Deployment::new().buffer_capacity(3))
            .expect("deployable")
    }

    fn node(topology: &Topology) -> Node {
        let info = &topology.components[0];
        let core = InstanceCore::new(topology, info, info.instances[0], Box::<Pass>::default());
        let mut node = Node::new(core, 1);
        node.start(topology, Time::default());
        node
    }

    /// Records of partitions 0, 0, 1, a seal of 0, records of 2, 2, 3.
    fn messages(topology: &Topology) -> VecDeque<Delivery> {
        let producer = topology.sources[0].producers[0];
        let mut numbering = Numbering::new(producer);
        let record = |n: &mut Numbering, k: i64| n.record(Tuple::new().with("k", k));
        let mut out = VecDeque::new();
        for k in [0, 0, 1] {
            out.push_back(record(&mut numbering, k));
        }
        out.push_back(numbering.seal(Tuple::new().with("k", 0)));
        for k in [2, 2, 3] {
            out.push_back(record(&mut numbering, k));
        }
        out.into_iter()
            .map(|envelope| Delivery::Direct { input: 0, envelope })
            .collect()
    }

    fn sent(node: &mut Node) -> Vec<(OutputId, Routed)> {
        node.remote().collect()
    }

    /// Passes records on; panics on `k = 2` after emitting, gives `k = 3`
    /// back, and counts what it handled in what it emits.
    #[derive(Default)]
    struct Flaky(i64);

    impl Handler for Flaky {
        fn handle(&mut self, _: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
            match tuple.int("k") {
                Some(2) => {
                    out.emit("out", Tuple::new().with("before_panic", 2));
                    panic!("k = 2");
                }
                Some(3) => {
                    out.emit("out", Tuple::new().with("before_refusal", 3));
                    Err(UnknownInput::new("in", tuple))
                }
                _ => {
                    self.0 += 1;
                    out.emit("out", tuple.with("n", self.0));
                    Ok(())
                }
            }
        }
    }

    /// [`Flaky`] whose batches take no record: the runtime hands each
    /// through `handle` instead.
    #[derive(Default)]
    struct Lazy(Flaky);

    impl Handler for Lazy {
        fn handle(
            &mut self,
            input: &str,
            tuple: Tuple,
            out: &mut Emit,
        ) -> Result<(), UnknownInput> {
            self.0.handle(input, tuple, out)
        }

        fn handle_batch(&mut self, _: &str, _: &mut crate::Batch<'_>) {}
    }

    /// Panics in every batch before taking a record.
    struct Grumpy;

    impl Handler for Grumpy {
        fn handle(&mut self, _: &str, _: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
            Ok(())
        }

        fn handle_batch(&mut self, _: &str, _: &mut crate::Batch<'_>) {
            panic!("not today");
        }
    }

    /// `src` -> Pass (CR, a direct input) -> `sink`.
    fn direct_topology() -> Topology {
        let dataflow = Dataflow::new()
            .component(Component::new("Pass").path("in", "out", Annotation::cr()))
            .stream(Stream::between("src", "Pass.in"))
            .stream(Stream::between("Pass.out", "sink"));
        let analysis = analyze(&dataflow).expect("valid");
        Topology::build(&dataflow, &analysis, &Deployment::new()).expect("deployable")
    }

    /// Records k = 0..12 with a replay of k = 1 among them, a record whose
    /// seq no producer reaches, and the producer's end.
    fn direct_messages(topology: &Topology) -> VecDeque<Delivery> {
        let producer = topology.sources[0].producers[0];
        let mut numbering = Numbering::new(producer);
        let mut out = Vec::new();
        for k in 0..12 {
            out.push(numbering.record(Tuple::new().with("k", k)));
        }
        out.insert(5, out[1].clone());
        out.insert(
            9,
            Envelope::Record {
                producer,
                seq: u64::MAX,
                payload: Tuple::new().with("k", 99).into(),
            },
        );
        out.push(numbering.end());
        out.into_iter()
            .map(|envelope| Delivery::Direct { input: 0, envelope })
            .collect()
    }

    #[test]
    fn records_of_a_direct_input_handled_as_a_batch_send_and_dead_letter_as_one_at_a_time() {
        let topology = direct_topology();
        let info = &topology.components[0];
        let node = |handler: Box<dyn Handler>| {
            let core = InstanceCore::new(&topology, info, info.instances[0], handler);
            let mut node = Node::new(core, 1);
            node.start(&topology, Time::default());
            node
        };
        let outcome = |node: &mut Node| {
            let letters: Vec<_> = node
                .take_dead_letters()
                .into_iter()
                .map(|d| (d.seq, d.payload, d.reason))
                .collect();
            (sent(node), letters, node.core().metrics().clone())
        };
        let mut single = node(Box::<Flaky>::default());
        for m in direct_messages(&topology) {
            single.deliver(&topology, m, Time::default());
        }
        let expected = outcome(&mut single);
        for handler in [
            Box::<Flaky>::default() as Box<dyn Handler>,
            Box::<Lazy>::default(),
        ] {
            let mut batched = node(handler);
            let mut queue = direct_messages(&topology);
            let first = queue.pop_front().expect("a message");
            let delivered = batched.deliver_run(&topology, first, &mut queue, Time::default());
            assert_eq!(delivered, 15);
            assert_eq!(outcome(&mut batched), expected);
        }
        let (sent, letters, metrics) = expected;
        // Ten records passed on, then the end; nothing the panicking call
        // emitted; what the refused call emitted is sent.
        assert_eq!(sent.len(), 12, "{sent:?}");
        assert!(sent.iter().all(|(_, r)| match &r.envelope {
            Envelope::Record { payload, .. } => payload.field("before_panic").is_none(),
            _ => true,
        }));
        let reasons: Vec<_> = letters.iter().map(|(_, _, r)| r.kind()).collect();
        assert_eq!(
            reasons,
            ["handler panicked", "unknown input", "seq out of range"],
            "{letters:?}"
        );
        assert_eq!(letters[0].1, Tuple::new().with("k", 2));
        assert_eq!(
            (
                metrics.processed,
                metrics.handler_panics,
                metrics.duplicate_records
            ),
            (10, 1, 1)
        );
    }

    #[test]
    fn a_batch_that_panics_before_taking_a_record_costs_one_record_per_panic() {
        let topology = direct_topology();
        let info = &topology.components[0];
        let core = InstanceCore::new(&topology, info, info.instances[0], Box::new(Grumpy));
        let mut node = Node::new(core, 1);
        node.start(&topology, Time::default());
        let mut queue = direct_messages(&topology);
        let first = queue.pop_front().expect("a message");
        assert_eq!(
            node.deliver_run(&topology, first, &mut queue, Time::default()),
            15
        );
        let letters = node.take_dead_letters();
        let panicked = letters
            .iter()
            .filter(|d| d.reason == DeadLetterReason::HandlerPanicked("not today".into()))
            .count();
        assert_eq!((panicked, letters.len()), (12, 13), "{letters:?}");
        let metrics = node.core().metrics();
        assert_eq!((metrics.processed, metrics.handler_panics), (0, 12));
    }

    #[test]
    fn a_sources_records_routed_together_go_where_each_alone_would() {
        let dataflow = Dataflow::new()
            .component(Component::new("A").path("in", "out", Annotation::cr()))
            .stream(Stream::between("src", "A.in"))
            .stream(Stream::between("A.out", "sink"));
        let analysis = analyze(&dataflow).expect("valid");
        let deployment = Deployment::new().instances("A", 3).route(
            "src",
            "A.in",
            crate::runtime::Routing::Random,
        );
        let topology = Topology::build(&dataflow, &analysis, &deployment).expect("deployable");
        let producer = topology.sources[0].producers[0];
        let payloads: Vec<Tuple> = (0..40).map(|k| Tuple::new().with("k", k)).collect();
        let mut alone = SourceCore::new(producer, 9);
        for payload in payloads.clone() {
            alone.record(&topology, payload);
        }
        let mut together = SourceCore::new(producer, 9);
        together.records(&topology, payloads);
        let routed: Vec<Routed> = together.routed().collect();
        assert_eq!(routed, alone.routed().collect::<Vec<_>>());
        let instances: std::collections::BTreeSet<_> = routed.iter().map(|r| r.to).collect();
        assert_eq!(instances.len(), 3, "random routing spreads the records");
    }

    use crate::runtime::node::payload::{TestKey as K, test_run as run_of};

    /// Passes each record on as a typed `K`.
    struct TypedPass;

    impl Handler for TypedPass {
        fn handle(&mut self, _: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
            out.emit_record("out", K(tuple.int("k").unwrap_or(-1)));
            Ok(())
        }
    }

    fn singles(sent: Vec<(OutputId, Routed)>) -> Vec<(Destination, Envelope)> {
        sent.into_iter()
            .flat_map(|(_, r)| r.envelope.into_singles().map(move |e| (r.to, e)))
            .collect()
    }

    #[test]
    fn a_run_of_records_stops_at_the_bound_where_its_records_one_by_one_would() {
        let topology = topology();
        let producer = topology.sources[0].producers[0];
        let mut numbering = Numbering::new(producer);
        let mut runs: VecDeque<Delivery> = [
            numbering.records(run_of([0, 0, 1])),
            numbering.seal(Tuple::new().with("k", 0)),
            numbering.records(run_of([2, 2, 3])),
        ]
        .into_iter()
        .map(|envelope| Delivery::Direct { input: 0, envelope })
        .collect();
        let mut single = node(&topology);
        let mut one_by_one = messages(&topology);
        let first = one_by_one.pop_front().expect("a message");
        single.deliver_run(&topology, first, &mut one_by_one, Time::default());
        let mut batched = node(&topology);
        let first = runs.pop_front().expect("a message");
        let delivered = batched.deliver_run(&topology, first, &mut runs, Time::default());
        assert_eq!(
            delivered, 2,
            "a run and the seal; the second run stopped inside"
        );
        assert_eq!(sent(&mut batched), sent(&mut single));
        assert_eq!(batched.core().metrics(), single.core().metrics());
        // What is left: record 3, under the seq it had.
        let rest: Vec<Envelope> = runs
            .iter()
            .flat_map(|d| d.envelope().clone().into_singles())
            .collect();
        let left: Vec<Envelope> = one_by_one.iter().map(|d| d.envelope().clone()).collect();
        assert_eq!(rest, left);
        assert!(batched.core().would_block(&runs[0]));
        // The rest was not taken for received: delivered later, it is new.
        let rest = runs.pop_front().expect("the rest");
        batched.deliver(&topology, rest, Time::default());
        let metrics = batched.core().metrics();
        assert_eq!((metrics.received, metrics.duplicate_records), (6, 0));
    }

    #[test]
    fn a_replayed_run_overlapping_what_was_delivered_delivers_only_its_new_records() {
        let topology = direct_topology();
        let info = &topology.components[0];
        let core = InstanceCore::new(&topology, info, info.instances[0], Box::new(TypedPass));
        let mut node = Node::new(core, 1);
        node.start(&topology, Time::default());
        let producer = topology.sources[0].producers[0];
        let run = |seq: u64, ks: std::ops::Range<i64>| Delivery::Direct {
            input: 0,
            envelope: Envelope::Records {
                producer,
                seq,
                records: run_of(ks),
            },
        };
        let mut queue: VecDeque<Delivery> = [run(2, 12..16), run(6, 16..18)].into();
        let delivered = node.deliver_run(&topology, run(0, 0..4), &mut queue, Time::default());
        assert_eq!(delivered, 3);
        // seq 0..4, then 2..6 of which 4 and 5 are new (k = 14, 15), then 6, 7.
        let ks: Vec<i64> = singles(sent(&mut node))
            .into_iter()
            .filter_map(|(_, e)| match e {
                Envelope::Record { payload, .. } => payload.tuple().int("k"),
                _ => None,
            })
            .collect();
        assert_eq!(ks, [0, 1, 2, 3, 14, 15, 16, 17]);
        let metrics = node.core().metrics();
        assert_eq!(
            (
                metrics.received,
                metrics.duplicate_records,
                metrics.processed
            ),
            (10, 2, 8)
        );
    }

    #[test]
    fn what_a_run_emits_leaves_as_one_run_numbered_as_its_records_would_be() {
        // `src` -> Pass (CR) -> B (CR) -> `sink`: Pass sends to an instance.
        let dataflow = Dataflow::new()
            .component(Component::new("Pass").path("in", "out", Annotation::cr()))
            .component(Component::new("B").path("in", "out", Annotation::cr()))
            .stream(Stream::between("src", "Pass.in"))
            .stream(Stream::between("Pass.out", "B.in"))
            .stream(Stream::between("B.out", "sink"));
        let analysis = analyze(&dataflow).expect("valid");
        let topology =
            Topology::build(&dataflow, &analysis, &Deployment::new()).expect("deployable");
        let info = &topology.components[0];
        let producer = topology.sources[0].producers[0];
        let mut numbering = Numbering::new(producer);
        let received: VecDeque<Delivery> = [
            // Eight records: two whole batches of the handler, none left
            // waiting when the end comes (their emissions are).
            numbering.records(run_of(0..7)),
            numbering.record(Tuple::new().with("k", 7)),
            numbering.end(),
        ]
        .into_iter()
        .map(|envelope| Delivery::Direct { input: 0, envelope })
        .collect();
        let outcome = |runs: bool| {
            let core = InstanceCore::new(&topology, info, info.instances[0], Box::new(TypedPass));
            let mut node = Node::new(core, 1);
            if runs {
                node.send_runs();
            }
            node.start(&topology, Time::default());
            let mut queue = received.clone();
            let first = queue.pop_front().expect("a message");
            assert_eq!(
                node.deliver_run(&topology, first, &mut queue, Time::default()),
                3
            );
            sent(&mut node)
        };
        let (runs, one_by_one) = (outcome(true), outcome(false));
        // Eight records (the last one's run extends the first's: one
        // flush), then the end, after them.
        let kinds: Vec<(bool, usize)> = runs
            .iter()
            .map(|(_, r)| (r.envelope.is_record(), r.envelope.record_count()))
            .collect();
        assert_eq!(kinds, [(true, 8), (false, 0)], "{runs:?}");
        assert_eq!(one_by_one.len(), 9);
        assert_eq!(singles(runs), singles(one_by_one));
    }

    /// Source `src` -> A (3 instances, routed by key `k`) -> sink.
    fn keyed_topology() -> Topology {
        let dataflow = Dataflow::new()
            .component(Component::new("A").path("in", "out", Annotation::cr()))
            .stream(Stream::between("src", "A.in"))
            .stream(Stream::between("A.out", "sink"));
        let analysis = analyze(&dataflow).expect("valid");
        let deployment = Deployment::new().instances("A", 3).route(
            "src",
            "A.in",
            crate::runtime::Routing::by_key(["k"]),
        );
        Topology::build(&dataflow, &analysis, &deployment).expect("deployable")
    }

    #[test]
    fn a_run_routed_by_key_goes_where_its_records_would_and_a_seal_after_it_follows_it() {
        let topology = keyed_topology();
        let producer = topology.sources[0].producers[0];
        let mut alone = SourceCore::new(producer, 9);
        // Runs of equal keys, as a batch's records have.
        for k in 0..40 {
            alone.record(&topology, K(k / 3).to_tuple());
        }
        let mut together = SourceCore::new(producer, 9);
        together.run(&topology, (0..40).map(|k| K(k / 3)));
        together.seal(&topology, Tuple::new().with("k", 7));
        let routed: Vec<Routed> = together.routed().collect();
        let alone: Vec<Routed> = alone.routed().collect();
        let mut seqs = Vec::new();
        for to in routed
            .iter()
            .map(|r| r.to)
            .collect::<std::collections::BTreeSet<_>>()
        {
            let here: Vec<&Routed> = routed.iter().filter(|r| r.to == to).collect();
            // One run, then the seal: nothing overtakes the records.
            assert!(
                matches!(
                    here.as_slice(),
                    [
                        Routed {
                            envelope: Envelope::Records { .. },
                            ..
                        },
                        Routed {
                            envelope: Envelope::Seal { seq: 40, .. },
                            ..
                        }
                    ]
                ),
                "{here:?}"
            );
            let Envelope::Records { seq, records, .. } = &here[0].envelope else {
                continue;
            };
            seqs.extend(*seq..*seq + records.len() as u64);
            // The same records as routing them one by one sent there.
            let mine: Vec<Tuple> = records.payloads().map(Payload::into_tuple).collect();
            let theirs: Vec<Tuple> = alone
                .iter()
                .filter(|r| r.to == to)
                .filter_map(|r| match &r.envelope {
                    Envelope::Record { payload, .. } => Some(payload.tuple().clone()),
                    _ => None,
                })
                .collect();
            assert_eq!(mine, theirs);
        }
        seqs.sort_unstable();
        assert_eq!(
            seqs,
            (0..40).collect::<Vec<u64>>(),
            "the run's seqs, each once"
        );
        assert_eq!(routed.len(), 6, "a run and a seal per instance");
    }

    #[test]
    fn a_run_whose_key_changes_rarely_goes_as_its_stretches_with_their_own_seqs() {
        let topology = keyed_topology();
        let producer = topology.sources[0].producers[0];
        let mut alone = SourceCore::new(producer, 9);
        for k in 0..40 {
            alone.record(&topology, K(k / 20).to_tuple());
        }
        let mut together = SourceCore::new(producer, 9);
        together.run(&topology, (0..40).map(|k| K(k / 20)));
        let routed: Vec<Routed> = together.routed().collect();
        // Two stretches of one key each: two parts of the run, in order,
        // each numbered as its records were, not a list of picked records.
        let parts: Vec<(Destination, u64, usize)> = routed
            .iter()
            .map(|r| match &r.envelope {
                Envelope::Records { seq, records, .. } => (r.to, *seq, records.len()),
                other => panic!("a run expected: {other:?}"),
            })
            .collect();
        let alone: Vec<(Destination, u64)> =
            alone.routed().map(|r| (r.to, r.envelope.seq())).collect();
        assert_eq!(
            parts,
            [(alone[0].0, 0, 20), (alone[20].0, 20, 20)],
            "{alone:?}"
        );
        for r in &routed {
            if let Envelope::Records { records, .. } = &r.envelope {
                assert_eq!(
                    records.typed_slice::<K>(0).map(<[K]>::len),
                    Some(20),
                    "a part of the batch as it is"
                );
            }
        }
    }

    #[test]
    fn a_run_stops_at_the_bound_and_sends_what_one_message_at_a_time_sends() {
        let topology = topology();
        // One message at a time, checking the bound before each.
        let mut single = node(&topology);
        let mut queue = messages(&topology);
        let mut one_by_one = 0;
        while let Some(m) = queue.front() {
            if single.core().would_block(m) {
                break;
            }
            let m = queue.pop_front().expect("a message");
            single.deliver(&topology, m, Time::default());
            one_by_one += 1;
        }
        let left = queue.clone();
        // The same messages as one run.
        let mut batched = node(&topology);
        let mut queue = messages(&topology);
        let first = queue.pop_front().expect("a message");
        let delivered = batched.deliver_run(&topology, first, &mut queue, Time::default());
        assert_eq!(delivered, one_by_one);
        // 0, 0, 1 held, the seal releases 0 (two records and its on_seal),
        // 1, 2, 2 held: 3 would be the fourth held record.
        assert_eq!(delivered, 6);
        assert_eq!(queue, left);
        assert!(
            batched
                .core()
                .would_block(queue.front().expect("held back"))
        );
        let batched_sent = sent(&mut batched);
        assert_eq!(batched_sent, sent(&mut single));
        assert_eq!(batched_sent.len(), 3, "{batched_sent:?}");
        assert_eq!(batched.core().metrics(), single.core().metrics());
    }
}
