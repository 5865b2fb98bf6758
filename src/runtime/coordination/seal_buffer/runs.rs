//! A partition's records as the seal buffer holds them: one run per
//! producer, each in the order its records arrived. A producer's records
//! reach the buffer in `seq` order (links are FIFO and dedupe drops
//! replays), so the release order, producer then `seq`, is the runs taken
//! one after the other: no sort of the whole partition, and no copy of it
//! into one list. A run found out of order (a buffer fed by hand) is
//! sorted on its own.
//!
//! In a checkpoint the runs are one list of records, as the buffer kept
//! them before (the format is unchanged).

use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::SmallVec;

use super::HeldRecord;
use crate::runtime::node::envelope::{InputId, ProducerId};
use crate::runtime::node::payload::PayloadRun;

/// The most pieces a producer's run of a new partition reserves room for.
const PRESIZED_PIECES: usize = 8;

/// The records of one partition, by producer.
#[derive(Clone, Debug, Default)]
pub struct Runs {
    /// Each run holds at least one record, all of one producer: one run
    /// (the usual partition, fed by one producer at a time) held inline.
    runs: SmallVec<[ProducerRun; 1]>,
    len: usize,
}

/// One producer's records of a partition, in the order they arrived.
#[derive(Clone, Debug)]
struct ProducerRun {
    producer: ProducerId,
    /// Records in all its pieces.
    len: usize,
    pieces: Vec<Piece>,
}

/// Records of one producer held together: one record, or records one
/// after the other of a run as it arrived on a link (kept as the run, not
/// taken out of it).
#[derive(Clone, Debug)]
pub enum Piece {
    /// One record.
    One(HeldRecord),
    /// Records of a run, on one input, from `seq` on.
    Run {
        /// The input they arrived on.
        input: InputId,
        /// Their producer.
        producer: ProducerId,
        /// The first one's `seq` (the others' follow).
        seq: u64,
        /// The records.
        records: PayloadRun,
    },
}

impl Piece {
    /// The first record's `seq`.
    fn first_seq(&self) -> u64 {
        match self {
            Piece::One(record) => record.seq,
            Piece::Run { seq, .. } => *seq,
        }
    }

    /// The `seq` after the last record's.
    fn end_seq(&self) -> u64 {
        match self {
            Piece::One(record) => record.seq.saturating_add(1),
            Piece::Run { seq, records, .. } => seq.saturating_add(records.len() as u64),
        }
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        match self {
            Piece::One(_) => 1,
            Piece::Run { records, .. } => records.len(),
        }
    }

    /// The input its records arrived on.
    pub fn input(&self) -> InputId {
        match self {
            Piece::One(record) => record.input,
            Piece::Run { input, .. } => *input,
        }
    }

    /// Its records, one by one.
    pub fn into_records(self) -> impl Iterator<Item = HeldRecord> {
        let (one, run) = match self {
            Piece::One(record) => (Some(record), None),
            Piece::Run {
                input,
                producer,
                seq,
                records,
            } => (None, Some((input, producer, seq, records))),
        };
        one.into_iter()
            .chain(run.into_iter().flat_map(|(input, producer, seq, records)| {
                (0..records.len()).map(move |i| HeldRecord {
                    input,
                    producer,
                    seq: seq + i as u64,
                    payload: records.payload(i),
                })
            }))
    }
}

impl Runs {
    /// Records held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no record is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `producer`'s run, made (with room for `typical` pieces, at most
    /// [`PRESIZED_PIECES`]: most pieces are runs of many records) if it
    /// has none yet.
    #[inline]
    fn run_of(&mut self, producer: ProducerId, typical: usize) -> &mut ProducerRun {
        let at = match self.runs.iter().position(|run| run.producer == producer) {
            Some(at) => at,
            None => {
                self.runs.push(ProducerRun {
                    producer,
                    len: 0,
                    pieces: Vec::with_capacity(typical.clamp(1, PRESIZED_PIECES)),
                });
                self.runs.len() - 1
            }
        };
        &mut self.runs[at]
    }

    /// Adds `record` to its producer's run; a producer's first record
    /// reserves room for `typical` records.
    #[inline]
    pub(super) fn push(&mut self, record: HeldRecord, typical: usize) {
        let run = self.run_of(record.producer, typical);
        run.pieces.push(Piece::One(record));
        run.len += 1;
        self.len += 1;
    }

