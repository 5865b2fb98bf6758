//! A run that stops moving says so (nothing fails silently at run time): a
//! `SourceHandle` still held while `finish` waits for its end keeps the run
//! open, and after the deployment's `overdue_after` without progress a
//! warning names the instances still open and the source producer not
//! closed; once the handle is dropped the run ends normally.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use blazes::runtime::DataflowRunner;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

#[derive(blazes::Record, Clone, Debug)]
pub struct Reading {
    pub sensor: i64,
    pub value: i64,
}

pub mod parts {
    use super::Reading;
    use blazes::component;

    /// Passes each reading on.
    #[component]
    #[derive(Default)]
    pub struct Pass;

    #[component(outputs { out: Reading })]
    impl Pass {
        #[path(from = readings, to = out, label = CR)]
        fn readings(&mut self, r: Reading, out: &mut PassOut) {
            out.out(r);
        }
    }
}

#[blazes::dataflow]
pub mod flow {
    blazes::components! { super::parts::Pass }

    streams! {
        readings -> Pass.readings;
        Pass.out -> shown;
    }
}

/// Keeps the message of every warning.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Warnings {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::WARN {
            let mut message = Message(String::new());
            event.record(&mut message);
            if let Ok(mut all) = self.0.lock() {
                all.push(message.0);
            }
        }
    }
}

// One thread: the subscriber set for this test sees every task.
#[tokio::test(flavor = "current_thread")]
async fn a_run_kept_open_by_a_held_source_handle_says_so_and_ends_once_it_is_dropped() {
    let warnings = Warnings::default();
    let _guard = tracing_subscriber::registry()
        .with(warnings.clone())
        .set_default();
    let deployment = flow::deployment()
        .source_producers("readings", 2)
        .overdue_after(Duration::from_millis(50));
    let runner = DataflowRunner::new(
        &flow::dataflow(),
        &flow::analysis(),
        &deployment,
        flow::factories(),
    )
    .expect("deployable");
    let mut running = runner.start().expect("started");
    let mut held = running.take_source("readings", 1).expect("producer 1");
    held.send(Reading {
        sensor: 1,
        value: 7,
    })
    .await;
    let finish = tokio::spawn(running.finish());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !finish.is_finished(),
        "the held producer keeps the run open"
    );
    let seen = warnings.0.lock().expect("warnings").clone();
    let stall: Vec<&String> = seen
        .iter()
        .filter(|w| w.contains("has received and handled nothing"))
        .collect();
    assert_eq!(stall.len(), 1, "one warning per stall: {seen:?}");
    assert!(
        stall[0].contains("instances still open: Pass[0]")
            && stall[0].contains("source producers not closed: readings[1]")
            && !stall[0].contains("readings[0]")
            && stall[0].contains("close or drop each `SourceHandle` before awaiting `finish`"),
        "{}",
        stall[0]
    );
    drop(held);
    let report = tokio::time::timeout(Duration::from_secs(10), finish)
        .await
        .expect("the run ends once the handle is dropped")
        .expect("the task")
        .expect("the run");
    assert!(report.is_success(), "{:?}", report.failures());
    assert_eq!(report.records("shown").len(), 1);
}
