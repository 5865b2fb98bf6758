//! The first-arrival-wins relaxation loop of spec S13
//! (`cases/loop_first_wins.yaml`): Expand turns edges and settled nodes into
//! candidates, Settle keeps the first candidate of each node (`OW[node]`)
//! and feeds it back as settled.

use std::collections::{BTreeMap, BTreeSet};

use blazes::runtime::{Deployment, Factories};
use blazes::sim::Workload;
use blazes::{Emit, Handler, Tuple, UnknownInput};

/// The root of the tree.
pub const ROOT: i64 = 0;

/// Keeps the edges; a candidate for each edge leaving a settled node.
#[derive(Default)]
pub struct Expand {
    edges: BTreeMap<i64, Vec<(i64, i64)>>,
    settled: BTreeMap<i64, i64>,
}

fn candidate(node: i64, parent: i64, dist: i64) -> Tuple {
    Tuple::new()
        .with("node", node)
        .with("parent", parent)
        .with("dist", dist)
}

impl Handler for Expand {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        match input {
            "edges" => {
                let from = tuple.int("node").unwrap_or_default();
                let to = tuple.int("to").unwrap_or_default();
                let weight = tuple.int("weight").unwrap_or_default();
                self.edges.entry(from).or_default().push((to, weight));
                let reached = if from == ROOT {
                    Some(0)
                } else {
                    self.settled.get(&from).copied()
                };
                if let Some(dist) = reached {
                    out.emit("candidates", candidate(to, from, dist + weight));
                }
            }
            "settled" => {
                let node = tuple.int("node").unwrap_or_default();
                let dist = tuple.int("dist").unwrap_or_default();
                self.settled.insert(node, dist);
                for (to, weight) in self.edges.get(&node).cloned().unwrap_or_default() {
                    out.emit("candidates", candidate(to, node, dist + weight));
                }
            }
            other => return Err(UnknownInput::new(other, tuple)),
        }
        Ok(())
    }
}

/// Keeps the first candidate of each node: it is settled, and its edge is
/// in the tree.
#[derive(Default)]
pub struct Settle {
    settled: BTreeSet<i64>,
}

impl Handler for Settle {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "candidates" {
            return Err(UnknownInput::new(input, tuple));
        }
        let node = tuple.int("node").unwrap_or_default();
        if node != ROOT && self.settled.insert(node) {
            out.emit(
                "settled",
                Tuple::new()
                    .with("node", node)
                    .with("dist", tuple.int("dist").unwrap_or_default()),
            );
            out.emit("tree", tuple);
        }
        Ok(())
    }
}

/// The handlers.
pub fn factories() -> Factories {
    Factories::new()
        .with("Expand", || Box::<Expand>::default())
        .with("Settle", || Box::<Settle>::default())
}

/// One instance each.
pub fn deployment() -> Deployment {
    Deployment::new()
}

/// The edges `(from, to, weight)`, each node's edges sealed after them.
pub fn workload(edges: &[(i64, i64, i64)]) -> Workload {
    let mut w = Workload::new();
    let mut nodes = BTreeSet::new();
    for (from, to, weight) in edges {
        nodes.insert(*from);
        w = w.record(
            "edges",
            0,
            Tuple::new()
                .with("node", *from)
                .with("to", *to)
                .with("weight", *weight),
        );
    }
    for node in nodes {
        w = w.seal("edges", 0, Tuple::new().with("node", node));
    }
    w
}
