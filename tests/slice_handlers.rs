//! Typed handlers that take a slice of their input's records (`&[R]`): the
//! runtime hands each stretch of records carried one after the other in
//! one typed batch (a source's batch, what one flush emitted, a released
//! partition) to one call, in place. The results are those of handling
//! the records one by one; a call that panics loses its whole slice to the
//! dead letters, and nothing else.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use blazes::Record;
use blazes::runtime::{DataflowRunner, DeadLetterReason, Deployment, RunReport, Workload};
use blazes::sim::{SimConfig, Simulation};

/// A value of batch `batch`.
#[derive(Record, Clone, Debug)]
pub struct Reading {
    batch: i64,
    value: i64,
}

/// The sum of a batch's doubled values.
#[derive(Record, Clone, Debug, PartialEq)]
pub struct BatchSum {
    batch: i64,
    sum: i64,
}

/// Calls of `Double::readings`, and the records they were handed.
static CALLS: AtomicUsize = AtomicUsize::new(0);
static HANDED: AtomicUsize = AtomicUsize::new(0);
/// Calls of `Sum::doubled`.
static SUM_CALLS: AtomicUsize = AtomicUsize::new(0);
/// The value whose slice `Double` panics on (none below zero).
static POISON: AtomicI64 = AtomicI64::new(-1);

pub mod parts {
    use std::collections::BTreeMap;
    use std::sync::atomic::Ordering;

    use blazes::component;

    use super::{BatchSum, CALLS, HANDED, POISON, Reading, SUM_CALLS};

    /// Doubles each value, a slice at a time.
    #[component]
    #[derive(Default)]
    pub struct Double;

    #[component(outputs { doubled: Reading })]
    impl Double {
        #[path(from = readings, to = doubled, label = CR)]
        fn readings(&mut self, readings: &[Reading], out: &mut DoubleOut) {
            CALLS.fetch_add(1, Ordering::Relaxed);
            HANDED.fetch_add(readings.len(), Ordering::Relaxed);
            out.doubled_all(readings.iter().map(|r| Reading {
                batch: r.batch,
                value: r.value * 2,
            }));
            let poison = POISON.load(Ordering::Relaxed);
            assert!(
                !readings.iter().any(|r| r.value == poison),
                "poisoned slice"
            );
        }
    }

    /// Sums each batch, a slice at a time; reports it once sealed.
    #[component]
    #[derive(Default)]
    pub struct Sum {
        sums: BTreeMap<i64, i64>,
    }

    #[component(outputs { sums: BatchSum })]
    impl Sum {
        #[path(from = doubled, to = sums, label = OW, gate = [batch])]
        fn doubled(&mut self, readings: &'_ [Reading], _out: &mut SumOut) {
            SUM_CALLS.fetch_add(1, Ordering::Relaxed);
            for r in readings {
                *self.sums.entry(r.batch).or_default() += r.value;
            }
        }

        #[on_seal(doubled)]
        fn sealed(&mut self, batch: i64, out: &mut SumOut) {
            if let Some(sum) = self.sums.remove(&batch) {
                out.sums(BatchSum { batch, sum });
            }
        }
    }
}

#[blazes::dataflow]
pub mod pipeline {
    blazes::components! { super::parts::Double, super::parts::Sum }

    streams! {
        readings -> Double.readings { seal: [batch] };
        Double.doubled -> Sum.doubled;
        Sum.sums -> sums;
    }
}

const BATCHES: i64 = 6;
const PER_BATCH: i64 = 300;

fn reading(i: i64) -> Reading {
    Reading {
        batch: i / PER_BATCH,
        value: i,
    }
}

/// Each batch's sum of doubled values, leaving out `lost` values.
fn truth(lost: &[i64]) -> BTreeMap<i64, i64> {
    let mut sums = BTreeMap::new();
    for i in (0..BATCHES * PER_BATCH).filter(|i| !lost.contains(i)) {
        *sums.entry(i / PER_BATCH).or_default() += 2 * i;
    }
    sums
}

fn sums(report: &RunReport) -> BTreeMap<i64, i64> {
    let mut sums = BTreeMap::new();
    for (_, s) in report.read_sink::<BatchSum>("sums").expect("the sums sink") {
        *sums.entry(s.batch).or_default() += s.sum;
    }
    sums
}

fn deployment() -> Deployment {
    pipeline::deployment()
        .source_producers("readings", 2)
        .instances("Double", 2)
}

