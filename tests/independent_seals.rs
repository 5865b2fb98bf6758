//! A source stream declared `independent` (each partition has one producer)
//! into a confluent component of several instances: each instance forwards
//! a partition's seal, and runs `#[on_seal]`, once that partition's one
//! producer sealed it, not once every producer did (which never happens for
//! a partition another producer does not own); downstream, the seals of the
//! confluent component's instances are voted on unanimously.

use std::collections::BTreeMap;

use blazes::runtime::{DataflowRunner, RunReport, Workload};
use blazes::sim::{SimConfig, Simulation};

#[derive(blazes::Record, Clone)]
pub struct Order {
    pub id: u64,
    pub region: String,
    pub amount: i64,
}

#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Total {
    pub region: String,
    pub total: i64,
}

#[derive(blazes::Record)]
struct Region {
    region: String,
}

pub mod parts {
    use super::{Order, Total};
    use blazes::component;
    use std::collections::BTreeMap;

    /// Passes orders on; counts the regions whose seal it saw.
    #[component]
    #[derive(Default)]
    pub struct Pass;

    #[component(outputs { passed: Order, sealed: Total })]
    impl Pass {
        #[path(from = orders, to = passed, label = CR)]
        #[path(from = orders, to = sealed, label = CR)]
        fn orders(&mut self, order: Order, out: &mut PassOut) {
            out.passed(order);
        }

        #[on_seal(orders)]
        fn region_done(&mut self, region: String, out: &mut PassOut) {
            out.sealed(Total { region, total: 0 });
        }
    }

    /// Sums each region once it is sealed.
    #[component]
    #[derive(Default)]
    pub struct Sum(BTreeMap<String, i64>);

    #[component(outputs { totals: Total })]
    impl Sum {
        #[path(from = orders, to = totals, label = OW, gate = [region])]
        fn orders(&mut self, order: Order, _out: &mut SumOut) {
            *self.0.entry(order.region).or_default() += order.amount;
        }

        #[on_seal(orders)]
        fn sealed(&mut self, region: String, out: &mut SumOut) {
            let total = self.0.remove(&region).unwrap_or(0);
            out.totals(Total { region, total });
        }
    }
}

#[blazes::dataflow]
pub mod regions {
    blazes::components! { super::parts::Pass, super::parts::Sum }

    streams! {
        orders -> Pass.orders { seal: [region], independent };
        Pass.passed -> Sum.orders;
        Pass.sealed -> seen;
        Sum.totals -> totals;
    }
}

/// Producer 0 owns `north`, producer 1 `south`; each seals only its own.
fn workload() -> (Workload, BTreeMap<String, i64>) {
    let mut workload = Workload::new();
    let mut expected = BTreeMap::new();
    for (producer, region) in [(0, "north"), (1, "south")] {
        for id in 0..20u64 {
            let amount = (id as i64 * 7 + producer as i64) % 50;
            *expected.entry(region.to_string()).or_default() += amount;
            let order = Order {
                id,
                region: region.into(),
                amount,
            };
            workload = workload.record("orders", producer, order);
        }
        workload = workload.seal(
            "orders",
            producer,
            Region {
                region: region.into(),
            },
        );
    }
    (workload, expected)
}

fn deployment() -> blazes::runtime::Deployment {
    regions::deployment()
        .source_producers("orders", 2)
        .instances("Pass", 2)
}

fn totals(report: &RunReport) -> BTreeMap<String, i64> {
    report
        .read_sink::<Total>("totals")
        .expect("totals")
        .into_iter()
        .map(|(_, t)| (t.region, t.total))
        .collect()
}

/// Each Pass instance ran `#[on_seal]` once per region.
fn seen(report: &RunReport) -> usize {
    report.read_sink::<Total>("seen").expect("seen").len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_independent_partition_is_forwarded_on_its_one_producers_seal_on_tokio() {
    let (workload, expected) = workload();
    for seed in 0..5 {
        let runner = DataflowRunner::new(
            &regions::dataflow(),
            &regions::analysis(),
            &deployment().seed(seed),
            regions::factories(),
        )
        .expect("deployable");
        let report = runner
            .start()
            .expect("started")
            .run_workload(&workload)
            .await
            .expect("runs");
        assert!(report.is_success(), "seed {seed}: {:#?}", report.failures());
        assert_eq!(totals(&report), expected, "seed {seed}");
        assert_eq!(seen(&report), 4, "seed {seed}: 2 instances x 2 regions");
    }
}

#[test]
fn an_independent_partition_is_forwarded_on_its_one_producers_seal_in_the_simulator() {
    let (workload, expected) = workload();
    let sim = Simulation::new(
        &regions::dataflow(),
        &regions::analysis(),
        &deployment(),
        regions::factories(),
    )
    .expect("deployable");
    for seed in 0..200 {
        let config = SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2);
        let outcome = sim.run(&workload, &config).expect("runs");
        let report = &outcome.report;
        assert!(report.is_success(), "seed {seed}: {:#?}", report.failures());
        assert_eq!(totals(report), expected, "seed {seed}");
        assert_eq!(seen(report), 4, "seed {seed}");
    }
}
