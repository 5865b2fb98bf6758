//! The instance state machine on its own: what the plan wires at each input,
//! and the errors a peer can cause.

use blazes::runtime::sans_io::{Delivery, Envelope, InstanceCore, Time};
use blazes::runtime::{DeadLetterReason, Deployment, Factories, ProducerId, Topology};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};

/// Counts what it is given.
#[derive(Default)]
struct Tally {
    handled: usize,
}

impl Handler for Tally {
    fn handle(&mut self, _input: &str, _tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        self.handled += 1;
        out.emit("out", Tuple::new().with("n", self.handled as i64));
        Ok(())
    }
}

fn sealed_pipeline() -> (Dataflow, Topology) {
    let dataflow = Dataflow::new()
        .component(Component::new("Agg").path("in", "out", Annotation::ow(attrs(["k"]))))
        .stream(Stream::between("src", "Agg.in").sealed(attrs(["k"])))
        .stream(Stream::between("Agg.out", "sink"));
    let analysis = analyze(&dataflow).expect("valid");
    let topology = Topology::build(
        &dataflow,
        &analysis,
        &Deployment::new().source_producers("src", 2),
    )
    .expect("deployable");
    (dataflow, topology)
}

fn core(topology: &Topology) -> InstanceCore {
    let info = &topology.components[0];
    let handler = Factories::new()
        .with("Agg", || Box::<Tally>::default())
        .make("Agg")
        .expect("factory");
    InstanceCore::new(topology, info, info.instances[0], handler)
}

fn record(producer: ProducerId, seq: u64, k: i64) -> Delivery {
    Delivery::Direct {
        input: 0,
        envelope: Envelope::Record {
            producer,
            seq,
            payload: Tuple::new().with("k", k).into(),
        },
    }
}

fn seal(producer: ProducerId, seq: u64, k: i64) -> Delivery {
    Delivery::Direct {
        input: 0,
        envelope: Envelope::Seal {
            producer,
            seq,
            key: Tuple::new().with("k", k),
        },
    }
}

#[test]
fn a_seal_from_a_producer_outside_the_stream_is_an_error_not_a_vote() {
    let (_, topology) = sealed_pipeline();
    let producers = &topology.sources[0].producers;
    let (a, b) = (producers[0], producers[1]);
    let stranger = ProducerId(999);
    let mut c = core(&topology);
    c.deliver(record(a, 0, 1), Time::from_ticks(0));
    c.deliver(seal(a, 1, 1), Time::from_ticks(1));
    c.deliver(seal(stranger, 0, 1), Time::from_ticks(2));
    assert_eq!(c.metrics().unknown_sealers, 1);
    assert_eq!(
        c.metrics().processed,
        0,
        "the stranger's seal did not complete the vote"
    );
    let snapshot = c.snapshot(Time::from_ticks(10));
    assert_eq!(snapshot.unsealed.len(), 1);
    assert_eq!(snapshot.unsealed[0].missing, vec![b]);
    assert_eq!(snapshot.unsealed[0].age, 10);
    c.deliver(seal(b, 0, 1), Time::from_ticks(3));
    assert_eq!(c.metrics().processed, 1);
    assert_eq!(c.metrics().released_partitions, 1);
    let sends = c.take_sends();
    assert!(
        matches!(sends[0].1, Envelope::Record { .. }),
        "the release emitted"
    );
}

#[test]
fn duplicates_are_dropped_and_counted_and_the_books_balance() {
    let (_, topology) = sealed_pipeline();
    let producers = &topology.sources[0].producers;
    let (a, b) = (producers[0], producers[1]);
    let mut c = core(&topology);
    c.deliver(record(a, 0, 1), Time::from_ticks(0));
    c.deliver(record(a, 0, 1), Time::from_ticks(0));
    c.deliver(seal(a, 1, 1), Time::from_ticks(0));
    c.deliver(seal(a, 1, 1), Time::from_ticks(0));
    c.deliver(seal(b, 0, 1), Time::from_ticks(0));
    c.deliver(record(a, 2, 1), Time::from_ticks(0));
    let m = c.metrics().clone();
    assert_eq!(m.duplicate_records, 1);
    assert_eq!(m.duplicate_punctuations, 1);
    assert_eq!(m.late, 1);
    assert_eq!(m.records_in(), 2);
    assert_eq!(m.processed + m.dead_lettered, 2);
    assert!(m.balanced());
}

#[test]
fn a_dataflow_with_a_cycle_between_components_is_refused() {
    let dataflow = Dataflow::new()
        .component(Component::new("A").path("in", "out", Annotation::cr()))
        .component(Component::new("B").path("in", "out", Annotation::cr()))
        .stream(Stream::between("src", "A.in"))
        .stream(Stream::between("A.out", "B.in"))
        .stream(Stream::between("B.out", "A.in"));
    let analysis = analyze(&dataflow).expect("valid");
    let err = Topology::build(&dataflow, &analysis, &Deployment::new()).expect_err("a cycle");
    assert!(err.to_string().contains("cycle"), "{err}");
}

