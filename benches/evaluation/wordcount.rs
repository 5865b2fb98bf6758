//! Figure 11: word-count throughput, ordered (a static, transactional order
//! on `batch` at Count) versus sealed (a seal buffer on `batch`), at 1 to 8
//! parallel Count instances.

use std::time::Instant;

use blazes::runtime::{DataflowRunner, Workload};
use serde_json::{Value, json};

use crate::job::wordcount::{self, Counts, Variant};

/// The workload: batches of tweets, each batch sealed.
pub struct Setup {
    /// Batches.
    pub batches: i64,
    /// Tweets per batch.
    pub tweets: i64,
    /// The spout's script.
    pub workload: Workload,
    /// The counts computed directly.
    pub expected: Counts,
}

impl Setup {
    /// `batches` batches of `tweets` tweets.
    pub fn new(batches: i64, tweets: i64) -> Setup {
        let (workload, expected) = wordcount::tweets(batches, tweets);
        Setup {
            batches,
            tweets,
            workload,
            expected,
        }
    }

    /// Words in the workload.
    pub fn words(&self) -> i64 {
        self.expected.values().sum()
    }
}

/// Words per second through one run, checking the committed counts.
pub async fn throughput(
    setup: &Setup,
    variant: Variant,
    counters: usize,
) -> Result<f64, Box<dyn std::error::Error>> {
    let (dataflow, analysis, factories) = variant.job();
    let deployment = wordcount::deployment(counters).channel_capacity(1024);
    let runner = DataflowRunner::new(&dataflow, &analysis, &deployment, factories)?;
    let running = runner.start()?;
    let started = Instant::now();
    let report = running.run_workload(&setup.workload).await?;
    let elapsed = started.elapsed().as_secs_f64();
    if wordcount::committed(&report)? != setup.expected {
        return Err(format!("{variant:?} with {counters} counters committed wrong counts").into());
    }
    Ok(setup.words() as f64 / elapsed)
}

/// The median of some measurements.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// One point of Figure 11.
pub struct Point {
    /// Count instances.
    pub counters: usize,
    /// Median words per second, sealed.
    pub sealed: f64,
    /// Median words per second, ordered.
    pub ordered: f64,
}

/// The figure's points as JSON.
pub fn to_json(setup: &Setup, repetitions: usize, points: &[Point]) -> Value {
    json!({
        "workload": {
            "batches": setup.batches,
            "tweets_per_batch": setup.tweets,
            "words": setup.words(),
            "splitters": 2,
        },
        "repetitions": repetitions,
        "statistic": "median words per second",
        "points": points.iter().map(|p| json!({
            "count_instances": p.counters,
            "sealed_words_per_second": p.sealed.round(),
            "ordered_words_per_second": p.ordered.round(),
            "sealed_over_ordered": p.sealed / p.ordered,
        })).collect::<Vec<_>>(),
    })
}
