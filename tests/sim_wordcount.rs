//! Issue 4, acceptance 1 and 3: the word count under 1,000 seeded schedules
//! with duplicates, replays and crashes. Uncoordinated, the committed counts
//! differ across runs; sealed on batch, or statically ordered on `seq`, they
//! are always the true counts.

mod sim_support;

use std::collections::{BTreeMap, BTreeSet};

use blazes::runtime::{DeadLetterReason, InputMode};
use blazes::sim::{SimConfig, SimOutcome, Simulation};
use blazes::{Tuple, analyze};
use sim_support::wordcount::{self, Variant};
use sim_support::{assert_balanced, duplicates_seen};

const SCHEDULES: u64 = 1_000;

/// Committed counts by (word, batch).
type Store = BTreeMap<(String, i64), i64>;

fn faults(seed: u64) -> SimConfig {
    SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2)
}

fn simulation(variant: Variant) -> Simulation {
    let dataflow = wordcount::dataflow(variant);
    let analysis = analyze(&dataflow).expect("valid dataflow");
    Simulation::new(
        &dataflow,
        &analysis,
        &wordcount::deployment(),
        wordcount::factories(),
    )
    .expect("deployable")
}

/// Runs every schedule, checks the accounting of each, and returns the
/// distinct committed stores with how many runs produced each.
fn outcomes(variant: Variant) -> (BTreeMap<Store, u64>, Vec<SimOutcome>) {
    let sim = simulation(variant);
    let tweets = wordcount::tweets(3, 6);
    let workload = wordcount::workload(&tweets);
    let mut distinct = BTreeMap::new();
    let mut runs = Vec::new();
    for seed in 0..SCHEDULES {
        let outcome = sim.run(&workload, &faults(seed)).expect("runs");
        assert!(!outcome.truncated);
        assert_balanced(&outcome.report);
        // A crash alone may duplicate nothing: the restarted instance
        // replays its log and its producers resend only what it lost (an
        // instance crashed before it received anything loses nothing).
        if outcome.duplicated + outcome.replays > 0 {
            assert!(
                duplicates_seen(&outcome.report) > 0,
                "seed {seed}: injected duplicates were not recognised"
            );
        }
        *distinct
            .entry(wordcount::committed(&outcome.report))
            .or_insert(0) += 1;
        runs.push(outcome);
    }
    (distinct, runs)
}

#[test]
fn the_plan_puts_the_wrapper_the_analysis_chose_at_count() {
    let modes = |v| {
        let sim = simulation(v);
        let t = sim.topology();
        t.components[t.component("Count").expect("Count")]
            .plan
            .inputs
            .clone()
    };
    assert_eq!(modes(Variant::Plain), vec![InputMode::Direct]);
    assert_eq!(
        modes(Variant::Sealed),
        vec![InputMode::Sealed { buffer: 0 }]
    );
    assert!(matches!(
        &modes(Variant::Sequenced)[..],
        [InputMode::StaticOrder { .. }]
    ));
}

#[test]
fn uncoordinated_word_count_commits_different_counts_across_schedules() {
    let truth = wordcount::true_counts(&wordcount::tweets(3, 6));
    let (distinct, runs) = outcomes(Variant::Plain);
    assert!(
        distinct.len() >= 2,
        "only {} outcome(s) in {SCHEDULES} schedules",
        distinct.len()
    );
    let wrong: u64 = distinct
        .iter()
        .filter(|(s, _)| **s != truth)
        .map(|(_, n)| n)
        .sum();
    assert!(wrong > 0, "every uncoordinated run was right");
    assert!(runs.iter().all(|r| r.report.totals().late == 0));
}

#[test]
fn word_count_sealed_on_batch_commits_the_true_counts_in_every_schedule() {
    let truth = wordcount::true_counts(&wordcount::tweets(3, 6));
    let (distinct, runs) = outcomes(Variant::Sealed);
    assert_eq!(distinct.len(), 1, "sealed runs disagree");
    assert_eq!(distinct.keys().next(), Some(&truth));
    let released: u64 = runs
        .iter()
        .map(|r| r.report.component_totals("Count").released_partitions)
        .sum();
    assert!(
        released >= SCHEDULES * 3,
        "each Count instance releases the batches it saw"
    );
    assert!(
        runs.iter().any(|r| r.crashes > 0),
        "some schedule crashed an instance"
    );
    assert!(runs.iter().all(|r| r.report.dead_letters.is_empty()));
}

