//! The instance state machine on its own: what the plan wires at each input,
//! and the errors a peer can cause.

use blazes::runtime::{
    Deployment, Envelope, Factories, Inbound, InstanceCore, ProducerId, Topology,
};
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

fn record(producer: ProducerId, seq: u64, k: i64) -> Inbound {
    Inbound::Direct {
        input: 0,
        envelope: Envelope::Record {
            producer,
            seq,
            payload: Tuple::new().with("k", k),
        },
    }
}

fn seal(producer: ProducerId, seq: u64, k: i64) -> Inbound {
    Inbound::Direct {
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
    c.deliver(record(a, 0, 1), 0);
    c.deliver(seal(a, 1, 1), 1);
    c.deliver(seal(stranger, 0, 1), 2);
    assert_eq!(c.metrics().unknown_sealers, 1);
    assert_eq!(
        c.metrics().processed,
        0,
        "the stranger's seal did not complete the vote"
    );
    let snapshot = c.snapshot(10);
    assert_eq!(snapshot.unsealed.len(), 1);
    assert_eq!(snapshot.unsealed[0].missing, vec![b]);
    assert_eq!(snapshot.unsealed[0].age, 10);
    c.deliver(seal(b, 0, 1), 3);
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
    c.deliver(record(a, 0, 1), 0);
    c.deliver(record(a, 0, 1), 0);
    c.deliver(seal(a, 1, 1), 0);
    c.deliver(seal(a, 1, 1), 0);
    c.deliver(seal(b, 0, 1), 0);
    c.deliver(record(a, 2, 1), 0);
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
