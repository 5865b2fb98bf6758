//! A seal on a stream whose records need no holding: `Sum` adds readings up
//! (`CW`) and reports a round's total from `#[on_seal]`, the readings
//! coming from two source producers and sealed on `round`. A seal is a
//! claim about the whole stream, so `on_seal` runs once both producers
//! sealed the round (a vote, with no records held): run at the first
//! producer's seal, it would report a partial total. Over 500 seeded
//! schedules with duplicates, replays and crashes, every total equals the
//! direct sum; and a round one producer never seals fails the run, naming
//! the round and the producer. The same holds on an input a sequencer
//! orders (its seal does not cover its gate): `PerCity` reports a city's
//! count once both producers sealed the city, in the sequencer's order.

use std::collections::BTreeMap;

use blazes::runtime::{CoordinationMode, InputMode, RunFailure, Workload};
use blazes::sim::{SimConfig, Simulation};
use blazes::{Label, Record};

const SCHEDULES: u64 = 500;
const ROUNDS: i64 = 4;

#[derive(Record, Clone, Debug)]
pub struct Reading {
    round: i64,
    value: i64,
}

#[derive(Record, Clone, Debug, PartialEq)]
pub struct RoundTotal {
    round: i64,
    total: i64,
}

pub mod parts {
    use super::{Reading, RoundTotal};
    use blazes::component;
    use std::collections::BTreeMap;

    /// Sums readings per round; reports a round's total when it is sealed.
    #[component]
    #[derive(Default)]
    pub struct Sum(BTreeMap<i64, i64>);

    #[component(outputs { totals: RoundTotal })]
    impl Sum {
        #[path(from = readings, to = totals, label = CW)]
        fn readings(&mut self, reading: Reading, _out: &mut SumOut) {
            *self.0.entry(reading.round).or_default() += reading.value;
        }

        #[on_seal(readings)]
        fn round_done(&mut self, round: i64, out: &mut SumOut) {
            let total = self.0.get(&round).copied().unwrap_or_default();
            out.totals(RoundTotal { round, total });
        }
    }
}

#[blazes::dataflow]
pub mod rounds {
    blazes::components! { super::parts::Sum }

    streams! {
        readings -> Sum.readings { seal: [round] };
        Sum.totals -> totals;
    }
}

/// Ten readings a round from each of two producers, each producer sealing
/// every round after its readings except `unsealed` (producer 1, round).
fn workload(unsealed: Option<i64>) -> (Workload, BTreeMap<i64, i64>) {
    let mut workload = Workload::new();
    let mut truth = BTreeMap::new();
    for round in 0..ROUNDS {
        for producer in 0..2usize {
            for i in 0..10i64 {
                let value = round * 100 + i * (producer as i64 + 1);
                *truth.entry(round).or_default() += value;
                workload = workload.record("readings", producer, Reading { round, value });
            }
            if unsealed != Some(round) || producer == 0 {
                workload = workload.seal("readings", producer, Reading { round, value: 0 });
            }
        }
    }
    (workload, truth)
}

fn simulation(mode: CoordinationMode) -> Simulation {
    let deployment = rounds::deployment()
        .source_producers("readings", 2)
        .coordination(mode);
    Simulation::new(
        &rounds::dataflow(),
        &rounds::analysis(),
        &deployment,
        rounds::factories(),
    )
    .expect("deployable")
}

fn totals(report: &blazes::runtime::RunReport) -> BTreeMap<i64, i64> {
    let rows = report.read_sink::<RoundTotal>("totals").expect("the sink");
    let mut out = BTreeMap::new();
    for (_, row) in rows {
        assert!(
            out.insert(row.round, row.total).is_none(),
            "one total a round"
        );
    }
    out
}

#[test]
fn the_sealed_input_votes_its_seals_without_holding_records() {
    assert!(matches!(
        rounds::analysis().inputs.get("Sum.readings"),
        Some(Label::Seal(_))
    ));
    let sim = simulation(CoordinationMode::Plan);
    let t = sim.topology();
    let sum = &t.components[t.component("Sum").expect("Sum")];
    assert_eq!(sum.plan.inputs, vec![InputMode::Direct]);
    assert_eq!(sum.plan.voted_seals, vec![true]);
    let off = simulation(CoordinationMode::Off);
    let t = off.topology();
    let sum = &t.components[t.component("Sum").expect("Sum")];
    assert_eq!(sum.plan.voted_seals, vec![false], "no vote uncoordinated");
}

#[test]
fn every_round_total_is_the_direct_sum_over_500_faulty_schedules() {
    let (workload, truth) = workload(None);
    let sim = simulation(CoordinationMode::Plan);
    let (mut crashes, mut replays, mut duplicated) = (0, 0, 0);
    for seed in 0..SCHEDULES {
        let config = SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2);
        let outcome = sim.run(&workload, &config).expect("runs");
        assert!(!outcome.truncated, "seed {seed}");
        assert!(
            outcome.report.is_success(),
            "seed {seed}: {:?}",
            outcome.report.failures()
        );
        assert_eq!(totals(&outcome.report), truth, "seed {seed}");
        crashes += outcome.crashes;
        replays += outcome.replays;
        duplicated += outcome.duplicated;
    }
    assert!(
        crashes > 0 && replays > 0 && duplicated > 0,
        "faults injected: {crashes} crashes, {replays} replays, {duplicated} duplicates"
    );
}

