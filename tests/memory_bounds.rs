//! Memory bounds of an instance (issue 15, fix 6; runtime spec, "Seal
//! buffer": memory is bounded by configuration, backpressure at the bound).
//! Records of open partitions wait at the bound like those of new ones, each
//! producer within its share of it; a partition that cannot fit is a counted
//! stall and a failed run; released partitions are remembered within the
//! late-detection window, and what it forgets is counted.

use std::collections::VecDeque;

use blazes::runtime::sans_io::{Delivery, Envelope, InstanceCore, Time};
use blazes::runtime::{
    DataflowRunner, DeadLetterReason, Deployment, Factories, ProducerId, RunFailure, Topology,
    Workload,
};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};

/// Counts the records of each partition, emitting the count on its seal.
#[derive(Default)]
struct Count(i64);

impl Handler for Count {
    fn handle(&mut self, _input: &str, _tuple: Tuple, _out: &mut Emit) -> Result<(), UnknownInput> {
        self.0 += 1;
        Ok(())
    }

    fn on_seal(&mut self, _input: &str, partition: &Tuple, out: &mut Emit) {
        out.emit(
            "out",
            partition.clone().with("n", std::mem::take(&mut self.0)),
        );
    }
}

fn dataflow() -> Dataflow {
    Dataflow::new()
        .component(Component::new("Agg").path("in", "out", Annotation::ow(attrs(["k"]))))
        .stream(Stream::between("src", "Agg.in").sealed(attrs(["k"])))
        .stream(Stream::between("Agg.out", "sink"))
}

fn factories() -> Factories {
    Factories::new().with("Agg", || Box::<Count>::default())
}

fn topology(deployment: &Deployment) -> Topology {
    let dataflow = dataflow();
    let analysis = analyze(&dataflow).expect("valid");
    Topology::build(&dataflow, &analysis, deployment).expect("deployable")
}

fn core(topology: &Topology) -> InstanceCore {
    let info = &topology.components[0];
    let handler = factories().make("Agg").expect("factory");
    let mut core = InstanceCore::new(topology, info, info.instances[0], handler);
    core.start();
    core
}

fn direct(envelope: Envelope) -> Delivery {
    Delivery::Direct { input: 0, envelope }
}

/// One producer's messages, numbered in order.
struct Link {
    producer: ProducerId,
    seq: u64,
    queue: VecDeque<Delivery>,
}

impl Link {
    fn new(producer: ProducerId) -> Link {
        Link {
            producer,
            seq: 0,
            queue: VecDeque::new(),
        }
    }

    fn record(&mut self, k: i64) {
        let envelope = Envelope::Record {
            producer: self.producer,
            seq: self.seq,
            payload: Tuple::new().with("k", k).into(),
        };
        self.seq += 1;
        self.queue.push_back(direct(envelope));
    }

    fn seal(&mut self, k: i64) {
        let envelope = Envelope::Seal {
            producer: self.producer,
            seq: self.seq,
            key: Tuple::new().with("k", k),
        };
        self.seq += 1;
        self.queue.push_back(direct(envelope));
    }
}

/// Delivers the links' messages, always from the first link that has one
/// the instance admits; when none does, the first waiting message is
/// delivered beyond the bound (a stall), as the drivers do.
fn drive(core: &mut InstanceCore, links: &mut [Link]) {
    let mut now = 0;
    loop {
        let mut admissible = None;
        for (l, link) in links.iter().enumerate() {
            let Some(message) = link.queue.front() else {
                continue;
            };
            if !core.would_block(message) {
                admissible = Some(l);
                break;
            }
            core.note_backpressure();
        }
        let link = match admissible {
            Some(l) => l,
            None => match links.iter().position(|l| !l.queue.is_empty()) {
                Some(l) => {
                    core.note_stall();
                    l
                }
                None => break,
            },
        };
        if let Some(message) = links[link].queue.pop_front() {
            now += 1;
            core.deliver(message, Time::from_ticks(now));
            core.take_sends();
        }
    }
}

