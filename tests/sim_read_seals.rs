//! A seal on an input whose reads wait in a seal buffer on another key.
//!
//! Price joins clicks with budgets: `budgets -> priced` writes (CW), sealed on
//! `ad`; `clicks -> priced` reads it (`OR[ad]`), so each click waits in
//! Price's seal buffer until its ad's budget is sealed. The clicks stream is
//! itself sealed on `hour`, and Price's `on_seal` for `clicks` punctuates
//! its output on `hour`, which Totals (`OW[hour]`) waits for. The seal of an
//! hour must reach `on_seal` after every click of that hour its producer sent,
//! although those clicks may still be held under their ads: sent early, the
//! punctuation would overtake them and Totals would find them late; dropped,
//! Totals would never be sealed. Price also logs every click (`clicks ->
//! log`, CR): that output is fed by the clicks alone, and must not end when
//! the clicks end while some of them still wait for their budget.

use std::collections::BTreeMap;

use blazes::runtime::{DataflowRunner, Deployment, Factories, InputMode, Routing, RunReport};
use blazes::sim::{SimConfig, Simulation, Workload};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};

const SCHEDULES: u64 = 300;
const HOURS: i64 = 3;
const ADS: i64 = 4;

fn dataflow() -> Dataflow {
    Dataflow::new()
        .component(
            Component::new("Price")
                .path("budgets", "priced", Annotation::cw())
                .path("clicks", "priced", Annotation::or(attrs(["ad"])))
                .path("clicks", "log", Annotation::cr()),
        )
        .component(Component::new("Totals").path(
            "priced",
            "totals",
            Annotation::ow(attrs(["hour"])),
        ))
        .stream(Stream::between("clicks", "Price.clicks").sealed(attrs(["hour"])))
        .stream(Stream::between("budgets", "Price.budgets").sealed(attrs(["ad"])))
        .stream(Stream::between("Price.priced", "Totals.priced").sealed(attrs(["hour"])))
        .stream(Stream::between("Totals.totals", "totals"))
        .stream(Stream::between("Price.log", "log"))
}

fn deployment() -> Deployment {
    Deployment::new()
        .source_producers("clicks", 2)
        .instances("Price", 2)
        .instances("Totals", 2)
        .route("clicks", "Price.clicks", Routing::by_key(["ad"]))
        .route("budgets", "Price.budgets", Routing::by_key(["ad"]))
        .route("Price.priced", "Totals.priced", Routing::by_key(["hour"]))
}

/// Prices each click (charged only once its ad has a budget) and, when an
/// hour of clicks is sealed, punctuates the hour.
#[derive(Default)]
struct Price {
    budgeted: BTreeMap<i64, i64>,
}

impl Handler for Price {
    fn handle(&mut self, input: &str, t: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        let ad = t.int("ad").unwrap_or_default();
        match input {
            "budgets" => {
                self.budgeted.insert(ad, t.int("cap").unwrap_or_default());
            }
            "clicks" => {
                let charged = self.budgeted.contains_key(&ad);
                let cents = if charged {
                    t.int("cents").unwrap_or_default()
                } else {
                    0
                };
                let hour = t.int("hour").unwrap_or_default();
                out.emit("log", t.clone());
                out.emit(
                    "priced",
                    Tuple::new().with("hour", hour).with("cents", cents),
                );
            }
            _ => return Err(UnknownInput::new(input, t)),
        }
        Ok(())
    }

    fn on_seal(&mut self, input: &str, partition: &Tuple, out: &mut Emit) {
        if input == "clicks"
            && let Some(hour) = partition.int("hour")
        {
            out.punctuate("priced", Tuple::new().with("hour", hour));
        }
    }
}

/// Sums each hour's cents, emitted when the hour is sealed.
#[derive(Default)]
struct Totals(BTreeMap<i64, i64>);

impl Handler for Totals {
    fn handle(&mut self, input: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
        if input != "priced" {
            return Err(UnknownInput::new(input, t));
        }
        *self.0.entry(t.int("hour").unwrap_or_default()).or_default() +=
            t.int("cents").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _: &str, partition: &Tuple, out: &mut Emit) {
        if let Some(hour) = partition.int("hour")
            && let Some(cents) = self.0.remove(&hour)
        {
            out.emit(
                "totals",
                Tuple::new().with("hour", hour).with("cents", cents),
            );
        }
    }
}

fn factories() -> Factories {
    Factories::new()
        .with("Price", || Box::<Price>::default())
        .with("Totals", || Box::<Totals>::default())
}

/// Every ad gets a budget, sealed; the two click producers share each hour's
/// clicks and both seal every hour after them.
fn workload() -> (Workload, BTreeMap<i64, i64>) {
    let mut w = Workload::new();
    for ad in 0..ADS {
        w = w
            .record(
                "budgets",
                0,
                Tuple::new().with("ad", ad).with("cap", 100i64),
            )
            .seal("budgets", 0, Tuple::new().with("ad", ad));
    }
    with_clicks(w)
}

