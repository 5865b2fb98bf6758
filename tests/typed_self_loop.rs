//! A component that feeds itself (reachability: each node found looks up
//! the links out of it), with a second output outside the loop and a sealed
//! source. A seal on a stream inside a loop counts for nothing (spec §4.2):
//! the runtime neither forwards the source's seals onto the loop's output
//! (the loop makes more records of a round after its punctuation), nor
//! sends an instance's own punctuations back to itself, and a run ends
//! clean, with the reachable nodes the direct computation finds.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use blazes::runtime::{DataflowRunner, RunReport, Workload};
use blazes::{Label, Record};

#[derive(Record, Clone, Debug)]
pub struct Link {
    from: i64,
    to: i64,
    round: i64,
}

#[derive(Record, Clone, Debug)]
pub struct Found {
    node: i64,
    round: i64,
}

#[derive(Record, Clone, Debug)]
pub struct Round {
    round: i64,
}

/// Reach's state and step, shared by both versions of the component.
#[derive(Default)]
pub struct Reachable {
    links: BTreeMap<i64, BTreeSet<i64>>,
    found: BTreeSet<i64>,
}

impl Reachable {
    /// Records `link`; the nodes it makes reachable.
    fn link(&mut self, link: &Link) -> Vec<Found> {
        self.links.entry(link.from).or_default().insert(link.to);
        let mut new = Vec::new();
        if link.from == 0 && self.found.insert(0) {
            new.push(0);
        }
        if self.found.contains(&link.from) && self.found.insert(link.to) {
            new.push(link.to);
        }
        found_in(new, link.round)
    }

    /// The nodes reachable through `found`'s links, not found before.
    fn step(&mut self, found: &Found) -> Vec<Found> {
        let node = found.node;
        let next: Vec<i64> = self
            .links
            .get(&node)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        let new = next.into_iter().filter(|n| self.found.insert(*n)).collect();
        found_in(new, found.round)
    }
}

fn found_in(nodes: Vec<i64>, round: i64) -> Vec<Found> {
    nodes
        .into_iter()
        .map(|node| Found { node, round })
        .collect()
}

pub mod plain {
    use super::{Found, Link, Reachable};
    use blazes::component;

    /// Finds reachable nodes; its `found` output feeds itself.
    #[component]
    #[derive(Default)]
    pub struct Reach(Reachable);

    #[component(outputs { found: Found, log: Link })]
    impl Reach {
        #[path(from = links, to = found, label = CW)]
        #[path(from = links, to = log, label = CR)]
        fn links(&mut self, link: Link, out: &mut ReachOut) {
            self.0.link(&link).into_iter().for_each(|f| out.found(f));
            out.log(link);
        }

        #[path(from = found, to = found, label = CR)]
        fn found(&mut self, f: Found, out: &mut ReachOut) {
            self.0.step(&f).into_iter().for_each(|f| out.found(f));
        }
    }

    /// Passes what Reach found on.
    #[component]
    #[derive(Default)]
    pub struct Watch;

    #[component(outputs { seen: Found })]
    impl Watch {
        #[path(from = found, to = seen, label = CR)]
        fn found(&mut self, f: Found, out: &mut WatchOut) {
            out.seen(f);
        }
    }
}

// `round` is in no gate: blazes warns that the seal protects nothing (here
// it only carries on to the log).
#[allow(deprecated)]
#[blazes::dataflow]
pub mod graph {
    blazes::components! { super::plain::Reach, super::plain::Watch }

    streams! {
        links -> Reach.links { seal: [round] };
        Reach.found -> Reach.found;
        Reach.found -> Watch.found;
        Reach.log -> log;
        Watch.seen -> seen;
    }
}

pub mod punctuating {
    use super::{Found, Link, Reachable};
    use blazes::component;

    /// As `plain::Reach`, but it punctuates `found` on each round the
    /// source seals (a claim of its own: the loop may still add to it).
    #[component]
    #[derive(Default)]
    pub struct Reach(Reachable);