/// One source feeding two inputs of a component a sequencer orders: the
/// sequencer orders a message once (by producer and number), so the copy on
/// the second input would be dropped as a replay and the instances would
/// never finish. Refused when the topology is built, naming both inputs;
/// one ordered input per source, or a component not ordered, builds.
#[test]
fn one_message_on_two_inputs_of_an_ordered_group_is_refused() {
    use blazes::runtime::BuildError;
    use blazes::{Permission, Requirement};
    let build = |rep: bool, inputs: &[&str]| {
        let mut keep = Component::new("Keep").replicated(rep);
        let mut dataflow = Dataflow::new();
        for input in inputs {
            keep = keep.path(input, "kept", Annotation::ow(attrs(["v"])));
            dataflow = dataflow.stream(
                Stream::between("numbers", &format!("Keep.{input}")).sealed(attrs(["batch"])),
            );
        }
        let dataflow = dataflow
            .component(keep)
            .stream(Stream::between("Keep.kept", "out"))
            .requires(Requirement::Convergent)
            .coordinate(Permission::Auto);
        let analysis = analyze(&dataflow).expect("valid");
        Topology::build(
            &dataflow,
            &analysis,
            &Deployment::new().instances("Keep", if rep { 2 } else { 1 }),
        )
    };
    for rep in [true, false] {
        let err = build(rep, &["a", "b"]).expect_err("two ordered inputs from one source");
        let BuildError::OrderedTwice(e) = &err else {
            panic!("rep {rep}: {err}");
        };
        assert_eq!((e.from.as_str(), e.component.as_str()), ("numbers", "Keep"));
        assert_eq!(e.inputs, ["a", "b"]);
        assert!(
            err.to_string()
                .contains("= fix: feed `Keep` one of these inputs"),
            "{err}"
        );
        assert!(
            build(rep, &["a"]).is_ok(),
            "rep {rep}: one ordered input builds"
        );
    }
}

/// Knows only the input `in`: anything else is given back.
struct OnlyIn;

impl Handler for OnlyIn {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "in" {
            return Err(UnknownInput::new(input, tuple));
        }
        out.emit("out", tuple);
        Ok(())
    }
}

/// Issue 15: a record on an input the handler does not have is dead-lettered
/// with its payload (it used to be dead-lettered with an empty tuple).
#[test]
fn a_record_the_handler_refuses_is_dead_lettered_with_its_payload() {
    let dataflow = Dataflow::new()
        .component(
            Component::new("Two")
                .path("in", "out", Annotation::cr())
                .path("other", "out", Annotation::cr()),
        )
        .stream(Stream::between("a", "Two.in"))
        .stream(Stream::between("b", "Two.other"))
        .stream(Stream::between("Two.out", "sink"));
    let analysis = analyze(&dataflow).expect("valid");
    let topology = Topology::build(&dataflow, &analysis, &Deployment::new()).expect("deployable");
    let info = &topology.components[0];
    let other = info
        .inputs
        .iter()
        .position(|i| i == "other")
        .expect("input `other`");
    let mut c = InstanceCore::new(&topology, info, info.instances[0], Box::new(OnlyIn));
    let payload = Tuple::new().with("k", 7).with("w", "x");
    c.deliver(
        Delivery::Direct {
            input: other,
            envelope: Envelope::Record {
                producer: ProducerId(5),
                seq: 0,
                payload: payload.clone().into(),
            },
        },
        Time::from_ticks(0),
    );
    let dead = c.take_dead_letters();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].payload, payload);
    assert_eq!(
        dead[0].reason,
        DeadLetterReason::UnknownInput("other".to_string())
    );
    assert!(c.metrics().balanced());
}

/// Issue 15: a wire `seq` of `u64::MAX` used to overflow `seq + 1` in the
/// deduplicator (a panic in debug builds). It is refused: the record is
/// dead-lettered, a seal ignored, and the producer's later messages go on.
#[test]
fn a_seq_of_u64_max_is_refused_and_the_producer_goes_on() {
    let (_, topology) = sealed_pipeline();
    let producers = &topology.sources[0].producers;
    let (a, b) = (producers[0], producers[1]);
    let mut c = core(&topology);
    c.deliver(record(a, u64::MAX, 1), Time::from_ticks(0));
    c.deliver(seal(b, u64::MAX, 1), Time::from_ticks(0));
    let dead = c.take_dead_letters();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].reason, DeadLetterReason::SeqOutOfRange);
    assert_eq!(dead[0].payload, Tuple::new().with("k", 1));
    assert_eq!(c.metrics().refused_seqs, 2);
    assert_eq!(c.metrics().seals, 0, "the refused seal was not a vote");
    c.deliver(record(a, 0, 1), Time::from_ticks(1));
    c.deliver(seal(a, 1, 1), Time::from_ticks(1));
    c.deliver(seal(b, 0, 1), Time::from_ticks(1));
    assert_eq!(c.metrics().processed, 1, "the partition was released");
    assert_eq!(c.metrics().duplicate_records, 0);
    assert!(c.metrics().balanced());
}