/// `w` with the clicks of every hour, shared by the two click producers,
/// both sealing every hour after them; and the cents each hour totals.
fn with_clicks(mut w: Workload) -> (Workload, BTreeMap<i64, i64>) {
    let mut truth = BTreeMap::new();
    for hour in 0..HOURS {
        for i in 0..12i64 {
            let cents = 1 + i + 10 * hour;
            *truth.entry(hour).or_default() += cents;
            let click = Tuple::new()
                .with("ad", i % ADS)
                .with("hour", hour)
                .with("cents", cents);
            w = w.record("clicks", (i % 2) as usize, click);
        }
        for producer in 0..2 {
            w = w.seal("clicks", producer, Tuple::new().with("hour", hour));
        }
    }
    (w, truth)
}

/// As [`workload`], but the last ad's budget is sealed only after many
/// more budget updates, so the clicks' producers usually end while the
/// clicks of that ad still wait under it.
fn workload_with_a_late_budget() -> (Workload, BTreeMap<i64, i64>) {
    let late = ADS - 1;
    let mut w = Workload::new();
    for ad in 0..ADS {
        w = w.record(
            "budgets",
            0,
            Tuple::new().with("ad", ad).with("cap", 100i64),
        );
        if ad != late {
            w = w.seal("budgets", 0, Tuple::new().with("ad", ad));
        }
    }
    for _ in 0..400 {
        let update = Tuple::new().with("ad", late).with("cap", 100i64);
        w = w.record("budgets", 0, update);
    }
    with_clicks(w.seal("budgets", 0, Tuple::new().with("ad", late)))
}

fn simulation() -> Simulation {
    let dataflow = dataflow();
    let analysis = analyze(&dataflow).expect("valid dataflow");
    Simulation::new(&dataflow, &analysis, &deployment(), factories()).expect("deployable")
}

#[test]
fn the_clicks_wait_under_the_budget_seal_and_carry_their_own() {
    let sim = simulation();
    let t = sim.topology();
    let price = &t.components[t.component("Price").expect("Price")];
    let mode = |name: &str| {
        let at = price.inputs.iter().position(|i| i == name).expect("input");
        price.plan.inputs[at].clone()
    };
    assert_eq!(mode("budgets"), InputMode::Sealed { buffer: 0 });
    assert_eq!(mode("clicks"), InputMode::ReadGated { buffer: 0 });
}

/// The cents per hour the `totals` sink received.
fn totals(report: &RunReport) -> BTreeMap<i64, i64> {
    report
        .records("totals")
        .iter()
        .map(|r| {
            let p = &r.payload;
            (p.int("hour").unwrap_or(-1), p.int("cents").unwrap_or(-1))
        })
        .collect()
}

#[test]
fn an_hour_sealed_on_a_read_input_reaches_on_seal_after_its_held_clicks() {
    let (workload, truth) = workload();
    let sim = simulation();
    for seed in 0..SCHEDULES {
        let config = SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2);
        let outcome = sim.run(&workload, &config).expect("runs");
        assert!(!outcome.truncated, "seed {seed}");
        let report = &outcome.report;
        assert!(report.is_success(), "seed {seed}: {:#?}", report.failures());
        let totals = totals(report);
        assert_eq!(totals, truth, "seed {seed}");
    }
}

#[test]
fn the_output_ends_only_after_the_reads_still_held_when_their_input_ended() {
    let (workload, truth) = workload_with_a_late_budget();
    let sim = simulation();
    for seed in 0..SCHEDULES / 3 {
        let outcome = sim.run(&workload, &SimConfig::new(seed)).expect("runs");
        let report = &outcome.report;
        assert!(report.is_success(), "seed {seed}: {:#?}", report.failures());
        let totals = totals(report);
        assert_eq!(totals, truth, "seed {seed}");
        assert_eq!(
            report.records("log").len(),
            (HOURS * 12) as usize,
            "seed {seed}: every click logged"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_tokio_every_click_held_under_a_late_budget_is_logged() {
    let (workload, truth) = workload_with_a_late_budget();
    let dataflow = dataflow();
    let analysis = analyze(&dataflow).expect("valid dataflow");
    for run in 0..5 {
        let runner = DataflowRunner::new(&dataflow, &analysis, &deployment(), factories())
            .expect("deployable");
        let report = runner
            .start()
            .expect("starts")
            .run_workload(&workload)
            .await
            .expect("runs");
        assert!(report.is_success(), "run {run}: {:#?}", report.failures());
        assert_eq!(
            report.records("log").len(),
            (HOURS * 12) as usize,
            "run {run}"
        );
        assert_eq!(totals(&report), truth, "run {run}");
    }
}
