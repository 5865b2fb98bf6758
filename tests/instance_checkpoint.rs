//! An instance checkpointed part way and restored into a fresh one goes on
//! exactly as the instance that ran straight through: same outputs, same
//! `(producer, seq)` numbering, same counters, held seal-buffer partitions
//! included (docs/runtime.md, "Checkpoints").

use std::collections::BTreeMap;

use blazes::checkpointed::Checkpointed;
use blazes::runtime::sans_io::{CheckpointError, Delivery, Envelope, InstanceCore, Time};
use blazes::runtime::{Deployment, Factories, ProducerId, Topology};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};
use proptest::prelude::*;

/// Counts records per partition; its outputs depend on everything it saw.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Counts {
    by_k: BTreeMap<i64, i64>,
    total: i64,
}

impl Handler for Counts {
    fn handle(&mut self, _input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        let k = tuple.int("k").unwrap_or(-1);
        let n = self.by_k.entry(k).or_default();
        *n += 1;
        self.total += 1;
        let emitted = Tuple::new()
            .with("k", k)
            .with("n", *n)
            .with("total", self.total);
        out.emit("out", emitted);
        Ok(())
    }

    fn on_seal(&mut self, _input: &str, partition: &Tuple, out: &mut Emit) {
        let k = partition.int("k").unwrap_or(-1);
        let n = self.by_k.get(&k).copied().unwrap_or(0);
        out.emit("out", Tuple::new().with("k", k).with("sealed", n));
    }
}

fn topology() -> Topology {
    topology_with("Agg", Annotation::ow(attrs(["k"])))
}

fn core(topology: &Topology, checkpointed: bool) -> InstanceCore {
    let info = &topology.components[0];
    let name = info.name.as_str();
    let factories = if checkpointed {
        Factories::new().with(name, || Box::new(Checkpointed(Counts::default())))
    } else {
        Factories::new().with(name, || Box::<Counts>::default())
    };
    let handler = factories.make(name).expect("factory");
    let mut core = InstanceCore::new(topology, info, info.instances[0], handler);
    core.start();
    core
}

/// What each producer sends: records of partitions 0..4, each partition
/// sealed after its last record, then the end; `dup` replays one message.
fn script(producer: ProducerId, records: &[i64]) -> Vec<Delivery> {
    let mut envelopes = Vec::new();
    let mut seq = 0;
    for k in records {
        envelopes.push(Envelope::Record {
            producer,
            seq,
            payload: Tuple::new()
                .with("k", *k)
                .with("from", i64::from(producer.0))
                .into(),
        });
        seq += 1;
    }
    for k in 0..4 {
        envelopes.push(Envelope::Seal {
            producer,
            seq,
            key: Tuple::new().with("k", k),
        });
        seq += 1;
    }
    envelopes.push(Envelope::End { producer, seq });
    envelopes
        .into_iter()
        .map(|envelope| Delivery::Direct { input: 0, envelope })
        .collect()
}

/// Interleaves the producers' scripts as `picks` says (FIFO per producer),
/// replaying the message before each pick marked as a duplicate.
fn interleave(mut scripts: Vec<Vec<Delivery>>, picks: &[(bool, bool)]) -> Vec<Delivery> {
    for s in &mut scripts {
        s.reverse();
    }
    let mut out: Vec<Delivery> = Vec::new();
    let mut picks = picks.iter().cycle();
    while scripts.iter().any(|s| !s.is_empty()) {
        let (first, dup) = picks.next().copied().unwrap_or((true, false));
        let i = usize::from(!first);
        let i = if scripts[i].is_empty() { 1 - i } else { i };
        if let Some(m) = scripts[i].pop() {
            if dup && let Some(last) = out.last().cloned() {
                out.push(last);
            }
            out.push(m);
        }
    }
    out
}

fn feed(core: &mut InstanceCore, messages: &[Delivery], sends: &mut Vec<(usize, Envelope)>) {
    for (t, m) in messages.iter().enumerate() {
        core.deliver(m.clone(), Time::from_ticks(t as u64));
        sends.extend(core.take_sends());
        core.take_dead_letters();
    }
}

proptest! {
    #[test]
    fn checkpoint_restore_continue_equals_straight_through(
        a in proptest::collection::vec(0i64..4, 0..12),
        b in proptest::collection::vec(0i64..4, 0..12),
        picks in proptest::collection::vec((any::<bool>(), any::<bool>()), 1..20),
        cut in 0usize..64,
    ) {
        let topology = topology();
        let producers = topology.sources[0].producers.clone();
        let messages = interleave(
            vec![script(producers[0], &a), script(producers[1], &b)],
            &picks,
        );
        let cut = cut.min(messages.len());

        let mut straight = core(&topology, true);
        let mut expected = Vec::new();
        feed(&mut straight, &messages, &mut expected);

        let mut before = core(&topology, true);
        let mut got = Vec::new();
        feed(&mut before, &messages[..cut], &mut got);
        let saved = before.checkpoint().expect("saves").expect("opted in");
        drop(before);
        let mut restarted = core(&topology, true);
        restarted.restore(&saved).expect("restores");
        feed(&mut restarted, &messages[cut..], &mut got);

        prop_assert_eq!(&got, &expected);
        prop_assert!(restarted.finished());
        prop_assert_eq!(restarted.metrics(), straight.metrics());
    }
}

