//! A run that never ends still gives a report when asked for one within a
//! limit: `finish_within` stops it there, dead-letters what the wrappers
//! held, and says why the run failed.

use std::time::Duration;

use blazes::runtime::{DataflowRunner, DeadLetterReason, RunFailure};

#[derive(blazes::Record, Clone, Debug)]
pub struct Reading {
    pub sensor: i64,
    pub value: i64,
}

#[derive(blazes::Record, Clone, Debug)]
pub struct Sensor {
    pub sensor: i64,
}

pub mod parts {
    use std::collections::BTreeMap;

    use super::Reading;
    use blazes::component;

    /// Sums each sensor's values, emitted once the sensor is sealed.
    #[component]
    #[derive(Default)]
    pub struct Sum(BTreeMap<i64, i64>);

    #[component(outputs { sums: Reading })]
    impl Sum {
        #[path(from = readings, to = sums, label = OW, gate = [sensor])]
        fn readings(&mut self, r: Reading, _out: &mut SumOut) {
            *self.0.entry(r.sensor).or_default() += r.value;
        }

        #[on_seal(readings)]
        fn sealed(&mut self, sensor: i64, out: &mut SumOut) {
            let value = self.0.remove(&sensor).unwrap_or_default();
            out.sums(Reading { sensor, value });
        }
    }
}

pub mod slow {
    use super::Reading;
    use blazes::component;

    /// Passes each reading on, slowly: a run stopped early finds records
    /// on their way to it and from it.
    #[component]
    #[derive(Default)]
    pub struct Slow;

    #[component(outputs { out: Reading })]
    impl Slow {
        #[path(from = readings, to = out, label = CR)]
        fn readings(&mut self, r: Reading, out: &mut SlowOut) {
            std::thread::sleep(std::time::Duration::from_millis(1));
            out.out(r);
        }
    }
}

/// Two slow stages in a row, to a sink.
#[blazes::dataflow]
pub mod slow_flow {
    blazes::components! { super::slow::Slow }

    streams! {
        readings -> Slow.readings;
        Slow.out -> passed;
    }
}

#[blazes::dataflow]
pub mod flow {
    blazes::components! { super::parts::Sum }

    streams! {
        readings -> Sum.readings { seal: [sensor] };
        Sum.sums -> sums;
    }
}

