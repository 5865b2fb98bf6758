//! A record sent after its own producer sealed its partition broke the
//! seal's promise: it is late, and goes to the dead letters, wherever the
//! runtime tracks the seal. `Pass` (`CR`) votes the seals of its input and
//! handles records as they come; `Tally` (`OW[window]`) holds each window
//! in a seal buffer. Producer 0 seals window 0 and then sends one more
//! record of it. Before the fix, `Pass` handled that record while the vote
//! on window 0 was still open (the other producer had not sealed it), so it
//! reached `Tally` before `Pass` sealed the window there and was counted;
//! in schedules where the other producer sealed first it was late. Now it
//! is late in every schedule: the simulator's (one message at a time) and
//! tokio's (the late record inside a run of the producer's records).

use std::collections::BTreeMap;

use blazes::Record;
use blazes::runtime::{DataflowRunner, DeadLetterReason, Workload};
use blazes::sim::{SimConfig, Simulation};

const SCHEDULES: u64 = 300;
const WINDOWS: i64 = 3;

#[derive(Record, Clone, Debug)]
pub struct Event {
    window: i64,
    value: i64,
}

#[derive(Record, Clone, Debug, PartialEq)]
pub struct Total {
    window: i64,
    total: i64,
}

#[derive(Record)]
struct Window {
    window: i64,
}

pub mod parts {
    use super::{Event, Total};
    use blazes::component;
    use std::collections::BTreeMap;

    /// Passes each event on.
    #[component]
    #[derive(Default)]
    pub struct Pass;

    #[component(outputs { passed: Event })]
    impl Pass {
        #[path(from = events, to = passed, label = CR)]
        fn events(&mut self, events: &[Event], out: &mut PassOut) {
            out.passed_all(events.iter().cloned());
        }
    }

    /// Sums a window's events; reports the sum when the window is sealed.
    #[component]
    #[derive(Default)]
    pub struct Tally(BTreeMap<i64, i64>);

    #[component(outputs { totals: Total })]
    impl Tally {
        #[path(from = passed, to = totals, label = OW, gate = [window])]
        fn passed(&mut self, events: &[Event], _out: &mut TallyOut) {
            for e in events {
                *self.0.entry(e.window).or_default() += e.value;
            }
        }

        #[on_seal(passed)]
        fn sealed(&mut self, window: i64, out: &mut TallyOut) {
            if let Some(total) = self.0.remove(&window) {
                out.totals(Total { window, total });
            }
        }
    }
}

#[blazes::dataflow]
pub mod windows {
    blazes::components! { super::parts::Pass, super::parts::Tally }

    streams! {
        events -> Pass.events { seal: [window] };
        Pass.passed -> Tally.passed;
        Tally.totals -> totals;
    }
}

fn event(producer: i64, window: i64, i: i64) -> Event {
    Event {
        window,
        value: window * 100 + i * (producer + 1),
    }
}

/// The late record: window 0, after producer 0 sealed it.
const LATE: Event = Event {
    window: 0,
    value: 1_000_000,
};

/// The sums without the late record.
fn truth() -> BTreeMap<i64, i64> {
    let mut truth = BTreeMap::new();
    for producer in 0..2 {
        for window in 0..WINDOWS {
            for i in 0..5 {
                *truth.entry(window).or_default() += event(producer, window, i).value;
            }
        }
    }
    truth
}

fn totals(report: &blazes::runtime::RunReport) -> BTreeMap<i64, i64> {
    let mut out = BTreeMap::new();
    for (_, row) in report.read_sink::<Total>("totals").expect("the sink") {
        assert!(out.insert(row.window, row.total).is_none(), "one a window");
    }
    out
}

fn late_letters(report: &blazes::runtime::RunReport) -> usize {
    report
        .dead_letters
        .iter()
        .filter(|d| matches!(d.reason, DeadLetterReason::Late))
        .count()
}

#[test]
fn a_record_after_its_producers_seal_is_late_in_every_schedule() {
    // Producer 0 goes first and breaks its seal of window 0; producer 1's
    // messages interleave with its own as each schedule has it.
    let mut workload = Workload::new();
    for window in 0..WINDOWS {
        for producer in 0..2usize {
            for i in 0..5 {
                workload = workload.record("events", producer, event(producer as i64, window, i));
            }
            workload = workload.seal("events", producer, Window { window });
            if producer == 0 && window == 0 {
                workload = workload.record("events", 0, LATE);
            }
        }
    }
    let deployment = windows::deployment()
        .source_producers("events", 2)
        .instances("Pass", 2);
    let sim = Simulation::new(
        &windows::dataflow(),
        &windows::analysis(),
        &deployment,
        windows::factories(),
    )
    .expect("deployable");
    for seed in 0..SCHEDULES {
        let outcome = sim.run(&workload, &SimConfig::new(seed)).expect("runs");
        assert_eq!(totals(&outcome.report), truth(), "seed {seed}");
        assert_eq!(late_letters(&outcome.report), 1, "seed {seed}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inside_a_run_the_late_record_alone_is_dead_lettered() {
    let deployment = windows::deployment()
        .source_producers("events", 2)
        .instances("Pass", 2);
    let runner = DataflowRunner::new(
        &windows::dataflow(),
        &windows::analysis(),
        &deployment,
        windows::factories(),
    )
    .expect("deployable");
    let mut running = runner.start().expect("started");
    let mut first = running.take_source("events", 0).expect("producer 0");
    let mut second = running.take_source("events", 1).expect("producer 1");
    first.send_batch((0..5).map(|i| event(0, 0, i))).await;
    first.seal(Window { window: 0 }).await.expect("seal");
    // One run: window 1's first records, the late record, window 1's rest.
    let mut run: Vec<Event> = (0..2).map(|i| event(0, 1, i)).collect();
    run.push(LATE);
    run.extend((2..5).map(|i| event(0, 1, i)));
    first.send_batch(run).await;
    first.seal(Window { window: 1 }).await.expect("seal");
    first.send_batch((0..5).map(|i| event(0, 2, i))).await;
    first.seal(Window { window: 2 }).await.expect("seal");
    first.close().await;
    for window in 0..WINDOWS {
        second.send_batch((0..5).map(|i| event(1, window, i))).await;
        second.seal(Window { window }).await.expect("seal");
    }
    second.close().await;
    let report = running.finish().await.expect("finishes");
    assert_eq!(totals(&report), truth());
    assert_eq!(late_letters(&report), 1, "{:?}", report.dead_letters);
    let letter = report
        .dead_letters
        .iter()
        .find(|d| matches!(d.reason, DeadLetterReason::Late))
        .expect("the late record");
    assert_eq!(letter.payload.int("value"), Some(LATE.value), "{letter:?}");
}