    /// Adds `records` (of `producer` on `input`, from `seq` on) to the
    /// producer's run as they arrived, in one piece. When the producer's
    /// last piece ends just before them (on `input`, its last `seq`
    /// `seq - 1`: a producer's `seq` names one record), `joined` of that
    /// piece's first `seq` (the same records with the piece's, when
    /// `records` continue the run the piece came from) replaces it: a run
    /// whose first record opened the partition (taken alone, to find its
    /// partition) is held, and handed over, whole.
    pub(super) fn push_run(
        &mut self,
        input: InputId,
        producer: ProducerId,
        seq: u64,
        records: PayloadRun,
        joined: impl FnOnce(u64) -> Option<PayloadRun>,
    ) {
        let n = records.len();
        if n == 0 {
            return;
        }
        let run = self.run_of(producer, 0);
        let before = run
            .pieces
            .last()
            .filter(|last| last.input() == input && last.end_seq() == seq)
            .map(Piece::first_seq);
        let (seq, records) = match before.and_then(|first| Some((first, joined(first)?))) {
            Some(whole) => {
                run.pieces.pop();
                whole
            }
            None => (seq, records),
        };
        run.pieces.push(Piece::Run {
            input,
            producer,
            seq,
            records,
        });
        run.len += n;
        self.len += n;
    }

    /// The longest run's length.
    pub(super) fn longest(&self) -> usize {
        self.runs.iter().map(|run| run.len).max().unwrap_or(0)
    }

    /// Each producer with how many of its records are held.
    pub(super) fn counts(&self) -> impl Iterator<Item = (ProducerId, usize)> + '_ {
        self.runs.iter().map(|run| (run.producer, run.len))
    }

    /// True when a record of `input` is held.
    pub(super) fn holds_input(&self, input: InputId) -> bool {
        self.runs
            .iter()
            .flat_map(|run| &run.pieces)
            .any(|piece| piece.input() == input)
    }

    /// The same records, ordered: iterating them goes by producer, then
    /// `seq`.
    pub(super) fn into_ordered(mut self) -> Runs {
        for run in &mut self.runs {
            let in_order = run
                .pieces
                .windows(2)
                .all(|w| w[0].end_seq() <= w[1].first_seq());
            if !in_order {
                // Fed by hand out of order: record by record, sorted.
                let mut records: Vec<HeldRecord> = std::mem::take(&mut run.pieces)
                    .into_iter()
                    .flat_map(Piece::into_records)
                    .collect();
                records.sort_by_key(|r| r.seq);
                run.pieces = records.into_iter().map(Piece::One).collect();
            }
        }
        self.runs.sort_by_key(|run| run.producer);
        self
    }

    /// The runs, each one producer's pieces (by producer, then `seq`, once
    /// [`Runs::into_ordered`]).
    pub fn into_runs(self) -> impl Iterator<Item = Vec<Piece>> {
        self.runs.into_iter().map(|run| run.pieces)
    }

    /// The records, run after run, one by one.
    pub fn records(&self) -> impl Iterator<Item = HeldRecord> + '_ {
        self.runs
            .iter()
            .flat_map(|run| run.pieces.iter().cloned().flat_map(Piece::into_records))
    }
}

impl PartialEq for Runs {
    /// The same records, in the same order, whether held one by one or as
    /// runs.
    fn eq(&self, other: &Runs) -> bool {
        self.len == other.len && self.records().eq(other.records())
    }
}

impl Eq for Runs {}

impl IntoIterator for Runs {
    type Item = HeldRecord;
    type IntoIter = Box<dyn Iterator<Item = HeldRecord>>;

    /// The records, run after run (by producer, then `seq`, once
    /// [`Runs::into_ordered`]).
    fn into_iter(self) -> Self::IntoIter {
        Box::new(
            self.runs
                .into_iter()
                .flat_map(|run| run.pieces.into_iter().flat_map(Piece::into_records)),
        )
    }
}