    #[component(outputs { found: Found { punctuates: [round] }, log: Link })]
    impl Reach {
        #[path(from = links, to = found, label = CW)]
        #[path(from = links, to = log, label = CR)]
        fn links(&mut self, link: Link, out: &mut ReachOut) {
            self.0.link(&link).into_iter().for_each(|f| out.found(f));
            out.log(link);
        }

        #[path(from = found, to = found, label = CR)]
        fn found(&mut self, f: Found, out: &mut ReachOut) {
            self.0.step(&f).into_iter().for_each(|f| out.found(f));
        }

        #[on_seal(links)]
        fn round_done(&mut self, round: i64, out: &mut ReachOut) {
            out.punctuate_found(round);
        }
    }
}

#[blazes::dataflow]
pub mod punctuated {
    blazes::components! { super::punctuating::Reach, super::plain::Watch }

    streams! {
        links -> Reach.links { seal: [round] };
        Reach.found -> Reach.found;
        Reach.found -> Watch.found;
        Reach.log -> log;
        Watch.seen -> seen;
    }
}

const ROUNDS: i64 = 4;

/// Forty links in four sealed rounds, and the nodes reachable from 0.
fn links() -> (Workload, BTreeSet<i64>) {
    let links: Vec<(i64, i64)> = (0..40).map(|i| ((i * 7) % 23, (i * 11 + 3) % 23)).collect();
    let mut workload = Workload::new();
    for (i, (from, to)) in (0i64..).zip(&links) {
        let round = i / 10;
        workload = workload.record(
            "links",
            0,
            Link {
                from: *from,
                to: *to,
                round,
            },
        );
        if i % 10 == 9 {
            workload = workload.seal("links", 0, Round { round });
        }
    }
    let mut adjacent: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (from, to) in &links {
        adjacent.entry(*from).or_default().push(*to);
    }
    let mut found = BTreeSet::new();
    let mut next = vec![0];
    while let Some(node) = next.pop() {
        if found.insert(node) {
            next.extend(adjacent.get(&node).into_iter().flatten());
        }
    }
    (workload, found)
}

fn run(runner: DataflowRunner, workload: &Workload) -> RunReport {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let running = runner.start().expect("starts");
        tokio::time::timeout(Duration::from_secs(30), running.run_workload(workload))
            .await
            .expect("the loop ends (no hang)")
            .expect("runs")
    })
}

fn nodes(report: &RunReport) -> BTreeSet<i64> {
    let seen = report.read_sink::<Found>("seen").expect("the sink");
    seen.into_iter().map(|(_, f)| f.node).collect()
}

#[test]
fn a_source_seal_is_not_forwarded_onto_a_loops_output() {
    let analysis = graph::analysis();
    // Inside the loop nothing is sealed; outside it the seal carries on.
    assert_eq!(analysis.outputs.get("Reach.found"), Some(&Label::Async));
    assert!(matches!(
        analysis.outputs.get("Reach.log"),
        Some(Label::Seal(_))
    ));
    let (workload, expected) = links();
    let runner = DataflowRunner::new(
        &graph::dataflow(),
        &analysis,
        &graph::deployment(),
        graph::factories(),
    )
    .expect("deployable");
    let report = run(runner, &workload);
    assert!(report.is_success(), "{:?}", report.failures());
    assert_eq!(nodes(&report), expected);
    assert_eq!(
        report.component_totals("Watch").seals,
        0,
        "no seal may leave the loop: the loop adds records of a round after its seal"
    );
    // The log, outside the loop, is sealed once per round.
    let log_seals = report.sink("log").expect("the sink").seals.len();
    assert_eq!(log_seals, ROUNDS as usize);
}

#[test]
fn an_instances_punctuation_of_its_loop_output_reaches_only_the_consumers_outside() {
    let analysis = punctuated::analysis();
    let (workload, expected) = links();
    let runner = DataflowRunner::new(
        &punctuated::dataflow(),
        &analysis,
        &punctuated::deployment(),
        punctuated::factories(),
    )
    .expect("deployable");
    let report = run(runner, &workload);
    assert!(report.is_success(), "{:?}", report.failures());
    assert_eq!(nodes(&report), expected);
    assert_eq!(report.component_totals("Watch").seals, ROUNDS as u64);
    assert_eq!(report.component_totals("Reach").unknown_sealers, 0);
}
