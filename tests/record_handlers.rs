//! Typed handlers of one record at a time (`fn(&mut self, R, ..)`) handed
//! a run of records that arrived together in one typed batch: the runtime
//! walks the run in place, one call per record. A call that panics loses
//! its own record and what it emitted, and nothing else: the records
//! before and after it in the same run are handled, and what they emitted
//! reaches the sink, in order.

use blazes::Record;
use blazes::runtime::{DataflowRunner, DeadLetterReason};

/// A number.
#[derive(Record, Clone, Debug, PartialEq)]
pub struct Num {
    v: i64,
}

/// The number `Echo` panics on.
const POISON: i64 = 37;

pub mod parts {
    use blazes::component;

    use super::{Num, POISON};

    /// Emits ten times each number, one record per call.
    #[component]
    #[derive(Default)]
    pub struct Echo;

    #[component(outputs { echoed: Num })]
    impl Echo {
        #[path(from = numbers, to = echoed, label = CR)]
        fn numbers(&mut self, n: Num, out: &mut EchoOut) {
            out.echoed(Num { v: n.v * 10 });
            assert_ne!(n.v, POISON, "poisoned number");
        }
    }
}

#[blazes::dataflow]
pub mod echo {
    blazes::components! { super::parts::Echo }

    streams! {
        numbers -> Echo.numbers;
        Echo.echoed -> echoed;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_call_in_a_run_loses_its_own_record_only() {
    let runner = DataflowRunner::new(
        &echo::dataflow(),
        &echo::analysis(),
        &echo::deployment(),
        echo::factories(),
    )
    .expect("deployable");
    let mut running = runner.start().expect("started");
    let mut source = running.take_source("numbers", 0).expect("producer 0");
    // One typed batch: one run, handed to `Echo` in place.
    source.send_batch((1..=100).map(|v| Num { v })).await;
    source.close().await;
    let report = running.finish().await.expect("finishes");
    let echoed: Vec<i64> = report
        .read_sink::<Num>("echoed")
        .expect("numbers")
        .into_iter()
        .map(|(_, n)| n.v)
        .collect();
    let expected: Vec<i64> = (1..=100).filter(|v| *v != POISON).map(|v| v * 10).collect();
    assert_eq!(echoed, expected, "every other record's emission, in order");
    let letters: Vec<(Option<i64>, DeadLetterReason)> = report
        .dead_letters
        .iter()
        .map(|d| (d.payload.int("v"), d.reason.clone()))
        .collect();
    assert_eq!(
        letters,
        [(
            Some(POISON),
            DeadLetterReason::HandlerPanicked(
                "assertion `left != right` failed: poisoned number\n  left: 37\n right: 37".into()
            )
        )]
    );
    let totals = report.component_totals("Echo");
    assert_eq!((totals.processed, totals.handler_panics), (99, 1));
}