impl Serialize for Runs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The length up front: a flattened iterator does not know it, and
        // postcard needs it.
        let mut seq = serializer.serialize_seq(Some(self.len))?;
        for record in self.records() {
            seq.serialize_element(&record)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Runs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Runs, D::Error> {
        let records = Vec::<HeldRecord>::deserialize(deserializer)?;
        let mut runs = Runs::default();
        for record in records {
            runs.push(record, 0);
        }
        Ok(runs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuple::Tuple;

    fn rec(producer: u32, seq: u64) -> HeldRecord {
        HeldRecord {
            input: 0,
            producer: ProducerId(producer),
            seq,
            payload: Tuple::new().with("seq", seq as i64).into(),
        }
    }

    fn order(records: impl IntoIterator<Item = HeldRecord>) -> Vec<(u32, u64)> {
        records.into_iter().map(|r| (r.producer.0, r.seq)).collect()
    }

    #[test]
    fn interleaved_producers_come_out_by_producer_then_seq() {
        let mut runs = Runs::default();
        for (p, s) in [(2, 0), (2, 1), (1, 0), (2, 2), (1, 1), (3, 5), (1, 2)] {
            runs.push(rec(p, s), 4);
        }
        assert_eq!((runs.len(), runs.longest()), (7, 3));
        let counts: Vec<(u32, usize)> = runs.counts().map(|(p, n)| (p.0, n)).collect();
        assert_eq!(counts, [(2, 3), (1, 3), (3, 1)]);
        let ordered = runs.into_ordered();
        assert_eq!(
            order(ordered.records()),
            [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2), (3, 5)]
        );
        let owned: Vec<HeldRecord> = ordered.clone().into_iter().collect();
        assert_eq!(order(owned), order(ordered.records()));
    }

    /// A run of `n` tuples `seq..seq + n` of `producer`, as it arrived.
    fn arrived(producer: u32, seq: u64, n: u64) -> (ProducerId, u64, PayloadRun) {
        let tuples = (seq..seq + n)
            .map(|s| Tuple::new().with("seq", s as i64))
            .collect();
        let run = PayloadRun::from_tuples(tuples).expect("a run");
        (ProducerId(producer), seq, run)
    }

    #[test]
    fn runs_held_as_they_arrived_come_out_whole_among_single_records() {
        let mut runs = Runs::default();
        runs.push(rec(2, 0), 0);
        let (p, seq, run) = arrived(2, 1, 3);
        runs.push_run(0, p, seq, run, |_| None);
        let (p, seq, run) = arrived(1, 0, 2);
        runs.push_run(0, p, seq, run, |_| None);
        runs.push(rec(2, 4), 0);
        assert_eq!((runs.len(), runs.longest()), (7, 5));
        let counts: Vec<(u32, usize)> = runs.counts().map(|(p, n)| (p.0, n)).collect();
        assert_eq!(counts, [(2, 5), (1, 2)]);
        assert!(runs.holds_input(0) && !runs.holds_input(1));
        let ordered = runs.clone().into_ordered();
        assert_eq!(
            order(ordered.records()),
            [(1, 0), (1, 1), (2, 0), (2, 1), (2, 2), (2, 3), (2, 4)]
        );
        // Producer 2's pieces: one record, a run of three, one record.
        let shapes: Vec<Vec<usize>> = ordered
            .clone()
            .into_runs()
            .map(|pieces| {
                pieces
                    .into_iter()
                    .map(|p| p.into_records().count())
                    .collect()
            })
            .collect();
        assert_eq!(shapes, [vec![2], vec![1, 3, 1]]);
        // A checkpoint lists the records one by one; read back, they are the
        // same records.
        let bytes = postcard::to_allocvec(&runs).expect("encodes");
        let back: Runs = postcard::from_bytes(&bytes).expect("decodes");
        assert_eq!(back, runs);
    }

    #[test]
    fn pieces_out_of_seq_order_are_taken_apart_and_sorted() {
        let mut runs = Runs::default();
        let (p, seq, run) = arrived(1, 3, 2);
        runs.push_run(0, p, seq, run, |_| None);
        let (p, seq, run) = arrived(1, 0, 3);
        runs.push_run(0, p, seq, run, |_| None);
        assert_eq!(
            order(runs.into_ordered().records()),
            [(1, 0), (1, 1), (1, 2), (1, 3), (1, 4)]
        );
    }

    #[test]
    fn a_run_out_of_seq_order_is_sorted() {
        let mut runs = Runs::default();
        for (p, s) in [(1, 4), (1, 2), (1, 3)] {
            runs.push(rec(p, s), 0);
        }
        assert_eq!(
            order(runs.into_ordered().records()),
            [(1, 2), (1, 3), (1, 4)]
        );
    }

    #[test]
    fn a_checkpoint_keeps_the_records_as_one_list() {
        let mut runs = Runs::default();
        for (p, s) in [(2, 0), (1, 0), (2, 1)] {
            runs.push(rec(p, s), 0);
        }
        let bytes = postcard::to_allocvec(&runs).expect("encodes");
        let list: Vec<HeldRecord> = postcard::from_bytes(&bytes).expect("a list of records");
        assert_eq!(order(list), [(2, 0), (2, 1), (1, 0)]);
        let back: Runs = postcard::from_bytes(&bytes).expect("decodes");
        assert_eq!(back, runs);
    }
}