/// Runs the pipeline on tokio, each producer sending its half of every
/// batch in one `send_batch`, then sealing it.
fn run_on_tokio() -> RunReport {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let runner = DataflowRunner::new(
            &pipeline::dataflow(),
            &pipeline::analysis(),
            &deployment(),
            pipeline::factories(),
        )
        .expect("deployable");
        let mut running = runner.start().expect("starts");
        let mut tasks = Vec::new();
        for p in 0..2 {
            let mut source = running.take_source("readings", p).expect("a producer");
            tasks.push(tokio::spawn(async move {
                for batch in 0..BATCHES {
                    let records = (batch * PER_BATCH..(batch + 1) * PER_BATCH)
                        .filter(|i| i % 2 == p as i64)
                        .map(reading);
                    source.send_batch(records).await;
                    let key = Reading { batch, value: 0 };
                    source.seal(key).await.expect("sealed on batch");
                }
                source.close().await;
            }));
        }
        for task in tasks {
            task.await.expect("producer");
        }
        running.finish().await.expect("runs")
    })
}

/// One test at a time touches the counters.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn slices_are_handed_whole_and_the_sums_are_the_direct_ones() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    POISON.store(-1, Ordering::Relaxed);
    CALLS.store(0, Ordering::Relaxed);
    HANDED.store(0, Ordering::Relaxed);
    let report = run_on_tokio();
    assert!(report.is_success(), "{:?}", report.failures());
    assert_eq!(sums(&report), truth(&[]));
    let (calls, handed) = (
        CALLS.load(Ordering::Relaxed),
        HANDED.load(Ordering::Relaxed),
    );
    assert_eq!(handed, (BATCHES * PER_BATCH) as usize, "every record once");
    // 1,800 records in 12 source batches of 150: a call per record would
    // make 1,800 calls.
    assert!(calls * 10 <= handed, "{calls} calls for {handed} records");
}

#[test]
fn a_panicking_slice_call_dead_letters_its_records_and_only_them() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    POISON.store(PER_BATCH + 7, Ordering::Relaxed);
    let report = run_on_tokio();
    POISON.store(-1, Ordering::Relaxed);
    let lost: Vec<i64> = report
        .dead_letters
        .iter()
        .map(|d| {
            assert!(
                matches!(d.reason, DeadLetterReason::HandlerPanicked(_)),
                "{d:?}"
            );
            d.payload.int("value").expect("a reading")
        })
        .collect();
    assert!(lost.contains(&(PER_BATCH + 7)), "{lost:?}");
    assert!(lost.len() > 1, "the whole slice is lost: {lost:?}");
    // What the panicking call emitted was discarded; every other record
    // was summed.
    assert_eq!(sums(&report), truth(&lost));
    assert_eq!(report.component_totals("Double").handler_panics, 1);
}

#[test]
fn slice_handlers_give_the_direct_sums_under_faults() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    POISON.store(-1, Ordering::Relaxed);
    // A smaller workload than on tokio: a replayed link sends again what
    // its producer sent since its checkpoint.
    let per_batch = 40;
    let mut workload = Workload::new();
    let mut expected = BTreeMap::new();
    for batch in 0..BATCHES {
        for i in batch * PER_BATCH..batch * PER_BATCH + per_batch {
            workload = workload.record("readings", (i % 2) as usize, reading(i));
            *expected.entry(batch).or_insert(0) += 2 * i;
        }
        for p in 0..2 {
            workload = workload.seal("readings", p, Reading { batch, value: 0 });
        }
    }
    let sim = Simulation::new(
        &pipeline::dataflow(),
        &pipeline::analysis(),
        &deployment(),
        pipeline::factories(),
    )
    .expect("deployable");
    for seed in 0..200 {
        let config = SimConfig::new(seed).with_faults(0.05, 0.002, 0.01, 2);
        let outcome = sim.run(&workload, &config).expect("runs");
        assert!(
            outcome.report.is_success(),
            "seed {seed} ({} steps, truncated: {}, {} crashes, {} replays): {:?}",
            outcome.steps,
            outcome.truncated,
            outcome.crashes,
            outcome.replays,
            outcome.report.failures()
        );
        assert_eq!(sums(&outcome.report), expected, "seed {seed}");
    }
}

/// An order of a store, in a region, on a day.
#[derive(Record, Clone, Debug)]
pub struct Order {
    region: i64,
    store: i64,
    day: i64,
    amount: i64,
}

/// A store's total of a day.
#[derive(Record, Clone, Debug)]
pub struct Total {
    store: i64,
    day: i64,
    total: i64,
}

/// Calls of `Totals::orders`, and the orders they were handed.
static ORDER_CALLS: AtomicUsize = AtomicUsize::new(0);
static ORDERS_HANDED: AtomicUsize = AtomicUsize::new(0);

pub mod shop_parts {
    use std::collections::BTreeMap;
    use std::sync::atomic::Ordering;

    use blazes::component;

    use super::{ORDER_CALLS, ORDERS_HANDED, Order, Total};

    /// Per store and day, the sum of the orders; a region's day is reported
    /// once it is sealed.
    #[component]
    #[derive(Default)]
    pub struct Totals {
        totals: BTreeMap<(i64, i64), i64>,
        regions: BTreeMap<i64, i64>,
    }