/// The probe of issue 15: one producer opens ten partitions with one record
/// each and seals them only later; the other fills each with nine records
/// and seals it. Records of open partitions used to be admitted at any
/// count (100 held at a bound of 20); now the fast producer waits at its
/// share, the slow one's seals release the partitions, and the bound holds
/// with no stall.
#[test]
fn records_of_open_partitions_wait_at_the_bound() {
    let bound = 20;
    let topology = topology(
        &Deployment::new()
            .source_producers("src", 2)
            .buffer_capacity(bound),
    );
    let producers = &topology.sources[0].producers;
    let (mut opener, mut filler) = (Link::new(producers[0]), Link::new(producers[1]));
    let mut core = core(&topology);
    // The opener's records first ...
    for k in 0..10 {
        opener.record(k);
    }
    let mut first = [opener];
    drive(&mut core, &mut first);
    // ... then its seals, and the filler, which goes first whenever it may.
    let [mut opener] = first;
    for k in 0..10 {
        opener.seal(k);
        for _ in 0..9 {
            filler.record(k);
        }
        filler.seal(k);
    }
    drive(&mut core, &mut [filler, opener]);
    core.shutdown(Time::from_ticks(1_000));
    let metrics = core.metrics();
    assert_eq!(metrics.processed, 100, "every record handled: {metrics:?}");
    assert_eq!(metrics.released_partitions, 10);
    assert!(
        metrics.held_max <= bound as u64,
        "held {} at a bound of {bound}",
        metrics.held_max
    );
    assert_eq!(metrics.stalls, 0, "nothing admitted beyond the bound");
    assert!(metrics.backpressure > 0, "the filler waited");
}

/// A partition of 1,000 records at a bound of 10 cannot be held within the
/// bound: the run goes on one record at a time beyond it, each a counted
/// stall, and ends as a failure that names the instance and the bound it
/// needed, instead of succeeding silently past the bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_larger_than_the_bound_fails_the_run_naming_it() {
    let dataflow = dataflow();
    let analysis = analyze(&dataflow).expect("valid");
    let deployment = Deployment::new().buffer_capacity(10).channel_capacity(4);
    let mut workload = Workload::new();
    for _ in 0..1_000 {
        workload = workload.record("src", 0, Tuple::new().with("k", 1));
    }
    workload = workload.seal("src", 0, Tuple::new().with("k", 1));
    let runner =
        DataflowRunner::new(&dataflow, &analysis, &deployment, factories()).expect("deployable");
    let report = runner
        .start()
        .expect("started")
        .run_workload(&workload)
        .await
        .expect("runs");
    assert_eq!(report.records("sink")[0].payload.int("n"), Some(1_000));
    assert!(report.balanced());
    let agg = report.component_totals("Agg");
    assert_eq!(agg.stalls, 990, "every record past the bound counted");
    let failures = report.failures();
    assert!(
        failures.iter().any(|f| matches!(
            f,
            RunFailure::BoundExceeded { instance, bound: 10, held_max: 1_000, stalls: 990 }
                if instance == "Agg[0]"
        )),
        "{failures:?}"
    );
}

/// Released partitions are remembered within the late-detection window:
/// a late record of a recent one is dead-lettered as late; one of a
/// forgotten partition opens it again, and it ends as never sealed (so the
/// run fails naming it); what the window forgot is counted.
#[test]
fn late_detection_ages_out_counted_and_never_silently() {
    let window = 4;
    let topology = topology(
        &Deployment::new()
            .source_producers("src", 1)
            .late_detection(window),
    );
    let mut link = Link::new(topology.sources[0].producers[0]);
    for k in 0..10 {
        link.record(k);
        link.seal(k);
    }
    link.record(9);
    link.record(0);
    let mut core = core(&topology);
    drive(&mut core, &mut [link]);
    let late: Vec<_> = core.take_dead_letters();
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0].reason, DeadLetterReason::Late);
    assert_eq!(late[0].payload.int("k"), Some(9));
    assert_eq!(core.metrics().forgotten_partitions, 10 - window as u64);
    core.shutdown(Time::from_ticks(100));
    let snapshot = core.snapshot(Time::from_ticks(100));
    assert_eq!(snapshot.never_sealed.len(), 1);
    assert_eq!(snapshot.never_sealed[0].key.int("k"), Some(0));
    assert!(
        snapshot
            .failures()
            .iter()
            .any(|f| matches!(f, RunFailure::NeverSealed { .. })),
        "the aged-out late record fails the run"
    );
}