#[test]
fn word_count_ordered_statically_on_seq_commits_the_true_counts_in_every_schedule() {
    let truth = wordcount::true_counts(&wordcount::tweets(3, 6));
    let (distinct, runs) = outcomes(Variant::Sequenced);
    assert_eq!(distinct.len(), 1, "statically ordered runs disagree");
    assert_eq!(distinct.keys().next(), Some(&truth));
    assert!(runs.iter().all(|r| r.report.dead_letters.is_empty()));
}

#[test]
fn a_record_sent_after_its_seal_is_dead_lettered_as_late_and_counted() {
    let sim = simulation(Variant::Sealed);
    let tweets = wordcount::tweets(2, 4);
    // The spout misbehaves: one more tweet of batch 1 after sealing batch 1.
    let mut workload = wordcount::workload(&tweets);
    let late_tweet = Tuple::new()
        .with("batch", 1)
        .with("text", "late late tweet");
    workload.push("tweets", 0, blazes::sim::SourceEvent::Record(late_tweet));
    let truth = wordcount::true_counts(&tweets);
    for seed in 0..200 {
        let outcome = sim.run(&workload, &faults(seed)).expect("runs");
        assert_balanced(&outcome.report);
        let totals = outcome.report.totals();
        assert_eq!(
            totals.late, 3,
            "seed {seed}: the three words of the late tweet"
        );
        let late: Vec<_> = outcome
            .report
            .dead_letters
            .iter()
            .filter(|d| d.reason == DeadLetterReason::Late)
            .collect();
        assert_eq!(late.len(), 3);
        assert!(late.iter().all(
            |d| d.payload.str("word") == Some("late") || d.payload.str("word") == Some("tweet")
        ));
        assert_eq!(
            wordcount::committed(&outcome.report),
            truth,
            "seed {seed}: late words never merged"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_run_and_different_seeds_differ() {
    let sim = simulation(Variant::Plain);
    let workload = wordcount::workload(&wordcount::tweets(3, 6));
    let a = sim.run(&workload, &faults(42)).expect("runs");
    let b = sim.run(&workload, &faults(42)).expect("runs");
    assert_eq!(a.schedule_hash, b.schedule_hash);
    assert_eq!(a.steps, b.steps);
    assert_eq!(a.report.records("db"), b.report.records("db"));
    assert_eq!(a.report.instances, b.report.instances);
    let hashes: BTreeSet<u64> = (0..20)
        .map(|s| sim.run(&workload, &faults(s)).expect("runs").schedule_hash)
        .collect();
    assert!(hashes.len() > 10, "schedules barely depend on the seed");
}

#[test]
fn a_missing_seal_leaves_a_visible_unsealed_partition_then_dead_letters_it() {
    let sim = simulation(Variant::Sealed);
    let tweets = wordcount::tweets(2, 3);
    // Seal batch 1 only.
    let mut workload = blazes::sim::Workload::new();
    for (b, text) in &tweets {
        workload.push(
            "tweets",
            0,
            blazes::sim::SourceEvent::Record(
                Tuple::new().with("batch", *b).with("text", text.as_str()),
            ),
        );
    }
    workload.push(
        "tweets",
        0,
        blazes::sim::SourceEvent::Seal(Tuple::new().with("batch", 1)),
    );
    let outcome = sim.run(&workload, &SimConfig::new(7)).expect("runs");
    assert_balanced(&outcome.report);
    let never: usize = outcome
        .report
        .dead_letters
        .iter()
        .filter(|d| d.reason == DeadLetterReason::NeverSealed)
        .count();
    assert_eq!(never, 9, "the nine words of batch 2");
    let batch_two: Vec<_> = wordcount::committed(&outcome.report)
        .into_keys()
        .filter(|(_, b)| *b == 2)
        .collect();
    assert!(
        batch_two.is_empty(),
        "nothing of the unsealed batch is committed"
    );
}

#[test]
fn at_the_buffer_bound_delivery_is_held_back_never_dropped_nor_deadlocked() {
    let dataflow = wordcount::dataflow(Variant::Sealed);
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let bounded = |bound: usize| {
        Simulation::new(
            &dataflow,
            &analysis,
            &wordcount::deployment().buffer_capacity(bound),
            wordcount::factories(),
        )
        .expect("deployable")
    };
    // Six tweets of three words a batch: a Splitter sends at most 18 words
    // of a batch to one Count, and each of the two Splitters has half of
    // the bound (issue 15, fix 6: records of open partitions wait too).
    let bound = 36;
    let (small, unbounded) = (bounded(bound), bounded(1 << 20));
    let tweets = wordcount::tweets(6, 6);
    let workload = wordcount::workload(&tweets);
    let truth = wordcount::true_counts(&tweets);
    let (mut backpressure, mut held_small, mut held_unbounded) = (0, 0, 0);
    for seed in 0..200 {
        let outcome = small.run(&workload, &SimConfig::new(seed)).expect("runs");
        assert_balanced(&outcome.report);
        assert_eq!(wordcount::committed(&outcome.report), truth, "seed {seed}");
        let count = outcome.report.component_totals("Count");
        assert_eq!(
            count.stalls, 0,
            "seed {seed}: waiting at the bound never deadlocks"
        );
        assert_eq!(outcome.stalls, 0);
        assert!(
            count.held_max <= bound as u64,
            "seed {seed}: held {} at a bound of {bound}",
            count.held_max
        );
        backpressure += count.backpressure;
        held_small += count.held_max;
        let free = unbounded
            .run(&workload, &SimConfig::new(seed))
            .expect("runs");
        held_unbounded += free.report.component_totals("Count").held_max;
    }
    assert!(backpressure > 0, "the bound was never reached");
    assert!(
        held_small < held_unbounded,
        "the bound holds fewer records ({held_small} vs {held_unbounded} in total)"
    );
}

/// Issue 14: the simulator's instances send runs of records as the tokio
/// runner's do, so the faults hit runs: a duplicated run, a replay from a
/// checkpoint, a crash whose restart replays its input log while its
/// producers replay their links. At a small buffer bound a run is stopped
/// inside and its rest waits at the front of its link; a crash then loses
/// the rest and the producer's replay brings the whole run again, partly
/// delivered already. Every schedule still commits the true counts, so no
/// record of a partly replayed run was applied twice or lost.
#[test]
fn runs_of_records_under_duplicates_replays_and_crashes_commit_the_true_counts() {
    let tweets = wordcount::tweets(3, 6);
    let truth = wordcount::true_counts(&tweets);
    let workload = wordcount::workload(&tweets);
    let (mut runs, mut partly, mut crashes) = (0, 0, 0);
    for variant in [Variant::Sealed, Variant::Sequenced] {
        let dataflow = wordcount::dataflow(variant);
        let analysis = analyze(&dataflow).expect("valid dataflow");
        for bound in [1 << 20, 8] {
            let sim = Simulation::new(
                &dataflow,
                &analysis,
                &wordcount::deployment().buffer_capacity(bound),
                wordcount::factories(),
            )
            .expect("deployable");
            for seed in 0..250 {
                let config = SimConfig::new(seed).with_faults(0.05, 0.05, 0.01, 3);
                let outcome = sim.run(&workload, &config).expect("runs");
                assert!(!outcome.truncated);
                assert_balanced(&outcome.report);
                assert_eq!(
                    wordcount::committed(&outcome.report),
                    truth,
                    "{variant:?}, bound {bound}, seed {seed}"
                );
                runs += outcome.runs_delivered;
                partly += outcome.runs_partly_duplicate;
                crashes += outcome.crashes;
            }
        }
    }
    assert!(runs > 0, "no run of records was delivered");
    assert!(
        partly > 0,
        "no replay overlapped a run in part ({runs} runs)"
    );
    assert!(crashes > 0);
}
