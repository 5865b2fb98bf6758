//! A seal buffer that waits on seals coming round a loop from its own
//! component: `Rate` reads prices and limits (`OR[hour, tariff]`), and the
//! limits come from `Throttle`, which turns the spikes Rate emits from those
//! very reads into limits. Every stream carries the seal on `hour` (it
//! passes through the confluent paths), so the analysis protects the read
//! with a seal buffer on `hour` over `prices` and `limits`; but the seal of
//! an hour on `limits` can only come after Rate has handled that hour's
//! reads, which the buffer holds until that seal: no hour is ever released.

use std::time::Duration;

use blazes::runtime::{BuildError, DataflowRunner, Workload};
use blazes::sim::{SimConfig, Simulation};
use blazes::{Analysis, Dataflow, Record};

#[derive(Record, Clone, Debug)]
pub struct Reading {
    meter: String,
    tariff: String,
    hour: i64,
    wh: i64,
}

#[derive(Record, Clone, Debug)]
pub struct Price {
    tariff: String,
    hour: i64,
    cents: i64,
}

#[derive(Record, Clone, Debug)]
pub struct Spike {
    tariff: String,
    hour: i64,
}

#[derive(Record, Clone, Debug)]
pub struct Charge {
    meter: String,
    hour: i64,
    cents: i64,
}

#[derive(Record, Clone, Debug)]
pub struct HourKey {
    hour: i64,
}

pub mod rate {
    use std::collections::BTreeMap;

    use super::{Charge, Price, Reading, Spike};
    use blazes::component;

    /// Prices readings; a spike makes its tariff free for the hour.
    #[component]
    #[derive(Default)]
    pub struct Rate {
        prices: BTreeMap<(String, i64), i64>,
    }

    #[component(outputs { charges: Charge, spikes: Spike })]
    impl Rate {
        #[path(from = prices, to = charges, label = CW)]
        fn price(&mut self, p: Price, _out: &mut RateOut) {
            self.prices.insert((p.tariff, p.hour), p.cents);
        }

        #[path(from = limits, to = charges, label = CW)]
        fn limit(&mut self, s: Spike, _out: &mut RateOut) {
            self.prices.insert((s.tariff, s.hour), 0);
        }

        #[path(from = readings, to = charges, label = OR, gate = [tariff, hour])]
        #[path(from = readings, to = spikes, label = CR)]
        fn reading(&mut self, r: Reading, out: &mut RateOut) {
            let cents = self.prices.get(&(r.tariff.clone(), r.hour)).copied();
            out.charges(Charge {
                meter: r.meter,
                hour: r.hour,
                cents: cents.unwrap_or(0) * r.wh,
            });
            if r.wh > 1_000 {
                out.spikes(Spike {
                    tariff: r.tariff,
                    hour: r.hour,
                });
            }
        }
    }
}

pub mod punctuating {
    use super::Spike;
    use blazes::component;

    /// Passes each spike back to Rate as a limit, and punctuates the limits
    /// of an hour itself once the spikes of that hour are sealed.
    #[component]
    #[derive(Default)]
    pub struct Throttle;

    #[component(outputs { limits: Spike { punctuates: [hour] } })]
    impl Throttle {
        #[path(from = spikes, to = limits, label = CR)]
        fn spike(&mut self, s: Spike, out: &mut ThrottleOut) {
            out.limits(s);
        }

        #[on_seal(spikes)]
        fn sealed(&mut self, hour: i64, out: &mut ThrottleOut) {
            out.punctuate_limits(hour);
        }
    }
}

/// The same loop, the limits' seals punctuated by Throttle's own code: the
/// runner cannot tell whether they wait for Rate, so it runs it.
#[blazes::dataflow]
pub mod billing_punctuated {
    blazes::components! { super::rate::Rate, super::punctuating::Throttle }

    streams! {
        prices -> Rate.prices { seal: [hour] };
        readings -> Rate.readings { seal: [hour] };
        Rate.spikes -> Throttle.spikes;
        Throttle.limits -> Rate.limits { seal: [hour] };
        Rate.charges -> charges;
    }
}

