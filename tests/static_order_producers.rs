//! Issue 15, fix 1: a stream stamped `seq: [batch]` that two spout instances
//! produce, merged by each Splitter. A Splitter's words then come in no
//! `batch` order (it interleaves two spouts), so Count's static order must not
//! take a later batch from a Splitter as proof that the Splitter is done with
//! the earlier ones: it waits for the Splitter's seal (forwarded once both
//! spouts sealed the batch) or its end. Before the fix, words of earlier
//! batches came "late" and the committed counts were wrong with no fault at
//! all.

mod sim_support;

use std::collections::BTreeMap;

use blazes::Tuple;
use blazes::analyze;
use blazes::runtime::{Deployment, SourceEvent, Workload};
use blazes::sim::{SimConfig, Simulation};
use sim_support::assert_balanced;
use sim_support::wordcount::{self, Variant, job as wordcount_job};

const SPOUTS: usize = 2;

/// The tweets dealt out to `SPOUTS` spouts in turn; every spout seals every
/// batch after its last tweet of it.
fn dealt(tweets: &[(i64, String)]) -> Workload {
    let mut w = Workload::new();
    let mut batches: Vec<i64> = tweets.iter().map(|(b, _)| *b).collect();
    batches.dedup();
    let mut n = 0;
    for batch in batches {
        for (_, text) in tweets.iter().filter(|(b, _)| *b == batch) {
            let tweet = Tuple::new()
                .with("batch", batch)
                .with("text", text.as_str());
            w = w.record("tweets", n % SPOUTS, tweet);
            n += 1;
        }
        for spout in 0..SPOUTS {
            w = w.seal("tweets", spout, Tuple::new().with("batch", batch));
        }
    }
    w
}

#[test]
fn two_spouts_of_a_seq_stream_commit_the_true_counts_in_every_schedule() {
    let dataflow = wordcount::dataflow(Variant::Sequenced);
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let deployment = wordcount::deployment().source_producers("tweets", SPOUTS);
    let sim = Simulation::new(&dataflow, &analysis, &deployment, wordcount::factories())
        .expect("deployable");
    let tweets = wordcount::tweets(4, 6);
    let workload = dealt(&tweets);
    let truth = wordcount::true_counts(&tweets);
    let mut wrong = Vec::new();
    for seed in 0..1_000 {
        let config = if seed % 2 == 0 {
            SimConfig::new(seed)
        } else {
            SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2)
        };
        let outcome = sim.run(&workload, &config).expect("runs");
        assert!(!outcome.truncated);
        assert_balanced(&outcome.report);
        if wordcount::committed(&outcome.report) != truth || !outcome.report.dead_letters.is_empty()
        {
            wrong.push(seed);
        }
    }
    assert!(
        wrong.is_empty(),
        "wrong counts or dead letters with seeds {wrong:?}"
    );
}

#[test]
fn the_ordered_word_count_with_two_spouts_commits_the_true_counts_on_tokio() {
    let (single, truth) = wordcount_job::tweets(5, 8);
    // Deal producer 0's script out to two spouts, both sealing every batch.
    let mut workload = Workload::new();
    let mut n = 0;
    for event in single.script("tweets", 0) {
        match event {
            SourceEvent::Record(t) => {
                workload = workload.record("tweets", n % SPOUTS, t.clone());
                n += 1;
            }
            SourceEvent::Seal(k) => {
                for spout in 0..SPOUTS {
                    workload = workload.seal("tweets", spout, k.clone());
                }
            }
        }
    }
    let deployment: Deployment = wordcount_job::deployment(2).source_producers("tweets", SPOUTS);
    let mut wrong = BTreeMap::new();
    for run in 0..20 {
        let report = wordcount_job::run(wordcount_job::Variant::Ordered, &deployment, &workload)
            .expect("runs");
        assert!(report.balanced(), "run {run}");
        let committed = wordcount_job::committed(&report).expect("db holds WordCounts");
        if committed != truth || !report.dead_letters.is_empty() {
            wrong.insert(run, report.dead_letters.len());
        }
    }
    assert!(
        wrong.is_empty(),
        "runs with wrong counts (dead letters): {wrong:?}"
    );
}

#[test]
fn a_producer_sending_batches_backwards_fails_the_run_saying_seq_is_a_batch_order() {
    // words -> Count (OW[word, batch]) with `seq: [batch]`: Count applies
    // whole batches in order. The one producer sends batch 1, then batch 0:
    // batch 0 is behind what it already passed.
    use blazes::{Annotation, Component, Dataflow, Permission, Stream, attrs};
    let dataflow = Dataflow::new()
        .component(Component::new("Count").path(
            "words",
            "counts",
            Annotation::ow(attrs(["word", "batch"])),
        ))
        .stream(Stream::between("words", "Count.words").sequenced(attrs(["batch"])))
        .stream(Stream::between("Count.counts", "counts"))
        .coordinate(Permission::Auto);
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let sim = Simulation::new(
        &dataflow,
        &analysis,
        &Deployment::new(),
        blazes::runtime::Factories::new()
            .with("Count", || Box::new(wordcount::parts::Count::default())),
    )
    .expect("deployable");
    let word = |batch: i64| Tuple::new().with("word", "seal").with("batch", batch);
    let workload = Workload::new()
        .record("words", 0, word(1))
        .record("words", 0, word(0))
        .seal("words", 0, Tuple::new().with("batch", 0))
        .seal("words", 0, Tuple::new().with("batch", 1));
    let outcome = sim.run(&workload, &SimConfig::new(3)).expect("runs");
    let text: Vec<String> = outcome
        .report
        .failures()
        .iter()
        .map(ToString::to_string)
        .collect();
    let out_of_order: Vec<&String> = text
        .iter()
        .filter(|t| t.contains("dead-lettered (out of seq order)"))
        .collect();
    assert_eq!(out_of_order.len(), 1, "{text:#?}");
    assert!(
        out_of_order[0].contains("batch: 0")
            && out_of_order[0].contains("from words[0]")
            && out_of_order[0].contains("non-decreasing `seq` order"),
        "the first record, its producer and the rule are named: {}",
        out_of_order[0]
    );
    assert_eq!(outcome.report.dead_letters.len(), 1);
    assert_eq!(
        outcome.report.dead_letters[0].reason,
        blazes::runtime::DeadLetterReason::OutOfSeqOrder
    );
}
