//! Swarm scheduling: each simulated run draws a pace for every source and
//! link, so a source with a single record sometimes comes late, as it can
//! on tokio. `Ledger` charges overdrawn accounts the fee `rates` set so far,
//! a read its `CW` annotation on `rates` hides (see docs/check.md): the
//! outcome depends on when the one rate arrives. Drawn uniformly among the
//! enabled actions, 200 schedules found a single outcome (the rate nearly
//! always came first); paced, they find several.

use std::collections::BTreeSet;

use blazes::Record;
use blazes::runtime::Workload;
use blazes::sim::{SimConfig, Simulation};

#[derive(Record, Clone, Debug)]
pub struct Txn {
    account: i64,
    amount: i64,
}

#[derive(Record, Clone, Debug)]
pub struct Rate {
    fee: i64,
}

#[derive(Record, Clone, Debug, PartialEq)]
pub struct Balance {
    account: i64,
    balance: i64,
}

pub mod ledger {
    use super::{Balance, Rate, Txn};
    use blazes::component;
    use std::collections::BTreeMap;

    /// Balances; an overdrawn account pays the fee set so far.
    #[component]
    #[derive(Default)]
    pub struct Ledger {
        balances: BTreeMap<i64, i64>,
        fee: i64,
    }

    #[component(outputs { balances: Balance })]
    impl Ledger {
        #[path(from = txns, to = balances, label = CR)]
        fn txn(&mut self, t: Txn, out: &mut LedgerOut) {
            let balance = self.balances.entry(t.account).or_insert(0);
            *balance += t.amount;
            if *balance < 0 {
                *balance -= self.fee;
            }
            out.balances(Balance {
                account: t.account,
                balance: *balance,
            });
        }

        #[path(from = rates, to = balances, label = CW)]
        fn rate(&mut self, r: Rate, _out: &mut LedgerOut) {
            self.fee = self.fee.max(r.fee);
        }
    }
}

#[blazes::dataflow(requires = convergent)]
pub mod bank {
    blazes::components! { super::ledger::Ledger }

    streams! {
        txns -> Ledger.txns;
        rates -> Ledger.rates;
        Ledger.balances -> balances;
    }
}

fn outcomes(uniform: bool) -> usize {
    let mut workload = Workload::new();
    for i in 0..30i64 {
        let txn = Txn {
            account: i % 3,
            amount: if i % 4 == 0 { -50 } else { 10 },
        };
        workload = workload.record("txns", 0, txn);
    }
    workload = workload.record("rates", 0, Rate { fee: 7 });
    let sim = Simulation::new(
        &bank::dataflow(),
        &bank::analysis(),
        &bank::deployment(),
        bank::factories(),
    )
    .expect("deployable");
    let mut seen = BTreeSet::new();
    for seed in 0..200 {
        let config = if uniform {
            SimConfig::new(seed).with_uniform_pace()
        } else {
            SimConfig::new(seed)
        };
        let outcome = sim.run(&workload, &config).expect("runs");
        assert!(
            outcome.report.is_success(),
            "{:?}",
            outcome.report.failures()
        );
        let mut rows: Vec<(i64, i64)> = outcome
            .report
            .read_sink::<Balance>("balances")
            .expect("the sink")
            .into_iter()
            .map(|(_, b)| (b.account, b.balance))
            .collect();
        rows.sort();
        seen.insert(rows);
    }
    seen.len()
}

#[test]
fn paced_schedules_let_a_single_record_source_come_late() {
    let uniform = outcomes(true);
    let paced = outcomes(false);
    assert!(
        paced >= 4 && paced > 2 * uniform,
        "paced schedules found {paced} outcomes, uniform ones {uniform}"
    );
}