/// The cut falls while both partitions are held, waiting for a seal: the
/// restored instance releases them as the straight one does.
#[test]
fn held_partitions_survive_a_checkpoint() {
    let topology = topology();
    let p = topology.sources[0].producers.clone();
    let messages = interleave(
        vec![script(p[0], &[0, 1, 0, 2]), script(p[1], &[1, 1, 3])],
        &[(true, false), (false, true)],
    );
    let cut = messages.len() - 6;
    let mut straight = core(&topology, true);
    let mut expected = Vec::new();
    feed(&mut straight, &messages, &mut expected);

    let mut before = core(&topology, true);
    let mut got = Vec::new();
    feed(&mut before, &messages[..cut], &mut got);
    assert!(before.metrics().held > 0, "the cut holds records");
    let saved = before.checkpoint().expect("saves").expect("opted in");
    let mut restarted = core(&topology, true);
    restarted.restore(&saved).expect("restores");
    assert_eq!(restarted.metrics().held, before.metrics().held);
    feed(&mut restarted, &messages[cut..], &mut got);
    assert_eq!(got, expected);
    assert_eq!(restarted.metrics().held, 0);
}

#[test]
fn a_handler_that_does_not_opt_in_keeps_no_checkpoint() {
    let topology = topology();
    let plain = core(&topology, false);
    assert!(plain.checkpoint().expect("nothing to fail").is_none());
}

#[test]
fn a_corrupt_or_foreign_checkpoint_is_an_error_and_changes_nothing() {
    let topology = topology();
    let p = topology.sources[0].producers.clone();
    let mut first = core(&topology, true);
    let mut sends = Vec::new();
    feed(&mut first, &script(p[0], &[0, 1]), &mut sends);
    let saved = first.checkpoint().expect("saves").expect("opted in");

    let mut fresh = core(&topology, true);
    let untouched = fresh.metrics().clone();
    let truncated = &saved[..saved.len() / 2];
    assert!(matches!(
        fresh.restore(truncated),
        Err(CheckpointError::Unreadable { .. })
    ));
    let mut other_version = saved.clone();
    other_version[0] = 99;
    assert!(matches!(
        fresh.restore(&other_version),
        Err(CheckpointError::Mismatch { .. })
    ));
    assert!(fresh.restore(&[]).is_err());
    assert_eq!(fresh.metrics(), &untouched);
}

/// `src` (2 producers, sealed on `k`) -> `name` (one path, `annotation`) ->
/// sink: an order-sensitive path holds records in a seal buffer, a confluent
/// one forwards the seals onto its output.
fn topology_with(name: &str, annotation: Annotation) -> Topology {
    let dataflow = Dataflow::new()
        .component(Component::new(name).path("in", "out", annotation))
        .stream(Stream::between("src", &format!("{name}.in")).sealed(attrs(["k"])))
        .stream(Stream::between(&format!("{name}.out"), "sink"));
    let analysis = analyze(&dataflow).expect("valid");
    Topology::build(
        &dataflow,
        &analysis,
        &Deployment::new().source_producers("src", 2),
    )
    .expect("deployable")
}

/// Producer 1 retires first; producer 0 then sends records of partitions 0
/// and 1, seals them and ends. Whatever message the checkpoint falls after,
/// the restored instance releases (or forwards) every partition as the one
/// that ran straight through: the retirement, read before the checkpoint
/// and never again, still counts as producer 1's seal.
#[test]
fn a_retirement_before_the_checkpoint_still_counts_after_restore() {
    for (name, annotation) in [
        ("Agg", Annotation::ow(attrs(["k"]))),
        ("Pass", Annotation::cr()),
    ] {
        let topology = topology_with(name, annotation);
        let p = topology.sources[0].producers.clone();
        let mut messages = vec![Delivery::Direct {
            input: 0,
            envelope: Envelope::Retire {
                producer: p[1],
                seq: 0,
            },
        }];
        messages.extend(script(p[0], &[0, 1, 0]).into_iter().filter(
            |m| !matches!(m.envelope(), Envelope::Seal { key, .. } if key.int("k") > Some(1)),
        ));
        let make = || core(&topology, true);
        let mut straight = make();
        let mut expected = Vec::new();
        feed(&mut straight, &messages, &mut expected);
        let on_seal = expected
            .iter()
            .filter(|(_, e)| matches!(e, Envelope::Record { payload, .. } if payload.field("sealed").is_some()))
            .count();
        let forwarded = expected
            .iter()
            .filter(|(_, e)| matches!(e, Envelope::Seal { .. }))
            .count();
        // Both partitions complete: `on_seal` runs for each, and the
        // confluent path forwards each seal.
        let forwards = if name == "Pass" { 2 } else { 0 };
        assert_eq!((on_seal, forwarded), (2, forwards), "{name}: {expected:?}");
        for cut in 1..messages.len() {
            let mut before = make();
            let mut got = Vec::new();
            feed(&mut before, &messages[..cut], &mut got);
            let saved = before.checkpoint().expect("saves").expect("opted in");
            let mut restarted = make();
            restarted.restore(&saved).expect("restores");
            feed(&mut restarted, &messages[cut..], &mut got);
            assert_eq!(got, expected, "{name}, cut after {cut} message(s)");
            assert!(restarted.finished(), "{name}, cut {cut}");
        }
    }
}
