//! An output fed by one of two inputs ordered together (`seq: [epoch]`)
//! ends only after the records of that input the static order still holds:
//! when `deposits` ends, its last epoch waits for the same epoch of
//! `rates`, and what the handler emits for it on `audit` (fed by
//! `deposits` alone) comes after every `deposits` producer has ended. The
//! output used to end at that point, so those emissions were refused and
//! the run failed ("emitted on an output after it ended").

use std::collections::BTreeMap;

use blazes::runtime::{DataflowRunner, RunReport, Workload};
use blazes::sim::{SimConfig, Simulation};

#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Deposit {
    epoch: i64,
    account: i64,
    cents: i64,
}

#[derive(blazes::Record, Clone, Debug)]
pub struct Rate {
    epoch: i64,
    percent: i64,
}

#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Balance {
    epoch: i64,
    account: i64,
    cents: i64,
}

pub mod bank_parts {
    use super::{Balance, Deposit, Rate};
    use blazes::component;
    use std::collections::BTreeMap;

    /// Deposits add, rates multiply: the order of the two inputs matters.
    #[component]
    #[derive(Default)]
    pub struct Ledger {
        accounts: BTreeMap<i64, i64>,
    }

    #[component(outputs { balances: Balance, audit: Deposit })]
    impl Ledger {
        #[path(from = deposits, to = balances, label = OW)]
        #[path(from = deposits, to = audit, label = CR)]
        fn deposits(&mut self, d: Deposit, out: &mut LedgerOut) {
            *self.accounts.entry(d.account).or_default() += d.cents;
            out.audit(d);
        }

        #[path(from = rates, to = balances, label = OW)]
        fn rates(&mut self, r: Rate, out: &mut LedgerOut) {
            for (account, cents) in self.accounts.iter_mut() {
                *cents += *cents * r.percent / 100;
                out.balances(Balance {
                    epoch: r.epoch,
                    account: *account,
                    cents: *cents,
                });
            }
        }
    }
}

#[blazes::dataflow(coordinate = auto)]
pub mod bank {
    blazes::components! { super::bank_parts::Ledger }
    streams! {
        deposits -> Ledger.deposits { seq: [epoch] };
        rates -> Ledger.rates { seq: [epoch] };
        Ledger.balances -> balances;
        Ledger.audit -> audit;
    }
}

const EPOCHS: i64 = 6;

/// Two producers of each input; the balances computed directly, epoch by
/// epoch: its deposits (producer by producer), then its rates.
fn workload() -> (Workload, Vec<Balance>, usize) {
    let mut workload = Workload::new();
    let mut accounts: BTreeMap<i64, i64> = BTreeMap::new();
    let (mut balances, mut deposits) = (Vec::new(), 0);
    for epoch in 0..EPOCHS {
        for producer in 0..2 {
            for k in 0..3 {
                let d = Deposit {
                    epoch,
                    account: (k + producer as i64) % 3,
                    cents: 100 * (epoch + 1) + k,
                };
                *accounts.entry(d.account).or_default() += d.cents;
                workload = workload.record("deposits", producer, d);
                deposits += 1;
            }
        }
        for (producer, percent) in [10, epoch % 3].into_iter().enumerate() {
            workload = workload.record("rates", producer, Rate { epoch, percent });
            for (account, cents) in accounts.iter_mut() {
                *cents += *cents * percent / 100;
                balances.push(Balance {
                    epoch,
                    account: *account,
                    cents: *cents,
                });
            }
        }
    }
    (workload, balances, deposits)
}

fn deployment() -> blazes::runtime::Deployment {
    bank::deployment()
        .source_producers("deposits", 2)
        .source_producers("rates", 2)
}

fn check(report: &RunReport, what: &str) {
    let (_, balances, deposits) = workload();
    assert!(report.is_success(), "{what}: {:?}", report.failures());
    let got: Vec<Balance> = report
        .read_sink::<Balance>("balances")
        .expect("balances")
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    assert_eq!(got, balances, "{what}");
    let audited = report.read_sink::<Deposit>("audit").expect("audit");
    assert_eq!(audited.len(), deposits, "{what}: every deposit audited");
}

#[test]
fn an_output_of_one_ordered_input_ends_after_the_batches_the_order_holds() {
    let (workload, _, _) = workload();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("tokio");
    for run in 0..3 {
        let runner = DataflowRunner::new(
            &bank::dataflow(),
            &bank::analysis(),
            &deployment(),
            bank::factories(),
        )
        .expect("deployable");
        let report = runtime
            .block_on(async {
                runner
                    .start()
                    .expect("started")
                    .run_workload(&workload)
                    .await
            })
            .expect("the run completes");
        check(&report, &format!("tokio run {run}"));
    }
    let sim = Simulation::new(
        &bank::dataflow(),
        &bank::analysis(),
        &deployment(),
        bank::factories(),
    )
    .expect("deployable");
    for seed in 0..100 {
        let outcome = sim.run(&workload, &SimConfig::new(seed)).expect("runs");
        check(&outcome.report, &format!("schedule {seed}"));
    }
}
