//! A static order over two inputs: `Ledger` (replicated) applies
//! transactions (`OW[account]`) that charge overdrawn accounts the fee the
//! `rates` input (`OW`, no gate) set so far. Both inputs carry `seq:
//! [epoch]`, so the analysis orders them statically, together: the ledger
//! must apply epoch 0 of both inputs, then epoch 1 of both, and so on.
//! Ordering each input alone (as the runtime did) left the interleaving of
//! a rate with the transactions to arrival order: the simulator found 7
//! different outcomes in 200 schedules, and replicas that disagreed.

use std::collections::{BTreeMap, BTreeSet};

use blazes::Record;
use blazes::runtime::{DataflowRunner, RunReport, Workload};
use blazes::sim::{SimConfig, Simulation};

#[derive(Record, Clone, Debug)]
pub struct Txn {
    epoch: i64,
    account: i64,
    amount: i64,
}

#[derive(Record, Clone, Debug)]
pub struct Rate {
    epoch: i64,
    fee: i64,
}

#[derive(Record, Clone, Debug, PartialEq)]
pub struct Balance {
    epoch: i64,
    account: i64,
    balance: i64,
}

#[derive(Record, Clone, Debug)]
pub struct Epoch {
    epoch: i64,
}

pub mod ledger {
    use super::{Balance, Rate, Txn};
    use blazes::component;
    use std::collections::BTreeMap;

    /// Balances; an overdrawn account pays the fee set so far.
    #[component(rep)]
    #[derive(Default)]
    pub struct Ledger {
        balances: BTreeMap<i64, i64>,
        fee: i64,
    }

    #[component(outputs { balances: Balance })]
    impl Ledger {
        #[path(from = txns, to = balances, label = OW, gate = [account])]
        fn txn(&mut self, t: Txn, out: &mut LedgerOut) {
            let balance = self.balances.entry(t.account).or_insert(100);
            *balance += t.amount;
            if *balance < 0 {
                *balance -= self.fee;
            }
            out.balances(Balance {
                epoch: t.epoch,
                account: t.account,
                balance: *balance,
            });
        }

        #[path(from = rates, to = balances, label = OW)]
        fn rate(&mut self, r: Rate, _out: &mut LedgerOut) {
            self.fee = r.fee;
        }
    }
}

#[blazes::dataflow(coordinate = auto)]
pub mod bank {
    blazes::components! { super::ledger::Ledger }

    streams! {
        txns -> Ledger.txns { seq: [epoch] };
        rates -> Ledger.rates { seq: [epoch] };
        Ledger.balances -> balances;
    }
}

const EPOCHS: i64 = 4;

/// Two transaction producers and one rate producer, each sealing every
/// epoch after its records of it.
fn workload() -> Workload {
    let mut w = Workload::new();
    for epoch in 0..EPOCHS {
        for p in 0..2usize {
            for i in 0..5i64 {
                let amount = if (i + epoch) % 3 == 0 { -70 } else { 20 };
                let txn = Txn {
                    epoch,
                    account: (i + p as i64) % 3,
                    amount,
                };
                w = w.record("txns", p, txn);
            }
            w = w.seal("txns", p, Epoch { epoch });
        }
        w = w.record(
            "rates",
            0,
            Rate {
                epoch,
                fee: 3 + 4 * epoch,
            },
        );
        w = w.seal("rates", 0, Epoch { epoch });
    }
    w
}

fn deployment() -> blazes::runtime::Deployment {
    bank::deployment()
        .instances("Ledger", 3)
        .source_producers("txns", 2)
}

/// Each replica's balances, sorted.
fn by_replica(report: &RunReport) -> BTreeMap<String, Vec<(i64, i64, i64)>> {
    let mut replicas: BTreeMap<String, Vec<(i64, i64, i64)>> = BTreeMap::new();
    for (instance, b) in report.read_sink::<Balance>("balances").expect("the sink") {
        replicas
            .entry(instance)
            .or_default()
            .push((b.epoch, b.account, b.balance));
    }
    for rows in replicas.values_mut() {
        rows.sort();
    }
    replicas
}

/// The one outcome every replica of every run must give, or a panic.
fn one_outcome(report: &RunReport, what: &str) -> Vec<(i64, i64, i64)> {
    assert!(report.is_success(), "{what}: {:?}", report.failures());
    let replicas = by_replica(report);
    assert_eq!(replicas.len(), 3, "{what}");
    let distinct: BTreeSet<&Vec<(i64, i64, i64)>> = replicas.values().collect();
    assert_eq!(distinct.len(), 1, "{what}: the replicas disagree");
    replicas.into_values().next().unwrap_or_default()
}

#[test]
fn the_plan_orders_both_inputs_on_epoch() {
    let analysis = bank::analysis();
    let order = analysis
        .coordination
        .iter()
        .find(|c| c.component == "Ledger")
        .expect("a coordination at Ledger");
    assert_eq!(order.inputs, ["rates", "txns"]);
    assert!(
        matches!(
            &order.strategy,
            blazes::Strategy::Order { kind: blazes::OrderKind::Static { seq } }
                if *seq == blazes::attrs(["epoch"])
        ),
        "{:?}",
        order.strategy
    );
}

#[test]
fn every_schedule_with_faults_gives_one_outcome_and_tokio_gives_it_too() {
    let workload = workload();
    let sim = Simulation::new(
        &bank::dataflow(),
        &bank::analysis(),
        &deployment(),
        bank::factories(),
    )
    .expect("deployable");
    let mut outcomes = BTreeSet::new();
    for seed in 0..300 {
        let config = if seed % 2 == 0 {
            SimConfig::new(seed)
        } else {
            SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2)
        };
        let outcome = sim.run(&workload, &config).expect("runs");
        outcomes.insert(one_outcome(&outcome.report, &format!("seed {seed}")));
    }
    assert_eq!(outcomes.len(), 1, "{} outcomes", outcomes.len());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    for run in 0..3 {
        let report = runtime.block_on(async {
            DataflowRunner::new(
                &bank::dataflow(),
                &bank::analysis(),
                &deployment(),
                bank::factories(),
            )
            .expect("deployable")
            .start()
            .expect("starts")
            .run_workload(&workload)
            .await
            .expect("runs")
        });
        let got = one_outcome(&report, &format!("tokio run {run}"));
        assert!(outcomes.contains(&got), "tokio run {run} differs");
    }
}