/// Issue 15: a record whose seal key is a string where integers were seen
/// opened a partition that never closes (its records were dead-lettered as
/// never sealed at the end of the run). It is refused on arrival instead,
/// and a seal of that kind is not a vote.
#[test]
fn a_seal_key_of_another_kind_is_refused_as_a_dead_letter() {
    let (_, topology) = sealed_pipeline();
    let producers = &topology.sources[0].producers;
    let (a, b) = (producers[0], producers[1]);
    let mut c = core(&topology);
    let mistyped = |producer, seq| Delivery::Direct {
        input: 0,
        envelope: Envelope::Record {
            producer,
            seq,
            payload: Tuple::new().with("k", "1").into(),
        },
    };
    c.deliver(record(a, 0, 1), Time::from_ticks(0));
    c.deliver(mistyped(b, 0), Time::from_ticks(1));
    c.deliver(
        Delivery::Direct {
            input: 0,
            envelope: Envelope::Seal {
                producer: b,
                seq: 1,
                key: Tuple::new().with("k", "1"),
            },
        },
        Time::from_ticks(2),
    );
    let dead = c.take_dead_letters();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].payload, Tuple::new().with("k", "1"));
    assert!(
        matches!(&dead[0].reason, DeadLetterReason::WrongKeyKind(w) if w.attribute == "k"),
        "{:?}",
        dead[0].reason
    );
    assert_eq!(c.metrics().wrong_key_kinds, 2, "the record and the seal");
    assert_eq!(
        c.snapshot(Time::from_ticks(3)).unsealed.len(),
        1,
        "only k = 1 is open"
    );
    c.deliver(seal(a, 1, 1), Time::from_ticks(3));
    c.deliver(seal(b, 2, 1), Time::from_ticks(3));
    assert_eq!(c.metrics().processed, 1);
    c.shutdown(Time::from_ticks(4));
    assert!(c.take_dead_letters().is_empty(), "nothing left unsealed");
    assert!(c.metrics().balanced());
}

/// Emits every record on output `x`, whatever its input.
struct AlwaysOnX;

impl Handler for AlwaysOnX {
    fn handle(&mut self, _input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        out.emit("x", tuple);
        Ok(())
    }
}

#[test]
fn a_record_emitted_on_an_output_after_its_end_is_a_failure_not_a_send() {
    let dataflow = Dataflow::new()
        .component(Component::new("Two").path("a", "x", Annotation::cr()).path(
            "b",
            "y",
            Annotation::cr(),
        ))
        .stream(Stream::between("sa", "Two.a"))
        .stream(Stream::between("sb", "Two.b"))
        .stream(Stream::between("Two.x", "xs"))
        .stream(Stream::between("Two.y", "ys"));
    let analysis = analyze(&dataflow).expect("valid");
    let topology = Topology::build(&dataflow, &analysis, &Deployment::new()).expect("deployable");
    let info = &topology.components[0];
    let input = |name: &str| info.inputs.iter().position(|i| i == name).expect("input");
    let handler = Factories::new()
        .with("Two", || Box::new(AlwaysOnX))
        .make("Two")
        .expect("factory");
    let mut c = InstanceCore::new(&topology, info, info.instances[0], handler);
    let producer = |source: usize| topology.sources[source].producers[0];
    let (a, b) = (input("a"), input("b"));
    let from_a = producer(
        topology
            .sources
            .iter()
            .position(|s| s.name == "sa")
            .expect("sa"),
    );
    let from_b = producer(
        topology
            .sources
            .iter()
            .position(|s| s.name == "sb")
            .expect("sb"),
    );
    c.deliver(
        Delivery::Direct {
            input: a,
            envelope: Envelope::End {
                producer: from_a,
                seq: 0,
            },
        },
        Time::from_ticks(0),
    );
    let ended = c.take_sends();
    assert_eq!(ended.len(), 1, "x ends with its only input: {ended:?}");
    c.deliver(
        Delivery::Direct {
            input: b,
            envelope: Envelope::Record {
                producer: from_b,
                seq: 0,
                payload: Tuple::new().with("n", 1).into(),
            },
        },
        Time::from_ticks(1),
    );
    assert!(c.take_sends().is_empty(), "nothing is sent after x's end");
    assert_eq!(c.metrics().emitted_after_end, 1);
    let failures = c.snapshot(Time::from_ticks(2)).failures();
    assert!(
        failures
            .iter()
            .any(|f| f.to_string().contains("after it ended")),
        "{failures:?}"
    );
}