fn workload() -> Workload {
    let mut w = Workload::new();
    for hour in 0..2 {
        w = w
            .record(
                "prices",
                0,
                Price {
                    tariff: "day".into(),
                    hour,
                    cents: 10,
                },
            )
            .seal("prices", 0, HourKey { hour })
            .record(
                "readings",
                0,
                Reading {
                    meter: "m1".into(),
                    tariff: "day".into(),
                    hour,
                    wh: 500 + 1_000 * hour,
                },
            )
            .seal("readings", 0, HourKey { hour });
    }
    w
}

/// The loop of `billing_punctuated` with the declared seal on the limits
/// removed: their seals are then only those Throttle forwards from the
/// spikes. (Written in `#[blazes::dataflow]`, it does not build:
/// `tests/ui/typed/fail/typed_seal_loop.rs`.)
fn forwarded_only() -> (Dataflow, Analysis) {
    let mut dataflow = billing_punctuated::dataflow();
    for stream in &mut dataflow.streams {
        if stream.to.to_string() == "Rate.limits" {
            stream.annotation.seal = None;
        }
    }
    let analysis = blazes::analyze(&dataflow).expect("valid");
    (dataflow, analysis)
}

fn refused(err: &BuildError) -> String {
    let text = err.to_string();
    assert!(matches!(err, BuildError::SealLoop(_)), "{text}");
    text
}

#[test]
fn the_analysis_protects_the_read_with_a_seal_on_a_stream_of_the_loop() {
    let (_, analysis) = forwarded_only();
    assert!(analysis.ok(), "{:?}", analysis.violations);
    let plan = blazes::explain::summary(&analysis);
    assert!(
        plan.contains(
            "Rate: seal buffer on [hour] (unanimous vote) of inputs limits, prices, readings"
        ),
        "{plan}"
    );
}

#[test]
fn the_runner_refuses_a_seal_buffer_waiting_on_seals_from_its_own_loop() {
    let deployment = billing_punctuated::deployment();
    let (dataflow, analysis) = forwarded_only();
    let Err(err) = DataflowRunner::new(
        &dataflow,
        &analysis,
        &deployment,
        billing_punctuated::factories(),
    ) else {
        panic!("a seal buffer that can never release is refused");
    };
    let text = refused(&err);
    for needle in [
        "`Rate` holds `readings` on [hour] until every producer of `limits` has sealed",
        "`Rate.spikes -> Throttle.spikes`",
        "`Throttle.limits -> Rate.limits`",
        "no partition would ever be released",
        "= fix:",
    ] {
        assert!(text.contains(needle), "`{needle}` in: {text}");
    }
    let Err(err) = Simulation::new(
        &dataflow,
        &analysis,
        &deployment,
        billing_punctuated::factories(),
    ) else {
        panic!("the simulator refuses it too");
    };
    refused(&err);
}

/// Where the loop's seals are the producer's own punctuations, tokio and
/// the simulator agree: the run ends, failed, saying which seals never came
/// (tokio waited for ever, silently).
#[test]
fn a_loop_whose_seals_never_come_ends_on_tokio_as_in_the_simulator() {
    let deployment = billing_punctuated::deployment();
    let sim = Simulation::new(
        &billing_punctuated::dataflow(),
        &billing_punctuated::analysis(),
        &deployment,
        billing_punctuated::factories(),
    )
    .expect("deployable: the seals are Throttle's own");
    let outcome = sim.run(&workload(), &SimConfig::new(1)).expect("runs");
    let in_sim = outcome
        .report
        .ensure_success()
        .expect_err("never sealed")
        .to_string();
    assert!(
        in_sim.contains("missing the seal of Throttle[0]"),
        "{in_sim}"
    );
    let runner = DataflowRunner::new(
        &billing_punctuated::dataflow(),
        &billing_punctuated::analysis(),
        &deployment,
        billing_punctuated::factories(),
    )
    .expect("deployable: the seals are Throttle's own");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let report = rt.block_on(async {
        let running = runner.start().expect("starts");
        tokio::time::timeout(Duration::from_secs(20), running.run_workload(&workload()))
            .await
            .expect("the run ends instead of hanging")
            .expect("runs")
    });
    let failure = report
        .ensure_success()
        .expect_err("never sealed")
        .to_string();
    assert!(failure.contains("was never sealed"), "{failure}");
}
