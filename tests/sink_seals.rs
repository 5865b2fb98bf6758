//! A stream into a sink declared sealed is a claim the run checks, as a
//! consumer's seal buffer would: a partition that reached the sink and that
//! some producer never sealed fails the run, naming the sink, the partition
//! and the producers missing (tokio and the simulator alike).

use blazes::runtime::{DataflowRunner, RunFailure, RunReport, Workload};
use blazes::sim::{SimConfig, Simulation};

#[derive(blazes::Record, Clone)]
pub struct Word {
    pub word: String,
    pub batch: i64,
}

#[derive(blazes::Record, Clone, Debug)]
pub struct WordCount {
    pub batch: i64,
    pub word: String,
    pub count: i64,
}

#[derive(blazes::Record)]
struct Batch {
    batch: i64,
}

pub mod parts {
    use super::{Word, WordCount};
    use blazes::component;
    use std::collections::BTreeMap;

    /// Counts words per batch; forgets to seal batch 1 of its output.
    #[component]
    #[derive(Default)]
    pub struct Count(BTreeMap<(i64, String), i64>);

    #[component(outputs { counts: WordCount { punctuates: [batch] } })]
    impl Count {
        #[path(from = words, to = counts, label = OW, gate = [word, batch])]
        fn words(&mut self, word: Word, _out: &mut CountOut) {
            *self.0.entry((word.batch, word.word)).or_default() += 1;
        }

        #[on_seal(words)]
        fn sealed(&mut self, batch: i64, out: &mut CountOut) {
            let rest = self.0.split_off(&(batch + 1, String::new()));
            for ((batch, word), count) in std::mem::replace(&mut self.0, rest) {
                out.counts(WordCount { batch, word, count });
            }
            if batch != 1 {
                out.punctuate_counts(batch);
            }
        }
    }
}

#[blazes::dataflow]
pub mod counting {
    blazes::components! { super::parts::Count }

    streams! {
        words -> Count.words { seal: [batch], route: [word] };
        Count.counts -> counts { seal: [batch] };
    }
}

fn workload(batches: &[i64]) -> Workload {
    let mut workload = Workload::new();
    for &batch in batches {
        for word in ["to", "be", "or", "not", "to", "be"] {
            workload = workload.record(
                "words",
                0,
                Word {
                    word: word.into(),
                    batch,
                },
            );
        }
        workload = workload.seal("words", 0, Batch { batch });
    }
    workload
}

fn deployment() -> blazes::runtime::Deployment {
    counting::deployment().instances("Count", 2)
}

async fn on_tokio(batches: &[i64]) -> RunReport {
    let runner = DataflowRunner::new(
        &counting::dataflow(),
        &counting::analysis(),
        &deployment(),
        counting::factories(),
    )
    .expect("deployable");
    runner
        .start()
        .expect("started")
        .run_workload(&workload(batches))
        .await
        .expect("runs")
}

/// The batches the report says were never sealed at sink `counts`, each
/// with the producers missing.
fn unsealed(report: &RunReport) -> Vec<(i64, Vec<String>)> {
    report
        .failures()
        .into_iter()
        .filter_map(|f| match f {
            RunFailure::SinkNeverSealed {
                sink,
                partition,
                missing,
                records,
                ..
            } => {
                assert_eq!(sink, "counts");
                assert!(records > 0);
                Some((partition.int("batch").unwrap_or(-1), missing))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_partition_its_producers_never_seal_fails_the_run_on_tokio() {
    let sealed = on_tokio(&[0, 2]).await;
    assert!(sealed.is_success(), "{:#?}", sealed.failures());
    assert_eq!(
        sealed
            .read_sink::<WordCount>("counts")
            .expect("counts")
            .len(),
        8
    );

    let report = on_tokio(&[0, 1, 2]).await;
    let both = vec!["Count[0]".to_string(), "Count[1]".to_string()];
    assert_eq!(unsealed(&report), vec![(1, both)]);
    let message = report
        .ensure_success()
        .expect_err("batch 1 is unsealed")
        .to_string();
    assert!(
        message.contains("sink `counts`: partition")
            && message.contains("though its stream is declared sealed"),
        "{message}"
    );
}

#[test]
fn a_sink_partition_its_producers_never_seal_fails_the_run_in_the_simulator() {
    let sim = Simulation::new(
        &counting::dataflow(),
        &counting::analysis(),
        &deployment(),
        counting::factories(),
    )
    .expect("deployable");
    let both = vec!["Count[0]".to_string(), "Count[1]".to_string()];
    for seed in 0..20 {
        let config = SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2);
        let sealed = sim.run(&workload(&[0, 2]), &config).expect("runs");
        assert!(
            sealed.report.is_success(),
            "seed {seed}: {:#?}",
            sealed.report.failures()
        );
        let outcome = sim.run(&workload(&[0, 1, 2]), &config).expect("runs");
        assert_eq!(
            unsealed(&outcome.report),
            vec![(1, both.clone())],
            "seed {seed}"
        );
    }
}
