//! The relaxation loops of spec S13 and S14 (`cases/loop_first_wins.yaml`,
//! `cases/loop_min.yaml`) as real handlers, on a small directed acyclic
//! graph with root node 0.
//!
//! `Expand` joins the edges it has seen with the nodes settled so far: a
//! node settled at distance `d` and an edge `node -> to` of weight `w` give
//! the candidate `to` at `d + w` (`CW` on the edges, `CR` on `settled`). The
//! root is settled at 0 from the start.
//!
//! `Settle` differs between the two cases:
//! - S13, [`FirstWins`]: the first candidate reaching a node settles it and
//!   is its tree edge; later ones are dropped (`OW[node]`: which one is
//!   first depends on the schedule, so the tree does).
//! - S14, [`AllDistances`]: every distance reaching a node is kept and sent
//!   once; the least of a node's distances in `tree` is its shortest path.
//!   A set only grows, so what it sends is the same in every run (`CW`).

use std::collections::{BTreeMap, BTreeSet};

use blazes::runtime::{Deployment, Factories};
use blazes::sim::Workload;
use blazes::{Emit, Handler, Tuple, UnknownInput};

/// The root of the graph.
pub const ROOT: i64 = 0;

/// Joins edges with settled nodes into candidates.
pub struct Expand {
    /// Out-edges by node: (to, weight).
    edges: BTreeMap<i64, Vec<(i64, i64)>>,
    /// Settled distances by node (a node may be settled at several with
    /// [`AllDistances`]).
    settled: BTreeMap<i64, BTreeSet<i64>>,
}

impl Default for Expand {
    fn default() -> Expand {
        Expand {
            edges: BTreeMap::new(),
            settled: BTreeMap::from([(ROOT, BTreeSet::from([0]))]),
        }
    }
}

fn candidate(out: &mut Emit, from: i64, to: i64, dist: i64) {
    out.emit(
        "candidates",
        Tuple::new()
            .with("node", to)
            .with("dist", dist)
            .with("via", from),
    );
}

impl Handler for Expand {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        let node = tuple.int("node").unwrap_or_default();
        match input {
            "edges" => {
                let to = tuple.int("to").unwrap_or_default();
                let weight = tuple.int("weight").unwrap_or_default();
                self.edges.entry(node).or_default().push((to, weight));
                for d in self.settled.get(&node).into_iter().flatten() {
                    candidate(out, node, to, d + weight);
                }
            }
            "settled" => {
                let dist = tuple.int("dist").unwrap_or_default();
                if self.settled.entry(node).or_default().insert(dist) {
                    for (to, weight) in self.edges.get(&node).into_iter().flatten() {
                        candidate(out, node, *to, dist + weight);
                    }
                }
            }
            other => return Err(UnknownInput::new(other, tuple)),
        }
        Ok(())
    }
}

/// S13: the first candidate per node wins.
#[derive(Default)]
pub struct FirstWins {
    settled: BTreeSet<i64>,
}

impl Handler for FirstWins {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "candidates" {
            return Err(UnknownInput::new(input, tuple));
        }
        let node = tuple.int("node").unwrap_or_default();
        if self.settled.insert(node) {
            let dist = tuple.int("dist").unwrap_or_default();
            out.emit(
                "settled",
                Tuple::new().with("node", node).with("dist", dist),
            );
            out.emit("tree", tuple);
        }
        Ok(())
    }
}

/// S14: every distance reaching a node, each sent once.
#[derive(Default)]
pub struct AllDistances {
    seen: BTreeSet<(i64, i64)>,
}

impl Handler for AllDistances {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "candidates" {
            return Err(UnknownInput::new(input, tuple));
        }
        let node = tuple.int("node").unwrap_or_default();
        let dist = tuple.int("dist").unwrap_or_default();
        if self.seen.insert((node, dist)) {
            let reached = Tuple::new().with("node", node).with("dist", dist);
            out.emit("settled", reached.clone());
            out.emit("tree", reached);
        }
        Ok(())
    }
}

/// The handlers of S13 (`first_wins`) or S14.
pub fn factories(first_wins: bool) -> Factories {
    let factories = Factories::new().with("Expand", || Box::<Expand>::default());
    if first_wins {
        factories.with("Settle", || Box::<FirstWins>::default())
    } else {
        factories.with("Settle", || Box::<AllDistances>::default())
    }
}

/// One instance of each component.
pub fn deployment() -> Deployment {
    Deployment::new()
}

/// The graph 0 -> 1 (1), 0 -> 3 (1), 3 -> 2 (1), 1 -> 2 (5): node 2 is
/// reached at 2 through node 3 and at 6 through node 1. Each node's
/// out-edges are sealed after them (the stream is sealed on `node`), node
/// 3's before node 1's: whether node 2 is first reached through 3 or
/// through 1 depends on whether node 3 was settled before its edge came.
pub fn workload() -> Workload {
    let edge = |node: i64, to: i64, weight: i64| {
        Tuple::new()
            .with("node", node)
            .with("to", to)
            .with("weight", weight)
    };
    let seal = |node: i64| Tuple::new().with("node", node);
    Workload::new()
        .record("edges", 0, edge(0, 1, 1))
        .record("edges", 0, edge(0, 3, 1))
        .seal("edges", 0, seal(0))
        .record("edges", 0, edge(3, 2, 1))
        .seal("edges", 0, seal(3))
        .record("edges", 0, edge(1, 2, 5))
        .seal("edges", 0, seal(1))
}
