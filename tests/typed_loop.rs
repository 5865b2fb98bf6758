//! A typed dataflow of a shape the paper has none of, run on tokio: a
//! component with two outputs (`Validate`: valid and rejected orders), a
//! loop between components (rejected orders fixed by `Fixer` and sent back to
//! `Validate`), a many-to-one FD (`order -> customer`) and an order-sensitive
//! running total per customer. The analysis labels the total `Run` (the
//! loop adds orders after any seal upstream, so ordering is the only
//! coordination), the runner ends the loop once nothing is in flight, and
//! each customer's last total is the direct sum, in every run.

use std::collections::BTreeMap;
use std::time::Duration;

use blazes::runtime::{DataflowRunner, Deployment, Workload};
use blazes::{Label, Record};

#[derive(Record, Clone, Debug)]
pub struct Order {
    order: i64,
    customer: String,
    amount: i64,
    attempt: i64,
}

#[derive(Record, Clone, Debug)]
pub struct Rejection {
    order: i64,
    customer: String,
    amount: i64,
    attempt: i64,
}

#[derive(Record, Clone, Debug, PartialEq)]
pub struct Total {
    customer: String,
    total: i64,
}

pub mod validate {
    use super::{Order, Rejection};
    use blazes::component;

    #[component]
    #[derive(Default)]
    pub struct Validate;

    #[component(outputs { valid: Order, rejected: Rejection })]
    impl Validate {
        #[path(from = orders, to = valid, label = CR)]
        #[path(from = orders, to = rejected, label = CR)]
        fn orders(&mut self, o: Order, out: &mut ValidateOut) {
            if o.amount < 0 {
                out.rejected(Rejection {
                    order: o.order,
                    customer: o.customer,
                    amount: o.amount,
                    attempt: o.attempt,
                });
            } else {
                out.valid(o);
            }
        }

        #[path(from = retries, to = valid, label = CR)]
        #[path(from = retries, to = rejected, label = CR)]
        fn retries(&mut self, o: Order, out: &mut ValidateOut) {
            self.orders(o, out);
        }
    }
}

pub mod fixer {
    use super::{Order, Rejection};
    use blazes::component;

    /// Flips a negative amount: a rejected order comes back valid.
    #[component]
    #[derive(Default)]
    pub struct Fixer;

    #[component(outputs { fixed: Order })]
    impl Fixer {
        #[path(from = rejected, to = fixed, label = CR)]
        fn rejected(&mut self, r: Rejection, out: &mut FixerOut) {
            out.fixed(Order {
                order: r.order,
                customer: r.customer,
                amount: -r.amount,
                attempt: r.attempt + 1,
            });
        }
    }
}

pub mod totals {
    use super::{Order, Total};
    use blazes::component;
    use std::collections::BTreeMap;

    /// A running total per customer, sent after every order.
    #[component]
    #[derive(Default)]
    pub struct Totals(BTreeMap<String, i64>);

    #[component(outputs { totals: Total })]
    impl Totals {
        #[path(from = orders, to = totals, label = OW, gate = [customer])]
        fn orders(&mut self, o: Order, out: &mut TotalsOut) {
            let total = self.0.entry(o.customer.clone()).or_default();
            *total += o.amount;
            out.totals(Total {
                customer: o.customer,
                total: *total,
            });
        }
    }
}

#[blazes::dataflow(requires = convergent, coordinate = auto)]
pub mod shop {
    blazes::components! { super::validate::Validate, super::fixer::Fixer, super::totals::Totals }

    streams! {
        orders -> Validate.orders { seal: [customer] };
        Validate.rejected -> Fixer.rejected;
        Fixer.fixed -> Validate.retries;
        Validate.valid -> Totals.orders;
        Totals.totals -> report;
    }
    fds! { order -> customer; }
}

fn orders() -> (Workload, BTreeMap<String, i64>) {
    orders_of(40, 5)
}

/// `count` orders, every `rejected_every`th rejected once.
fn orders_of(count: i64, rejected_every: i64) -> (Workload, BTreeMap<String, i64>) {
    let mut workload = Workload::new();
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    for i in 0..count {
        let customer = format!("c{}", i % 3);
        // Every fifth order is rejected once, then fixed.
        let amount = if i % rejected_every == 0 {
            -(i + 1)
        } else {
            i + 1
        };
        *expected.entry(customer.clone()).or_default() += amount.abs();
        workload = workload.record(
            "orders",
            (i % 2) as usize,
            Order {
                order: i,
                customer,
                amount,
                attempt: 0,
            },
        );
    }
    (workload, expected)
}

/// Runs `workload` through the shop on two instances of Validate and
/// Fixer (links of `channel` messages), fails the test if it does not end
/// within 60 s, and returns each customer's last (highest) total and how
/// many totals the sink received.
fn run_shop(seed: u64, channel: usize, workload: &Workload) -> (BTreeMap<String, i64>, usize) {
    let deployment: Deployment = shop::deployment()
        .seed(seed)
        .channel_capacity(channel)
        .source_producers("orders", 2)
        .instances("Validate", 2)
        .instances("Fixer", 2);
    let runner = DataflowRunner::new(
        &shop::dataflow(),
        &shop::analysis(),
        &deployment,
        shop::factories(),
    )
    .expect("deployable");
    assert!(!runner.topology().cycle_cuts().is_empty(), "a loop");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let report = runtime.block_on(async {
        let running = runner.start().expect("starts");
        tokio::time::timeout(Duration::from_secs(60), running.run_workload(workload))
            .await
            .expect("the loop ends (no hang, no deadlock on full links)")
            .expect("runs")
    });
    assert!(report.is_success(), "seed {seed}: {:?}", report.failures());
    let totals = report.read_sink::<Total>("report").expect("the sink");
    let received = totals.len();
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    for (_, t) in totals {
        let best = last.entry(t.customer).or_default();
        *best = (*best).max(t.total);
    }
    (last, received)
}

#[test]
fn a_loop_a_two_output_component_and_a_many_to_one_fd_run_on_tokio() {
    assert_eq!(shop::analysis().sinks.get("report"), Some(&Label::Run));
    let (workload, expected) = orders();
    for seed in 0..10 {
        let (last, received) = run_shop(seed, 1024, &workload);
        assert_eq!(received, 40, "seed {seed}: one total per order");
        assert_eq!(last, expected, "seed {seed}");
    }
}

/// A loop under backpressure: links of two messages, and far more records
/// going round the loop than its links hold. Every stream of the loop waits
/// for room in the next, so unless the stream that closes the loop never
/// makes its producer wait, each instance of the loop waits for another
/// and the run never ends.
#[test]
fn a_loop_whose_links_are_full_still_ends() {
    let (workload, expected) = orders_of(2_000, 1);
    for seed in 0..3 {
        let (last, received) = run_shop(seed, 2, &workload);
        assert_eq!(received, 2_000, "seed {seed}: one total per order");
        assert_eq!(last, expected, "seed {seed}");
    }
}
