//! One input both held in a seal buffer and ordered by a sequencer. `Book`
//! is replicated: its `bids` path (`OW[auction]`) is sealed on `auction`,
//! so a seal buffer makes its winners deterministic; its `queries` read
//! (`OR[auction]`) races with `notes`, an unsealed write, so the analysis
//! orders `bids`, `notes` and `queries` through a sequencer (the dataflow
//! opts in with `coordinate = auto, requires = convergent`). The runtime
//! applies both to `bids`: the sequencer fixes one arrival order for every
//! replica, then the seal buffer holds each auction until both producers
//! sealed it. The runner used to refuse the plan ("gets two
//! coordinations") although the dataflow built.

use std::collections::{BTreeMap, BTreeSet};

use blazes::Record;
use blazes::runtime::{DataflowRunner, InputMode, RunReport, Workload};
use blazes::sim::{SimConfig, Simulation};

const AUCTIONS: u64 = 4;
const REPLICAS: usize = 3;

#[derive(Record, Clone, Debug)]
pub struct Bid {
    auction: u64,
    amount: i64,
}

#[derive(Record, Clone, Debug)]
pub struct Note {
    auction: u64,
}

#[derive(Record, Clone, Debug)]
pub struct Query {
    auction: u64,
    asker: i64,
}

#[derive(Record, Clone, Debug, PartialEq)]
pub struct Win {
    auction: u64,
    amount: i64,
}

#[derive(Record, Clone, Debug, PartialEq)]
pub struct Answer {
    auction: u64,
    asker: i64,
    best: i64,
    notes: i64,
}

pub mod book {
    use super::{Answer, Bid, Note, Query, Win};
    use blazes::component;
    use std::collections::BTreeMap;

    /// The best bid of each auction; the winner once the auction is sealed.
    #[component(rep)]
    #[derive(Default)]
    pub struct Book {
        best: BTreeMap<u64, i64>,
        notes: BTreeMap<u64, i64>,
    }

    #[component(outputs { wins: Win, answers: Answer })]
    impl Book {
        #[path(from = bids, to = wins, label = OW, gate = [auction])]
        fn bids(&mut self, bid: Bid, _out: &mut BookOut) {
            let best = self.best.entry(bid.auction).or_insert(i64::MIN);
            *best = (*best).max(bid.amount);
        }

        #[on_seal(bids)]
        fn closed(&mut self, auction: u64, out: &mut BookOut) {
            if let Some(amount) = self.best.get(&auction) {
                out.wins(Win {
                    auction,
                    amount: *amount,
                });
            }
        }

        #[path(from = notes, to = wins, label = CW)]
        fn notes(&mut self, note: Note, _out: &mut BookOut) {
            *self.notes.entry(note.auction).or_default() += 1;
        }

        #[path(from = queries, to = answers, label = OR, gate = [auction])]
        fn queries(&mut self, query: Query, out: &mut BookOut) {
            out.answers(Answer {
                auction: query.auction,
                asker: query.asker,
                best: self.best.get(&query.auction).copied().unwrap_or(0),
                notes: self.notes.get(&query.auction).copied().unwrap_or(0),
            });
        }
    }
}

#[blazes::dataflow(coordinate = auto, requires = convergent)]
pub mod auctions {
    blazes::components! { super::book::Book }

    streams! {
        bids -> Book.bids { seal: [auction] };
        notes -> Book.notes;
        queries -> Book.queries;
        Book.wins -> wins;
        Book.answers -> answers;
    }
}

/// Bids from two producers, each sealing every auction; notes and queries
/// interleaved. Returns the workload and the winning amount of each auction.
fn workload() -> (Workload, BTreeMap<u64, i64>) {
    let mut workload = Workload::new();
    let mut truth = BTreeMap::new();
    for producer in 0..2usize {
        for auction in 0..AUCTIONS {
            for i in 0..5i64 {
                let amount = (i * 7 + auction as i64 * 3 + producer as i64 * 11) % 23;
                let best = truth.entry(auction).or_insert(i64::MIN);
                *best = (*best).max(amount);
                workload = workload.record("bids", producer, Bid { auction, amount });
                workload = workload.record("notes", producer, Note { auction });
                workload = workload.record("queries", producer, Query { auction, asker: i });
            }
            workload = workload.seal("bids", producer, Note { auction });
        }
    }
    (workload, truth)
}