fn runner() -> DataflowRunner {
    let deployment = flow::deployment().source_producers("readings", 2);
    DataflowRunner::new(
        &flow::dataflow(),
        &flow::analysis(),
        &deployment,
        flow::factories(),
    )
    .expect("deployable")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_held_open_is_stopped_at_the_limit_and_reports_what_it_held() {
    let mut running = runner().start().expect("started");
    let mut sealing = running.take_source("readings", 0).expect("producer 0");
    let mut held = running.take_source("readings", 1).expect("producer 1");
    sealing
        .send_batch((0..3).map(|value| Reading { sensor: 1, value }))
        .await;
    sealing
        .seal(Sensor { sensor: 1 })
        .await
        .expect("a seal holding the seal key");
    sealing.close().await;
    // Producer 1 never seals sensor 1 nor closes: the run cannot end.
    held.send(Reading {
        sensor: 1,
        value: 10,
    })
    .await;
    let limit = Duration::from_millis(300);
    let report = tokio::time::timeout(Duration::from_secs(20), running.finish_within(limit))
        .await
        .expect("finish_within returns")
        .expect("a report");
    assert_eq!(report.stopped_after, Some(limit));
    let failures = report.failures();
    assert!(
        matches!(failures.first(), Some(RunFailure::Stopped { after, .. }) if *after == limit),
        "{failures:?}"
    );
    assert!(
        failures
            .iter()
            .any(|f| matches!(f, RunFailure::Unfinished { instance } if instance == "Sum[0]")),
        "{failures:?}"
    );
    assert!(
        failures.iter().any(|f| matches!(
            f,
            RunFailure::NeverSealed { instance, missing, .. }
                if instance == "Sum[0]" && missing == &["readings[1]".to_string()]
        )),
        "{failures:?}"
    );
    // The four records held for sensor 1 are dead letters, not lost.
    let values: Vec<i64> = report
        .dead_letters
        .iter()
        .filter(|d| d.reason == DeadLetterReason::NeverSealed)
        .filter_map(|d| d.payload.int("value"))
        .collect();
    assert_eq!(values.len(), 4, "{:?}", report.dead_letters);
    assert!(report.records("sums").is_empty());
    // `?` in a `main` prints the failures, not the structure.
    let failed = report.ensure_success().expect_err("the run failed");
    let printed = format!("{failed:?}");
    assert_eq!(printed, failed.to_string());
    assert!(
        printed.starts_with(&format!("the run failed ({} failure(s)):", failures.len()))
            && printed.contains("\n  the run had not ended after 300ms and was stopped")
            && printed.contains("\n  Sum[0]: partition {sensor: 1} was never sealed"),
        "{printed}"
    );
    // Sending after the stop neither blocks nor panics.
    tokio::time::timeout(
        Duration::from_secs(5),
        held.send(Reading {
            sensor: 2,
            value: 1,
        }),
    )
    .await
    .expect("a send after the stop returns");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_ends_within_the_limit_is_not_stopped() {
    let mut running = runner().start().expect("started");
    for producer in 0..2 {
        let mut source = running.take_source("readings", producer).expect("producer");
        source
            .send(Reading {
                sensor: 1,
                value: producer as i64 + 1,
            })
            .await;
        source
            .seal(Sensor { sensor: 1 })
            .await
            .expect("a seal holding the seal key");
        source.close().await;
    }
    let report = running
        .finish_within(Duration::from_secs(30))
        .await
        .expect("a report");
    assert_eq!(report.stopped_after, None);
    assert_eq!(report.ensure_success(), Ok(()));
    assert_eq!(report.records("sums").len(), 1);
}

/// Stopped while records are on their way (in a link to the slow instance,
/// received and not handled, or queued to the sink), a run loses none: each
/// record sent either reached the sink or is a dead letter `Abandoned`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_run_dead_letters_what_was_in_flight_so_nothing_is_lost() {
    const SENT: i64 = 3_000;
    let runner = DataflowRunner::new(
        &slow_flow::dataflow(),
        &slow_flow::analysis(),
        &slow_flow::deployment(),
        slow_flow::factories(),
    )
    .expect("deployable");
    let mut running = runner.start().expect("started");
    let mut source = running.take_source("readings", 0).expect("producer 0");
    // The sender waits while the links are full: it runs beside the stop.
    let sender = tokio::spawn(async move {
        for value in 0..SENT {
            source.send(Reading { sensor: 1, value }).await;
        }
        source
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let report = tokio::time::timeout(
        Duration::from_secs(30),
        running.finish_within(Duration::from_millis(200)),
    )
    .await
    .expect("finish_within returns")
    .expect("a report");
    let source = sender.await.expect("the sender ends after the stop");
    drop(source);
    assert!(report.stopped_after.is_some(), "the run was stopped");
    let passed: Vec<i64> = report
        .read_sink::<Reading>("passed")
        .expect("readings")
        .into_iter()
        .map(|(_, r)| r.value)
        .collect();
    let abandoned: Vec<i64> = report
        .dead_letters
        .iter()
        .filter(|d| d.reason == DeadLetterReason::Abandoned)
        .filter_map(|d| d.payload.int("value"))
        .collect();
    assert!(
        !abandoned.is_empty(),
        "records were on their way at the stop"
    );
    assert!(passed.len() < SENT as usize, "stopped before the end");
    // What the source sent before the stop: every value up to the last one
    // that reached the sink or a dead letter, each exactly once.
    let mut seen: Vec<i64> = passed.iter().chain(&abandoned).copied().collect();
    seen.sort_unstable();
    let sent_before_stop = seen.len() as i64;
    assert_eq!(
        seen,
        (0..sent_before_stop).collect::<Vec<_>>(),
        "each record sent before the stop reached the sink or is a dead letter, once"
    );
    let stopped = report.failures().into_iter().find_map(|f| match f {
        RunFailure::Stopped { abandoned, .. } => Some(abandoned),
        _ => None,
    });
    assert!(
        stopped.is_some_and(|n| n >= abandoned.len() as u64),
        "{stopped:?}"
    );
}
