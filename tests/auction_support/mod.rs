//! The auction dataflow that `sealed_and_ordered.rs` (tokio, simulator)
//! and `dist_sealed_and_ordered.rs` (across processes) run alike: one
//! input both held in a seal buffer and ordered by a sequencer. `Book` is
//! replicated: its `bids` path (`OW[auction]`) is sealed on `auction`, so a
//! seal buffer makes its winners deterministic; its `queries` read
//! (`OR[auction]`) races with `notes`, an unsealed write, so the analysis
//! orders `bids`, `notes` and `queries` through a sequencer (the dataflow
//! opts in with `coordinate = auto, requires = convergent`).

#![allow(dead_code)]

use std::collections::BTreeMap;

use blazes::Record;
use blazes::runtime::Workload;

pub const AUCTIONS: u64 = 4;
pub const REPLICAS: usize = 3;

#[derive(Record, Clone, Debug)]
pub struct Bid {
    pub auction: u64,
    pub amount: i64,
}

#[derive(Record, Clone, Debug)]
pub struct Note {
    pub auction: u64,
}

#[derive(Record, Clone, Debug)]
pub struct Query {
    pub auction: u64,
    pub asker: i64,
}

#[derive(Record, Clone, Debug, PartialEq)]
pub struct Win {
    pub auction: u64,
    pub amount: i64,
}

#[derive(Record, Clone, Debug, PartialEq)]
pub struct Answer {
    pub auction: u64,
    pub asker: i64,
    pub best: i64,
    pub notes: i64,
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
pub fn workload() -> (Workload, BTreeMap<u64, i64>) {
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
pub fn deployment() -> blazes::runtime::Deployment {
    auctions::deployment()
        .instances("Book", REPLICAS)
        .source_producers("bids", 2)
        .source_producers("notes", 2)
        .source_producers("queries", 2)
}
