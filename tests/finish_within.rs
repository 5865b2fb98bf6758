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
    sealing.seal(Sensor { sensor: 1 }).await;
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
        source.seal(Sensor { sensor: 1 }).await;
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