#[test]
fn uncoordinated_a_round_total_is_reported_at_the_first_seal() {
    let (workload, truth) = workload(None);
    let sim = simulation(CoordinationMode::Off);
    let partial = (0..100)
        .map(|seed| sim.run(&workload, &SimConfig::new(seed)).expect("runs"))
        .filter(|outcome| {
            let rows = outcome
                .report
                .read_sink::<RoundTotal>("totals")
                .expect("sink");
            rows.iter()
                .any(|(_, row)| truth.get(&row.round) != Some(&row.total))
        })
        .count();
    assert!(partial > 0, "some schedule reports a partial total");
}

#[test]
fn a_round_one_producer_never_seals_fails_the_run_naming_the_round_and_the_producer() {
    let (workload, _) = workload(Some(2));
    let outcome = simulation(CoordinationMode::Plan)
        .run(&workload, &SimConfig::new(7))
        .expect("runs");
    let report = &outcome.report;
    assert!(
        !totals(report).contains_key(&2),
        "round 2 was never complete"
    );
    let failures = report.failures();
    let never = failures
        .iter()
        .find_map(|f| match f {
            RunFailure::NeverSealed {
                partition, missing, ..
            } => Some((partition.clone(), missing.clone())),
            _ => None,
        })
        .expect("the unsealed round is a failure");
    assert_eq!(never.0.int("round"), Some(2), "{never:?}");
    assert_eq!(never.1, vec!["readings[1]".to_string()], "{failures:?}");
}

// ------------------------------------------------ a dynamically ordered input

#[derive(Record, Clone, Debug)]
pub struct Visit {
    city: String,
    country: String,
}

#[derive(Record, Clone, Debug, PartialEq)]
pub struct CityCount {
    city: String,
    visits: i64,
}

pub mod ordered_parts {
    use super::{CityCount, Visit};
    use blazes::component;
    use std::collections::BTreeMap;

    /// Counts visits per country as they come (order-sensitive) and per
    /// city, reported when the city is sealed.
    #[component]
    #[derive(Default)]
    pub struct PerCity(BTreeMap<String, i64>);

    #[component(outputs { counts: CityCount })]
    impl PerCity {
        #[path(from = visits, to = counts, label = OW, gate = [country])]
        fn visits(&mut self, visit: Visit, _out: &mut PerCityOut) {
            *self.0.entry(visit.city).or_default() += 1;
        }

        #[on_seal(visits)]
        fn city_done(&mut self, city: String, out: &mut PerCityOut) {
            let visits = self.0.get(&city).copied().unwrap_or_default();
            out.counts(CityCount { city, visits });
        }
    }
}

// The seal on `city` does not cover the gate on `country`: the input is
// ordered by a sequencer, and its stream is still sealed.
#[blazes::dataflow(coordinate = auto, requires = convergent)]
pub mod cities {
    blazes::components! { super::ordered_parts::PerCity }

    streams! {
        visits -> PerCity.visits { seal: [city] };
        PerCity.counts -> counts;
    }
}

#[test]
fn an_ordered_sealed_input_votes_its_seals_in_the_sequencers_order() {
    let cities = ["oslo", "lima", "pune"];
    let mut workload = Workload::new();
    let mut truth: BTreeMap<String, i64> = BTreeMap::new();
    for producer in 0..2usize {
        for (c, city) in cities.iter().enumerate() {
            for _ in 0..(c + 2 * producer + 1) {
                *truth.entry(city.to_string()).or_default() += 1;
                let visit = Visit {
                    city: city.to_string(),
                    country: format!("k{c}"),
                };
                workload = workload.record("visits", producer, visit.clone());
            }
            let seal = Visit {
                city: city.to_string(),
                country: String::new(),
            };
            workload = workload.seal("visits", producer, seal);
        }
    }
    let deployment = cities::deployment().source_producers("visits", 2);
    let sim = Simulation::new(
        &cities::dataflow(),
        &cities::analysis(),
        &deployment,
        cities::factories(),
    )
    .expect("deployable");
    let t = sim.topology();
    let per_city = &t.components[t.component("PerCity").expect("PerCity")];
    assert_eq!(per_city.plan.inputs, vec![InputMode::Direct]);
    assert_eq!(per_city.plan.ordered, vec![true]);
    assert_eq!(per_city.plan.voted_seals, vec![true]);
    for seed in 0..200 {
        let config = SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2);
        let outcome = sim.run(&workload, &config).expect("runs");
        let report = &outcome.report;
        assert!(report.is_success(), "seed {seed}: {:?}", report.failures());
        let rows = report.read_sink::<CityCount>("counts").expect("the sink");
        assert_eq!(rows.len(), cities.len(), "seed {seed}: one count a city");
        let counts: BTreeMap<String, i64> =
            rows.into_iter().map(|(_, r)| (r.city, r.visits)).collect();
        assert_eq!(
            counts, truth,
            "seed {seed}: one count a city, all its visits"
        );
    }
}
