//! Issue 15: a running dataflow's live snapshot was refreshed every 256
//! deliveries only, so the 10 records of an unsealed batch stayed invisible.
//! Now an instance publishes its snapshot whenever it has nothing more to
//! deliver.

mod sim_support;

use blazes::runtime::DataflowRunner;
use blazes::{Tuple, analyze};
use sim_support::wordcount::{self, Variant};

/// Records held for `batch` at the Count instances, as the live snapshot says.
fn held_for(running: &blazes::runtime::RunningDataflow, batch: i64) -> usize {
    running
        .snapshot()
        .iter()
        .filter(|s| s.component == "Count")
        .flat_map(|s| s.unsealed.iter())
        .filter(|u| u.key.int("batch") == Some(batch))
        .map(|u| u.held)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_snapshot_shows_the_records_of_an_unsealed_batch() {
    let dataflow = wordcount::dataflow(Variant::Sealed);
    let analysis = analyze(&dataflow).expect("valid");
    let runner = DataflowRunner::new(
        &dataflow,
        &analysis,
        &wordcount::deployment(),
        wordcount::factories(),
    )
    .expect("deployable");
    let mut running = runner.start().expect("started");
    let mut spout = running.take_source("tweets", 0).expect("the spout");
    spout
        .send(
            Tuple::new()
                .with("batch", 1)
                .with("text", "a b c d e f g h i j"),
        )
        .await;
    // The instances work concurrently: wait for them to take the ten words
    // (a hang guard of ten seconds, far beyond what they need).
    let mut held = 0;
    for _ in 0..10_000 {
        held = held_for(&running, 1);
        if held == 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    assert_eq!(held, 10, "the ten words of batch 1 are visible while held");
    spout
        .seal(Tuple::new().with("batch", 1))
        .await
        .expect("a seal holding the seal key");
    spout.close().await;
    let report = running.finish().await.expect("finishes");
    assert_eq!(wordcount::committed(&report).len(), 10);
}