    #[component(outputs { totals: Total })]
    impl Totals {
        #[path(from = orders, to = totals, label = OW, gate = [store, day])]
        fn orders(&mut self, orders: &[Order], _out: &mut TotalsOut) {
            ORDER_CALLS.fetch_add(1, Ordering::Relaxed);
            ORDERS_HANDED.fetch_add(orders.len(), Ordering::Relaxed);
            for o in orders {
                *self.totals.entry((o.store, o.day)).or_default() += o.amount;
                self.regions.insert(o.store, o.region);
            }
        }

        #[on_seal(orders)]
        fn sealed(&mut self, region: i64, day: i64, out: &mut TotalsOut) {
            let done: Vec<(i64, i64)> = self
                .totals
                .keys()
                .copied()
                .filter(|(s, d)| *d == day && self.regions.get(s) == Some(&region))
                .collect();
            for (store, day) in done {
                let total = self.totals.remove(&(store, day)).unwrap_or(0);
                out.totals(Total { store, day, total });
            }
        }
    }
}

/// Orders of interleaved stores, sealed per region and day (each store in
/// one region), summed by 2 instances of `Totals` routed by store.
#[blazes::dataflow]
pub mod shop {
    blazes::components! { super::shop_parts::Totals }
    fds! { store -> region; }
    streams! {
        orders -> Totals.orders { seal: [region, day], route: [store] };
        Totals.totals -> totals;
    }
}

#[test]
fn records_of_a_partition_held_apart_are_gathered_into_one_slice() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut truth: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut batches = Vec::new();
    for day in 0..4 {
        // Consecutive orders are of different stores (and regions).
        let orders: Vec<Order> = (0..300)
            .map(|i| Order {
                region: (i % 12) % 3,
                store: i % 12,
                day,
                amount: (i * 13 + day) % 97,
            })
            .collect();
        for o in &orders {
            *truth.entry((o.store, o.day)).or_default() += o.amount;
        }
        batches.push(orders);
    }
    ORDER_CALLS.store(0, Ordering::Relaxed);
    ORDERS_HANDED.store(0, Ordering::Relaxed);
    let report = rt.block_on(async {
        let deployment = shop::deployment().instances("Totals", 2);
        let runner = DataflowRunner::new(
            &shop::dataflow(),
            &shop::analysis(),
            &deployment,
            shop::factories(),
        )
        .expect("deployable");
        let mut running = runner.start().expect("starts");
        let mut source = running.take_source("orders", 0).expect("a producer");
        for (day, orders) in batches.into_iter().enumerate() {
            source.send_batch(orders).await;
            for region in 0..3 {
                let key = Order {
                    region,
                    store: 0,
                    day: day as i64,
                    amount: 0,
                };
                source.seal(key).await.expect("sealed on region and day");
            }
        }
        source.close().await;
        running.finish().await.expect("runs")
    });
    assert!(report.is_success(), "{:?}", report.failures());
    let mut totals = BTreeMap::new();
    for (_, t) in report.read_sink::<Total>("totals").expect("the totals") {
        assert!(totals.insert((t.store, t.day), t.total).is_none());
    }
    assert_eq!(totals, truth);
    let (calls, handed) = (
        ORDER_CALLS.load(Ordering::Relaxed),
        ORDERS_HANDED.load(Ordering::Relaxed),
    );
    assert_eq!(handed, 1200, "every order once");
    // A partition (a region's day) is a third of a day's orders, held apart
    // in the runs: one call per partition and instance, not per order.
    assert!(calls * 10 <= handed, "{calls} calls for {handed} orders");
}

#[test]
fn a_batch_of_a_thousand_records_reaches_each_slice_handler_in_one_call() {
    // At the default channel capacity (1,024) a source's batch of 1,000
    // records is one run: Double takes it in one call, and Sum's seal
    // buffer holds the run Double emitted as one piece (its first record,
    // which opened the partition, included) and hands it over in one call.
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    POISON.store(-1, Ordering::Relaxed);
    CALLS.store(0, Ordering::Relaxed);
    SUM_CALLS.store(0, Ordering::Relaxed);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = rt.block_on(async {
        let runner = DataflowRunner::new(
            &pipeline::dataflow(),
            &pipeline::analysis(),
            &pipeline::deployment(),
            pipeline::factories(),
        )
        .expect("deployable");
        let mut running = runner.start().expect("starts");
        let mut source = running.take_source("readings", 0).expect("a producer");
        source
            .send_batch((0..1_000).map(|value| Reading { batch: 0, value }))
            .await;
        source
            .seal(Reading { batch: 0, value: 0 })
            .await
            .expect("sealed on batch");
        source.close().await;
        running.finish().await.expect("runs")
    });
    assert!(report.is_success(), "{:?}", report.failures());
    assert_eq!(sums(&report), BTreeMap::from([(0, 999 * 1_000)]));
    assert_eq!(CALLS.load(Ordering::Relaxed), 1, "Double's calls");
    assert_eq!(SUM_CALLS.load(Ordering::Relaxed), 1, "Sum's calls");
}