/// Book's replicas, and two producers for each source.
fn deployment() -> blazes::runtime::Deployment {
    auctions::deployment()
        .instances("Book", REPLICAS)
        .source_producers("bids", 2)
        .source_producers("notes", 2)
        .source_producers("queries", 2)
}

/// The wins of each replica, by auction.
type Wins = BTreeMap<String, BTreeMap<u64, i64>>;

fn wins_by_replica(report: &RunReport) -> Wins {
    let mut wins: Wins = BTreeMap::new();
    for (instance, win) in report.read_sink::<Win>("wins").expect("the wins sink") {
        let previous = wins
            .entry(instance)
            .or_default()
            .insert(win.auction, win.amount);
        assert_eq!(previous, None, "one win an auction and replica");
    }
    wins
}

fn answers_by_replica(report: &RunReport) -> BTreeMap<String, Vec<String>> {
    let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (instance, answer) in report
        .read_sink::<Answer>("answers")
        .expect("the answers sink")
    {
        answers
            .entry(instance)
            .or_default()
            .push(format!("{answer:?}"));
    }
    answers
}

/// The run succeeded, every replica reported the direct winners, and the
/// replicas gave the same answers.
fn assert_replicas_agree(report: &RunReport, truth: &BTreeMap<u64, i64>, what: &str) {
    assert!(report.is_success(), "{what}: {:?}", report.failures());
    let wins = wins_by_replica(report);
    assert_eq!(wins.len(), REPLICAS, "{what}");
    assert!(
        wins.values().all(|w| w == truth),
        "{what}: {wins:?} against {truth:?}"
    );
    let answers = answers_by_replica(report);
    let distinct: BTreeSet<&Vec<String>> = answers.values().collect();
    assert_eq!(
        distinct.len(),
        1,
        "{what}: the replicas answered differently"
    );
}

#[test]
fn the_plan_holds_the_sealed_input_and_orders_it_too() {
    let deployment = deployment();
    let sim = Simulation::new(
        &auctions::dataflow(),
        &auctions::analysis(),
        &deployment,
        auctions::factories(),
    )
    .expect("a seal buffer and a sequencer on one input are deployable");
    let t = sim.topology();
    let book = &t.components[t.component("Book").expect("Book")];
    let bids = book.inputs.iter().position(|i| i == "bids").expect("bids");
    assert!(matches!(book.plan.inputs[bids], InputMode::Sealed { .. }));
    assert_eq!(book.plan.ordered, vec![true; 3], "{:?}", book.inputs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_agree_and_winners_are_the_direct_ones_on_tokio() {
    let (workload, truth) = workload();
    let deployment = deployment();
    for _ in 0..3 {
        let runner = DataflowRunner::new(
            &auctions::dataflow(),
            &auctions::analysis(),
            &deployment,
            auctions::factories(),
        )
        .expect("deployable");
        let report = runner
            .start()
            .expect("starts")
            .run_workload(&workload)
            .await
            .expect("runs");
        assert_replicas_agree(&report, &truth, "tokio");
    }
}

#[test]
fn replicas_agree_and_winners_are_the_direct_ones_under_faults() {
    let (workload, truth) = workload();
    let deployment = deployment();
    let sim = Simulation::new(
        &auctions::dataflow(),
        &auctions::analysis(),
        &deployment,
        auctions::factories(),
    )
    .expect("deployable");
    for seed in 0..200 {
        let config = SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2);
        let outcome = sim.run(&workload, &config).expect("runs");
        assert_replicas_agree(&outcome.report, &truth, &format!("seed {seed}"));
    }
}
