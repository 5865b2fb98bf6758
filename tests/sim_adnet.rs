//! Issue 4, acceptance 2 and 3: the ad network. With POOR, uncoordinated
//! Report replicas answer differently and the caches diverge; ordered at
//! Report by the sequencer, no replica disagrees in 1,000 schedules. With
//! CAMPAIGN sealed on campaign by three ad servers, no replica disagrees,
//! with the unanimous vote and with independent seals.

mod sim_support;

use std::collections::{BTreeMap, BTreeSet};

use blazes::runtime::{CoordinationMode, Deployment, InputMode};
use blazes::sim::{SimConfig, Simulation, Workload};
use blazes::{Vote, analyze};
use sim_support::adnet::{self, Clicks, Query};
use sim_support::{assert_balanced, duplicates_seen};

const SCHEDULES: u64 = 1_000;
const AD_SERVERS: usize = 3;

fn faults(seed: u64) -> SimConfig {
    SimConfig::new(seed)
        .with_faults(0.03, 0.01, 0.002, 2)
        .with_reordering(0.3)
}

fn simulation(query: Query, clicks: Clicks, deployment: Deployment) -> Simulation {
    let dataflow = adnet::dataflow(query, clicks);
    let analysis = analyze(&dataflow).expect("valid dataflow");
    Simulation::new(&dataflow, &analysis, &deployment, adnet::factories(query)).expect("deployable")
}

/// Runs every schedule; returns how many had replicas disagree.
fn disagreements(sim: &Simulation, workload: &Workload, schedules: u64) -> u64 {
    let mut disagree = 0;
    for seed in 0..schedules {
        let outcome = sim.run(workload, &faults(seed)).expect("runs");
        assert!(!outcome.truncated);
        assert_balanced(&outcome.report);
        // A crash alone may duplicate nothing: the restarted instance
        // replays its log and its producers resend only what it lost (an
        // instance crashed before it received anything loses nothing).
        if outcome.duplicated + outcome.replays > 0 {
            assert!(
                duplicates_seen(&outcome.report) > 0,
                "seed {seed}: duplicates not recognised"
            );
        }
        assert_eq!(
            adnet::cache_states(&outcome.report).len(),
            2,
            "both caches answered"
        );
        if !adnet::replicas_agree(&outcome.report) {
            disagree += 1;
        }
    }
    disagree
}

#[test]
fn the_plan_orders_report_for_poor_and_seals_it_for_campaign() {
    let report_modes = |sim: &Simulation| {
        let t = sim.topology();
        t.components[t.component("Report").expect("Report")]
            .plan
            .clone()
    };
    let poor = simulation(Query::Poor, Clicks::Unsealed, adnet::deployment(AD_SERVERS));
    assert_eq!(report_modes(&poor).inputs, vec![InputMode::Direct; 2]);
    assert_eq!(report_modes(&poor).ordered, vec![true; 2]);
    assert_eq!(
        poor.topology().groups.len(),
        1,
        "one total order for both replicas"
    );
    let campaign = simulation(
        Query::Campaign,
        Clicks::SealedOnCampaign,
        adnet::deployment(AD_SERVERS),
    );
    let plan = report_modes(&campaign);
    assert_eq!(
        plan.inputs,
        vec![
            InputMode::Sealed { buffer: 0 },
            InputMode::ReadGated { buffer: 0 }
        ]
    );
    assert_eq!(plan.seals[0].vote, Vote::Unanimous);
    let independent = simulation(
        Query::Campaign,
        Clicks::IndependentOnCampaign,
        adnet::deployment(AD_SERVERS),
    );
    assert_eq!(report_modes(&independent).seals[0].vote, Vote::Independent);
}

#[test]
fn uncoordinated_poor_replicas_answer_differently_and_caches_diverge() {
    let sim = simulation(
        Query::Poor,
        Clicks::Unsealed,
        adnet::deployment(AD_SERVERS).coordination(CoordinationMode::Off),
    );
    let workload = adnet::workload(AD_SERVERS, 2, 3, false, false);
    let disagree = disagreements(&sim, &workload, 200);
    assert!(
        disagree > 0,
        "no schedule made the uncoordinated replicas disagree"
    );
    // Cache replica i stores what report replica i answered: the same
    // request gets different click counts from the two replicas.
    let mut conflicting = 0;
    for seed in 0..200 {
        let outcome = sim.run(&workload, &faults(seed)).expect("runs");
        let mut answers: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for r in outcome.report.records("answers") {
            let request = r.payload.int("request").unwrap_or_default();
            answers
                .entry(request)
                .or_default()
                .insert(r.payload.int("clicks").unwrap_or_default());
        }
        if answers.values().any(|clicks| clicks.len() > 1) {
            conflicting += 1;
        }
    }
    assert!(conflicting > 0, "no request was answered differently");
}

#[test]
fn poor_ordered_by_the_sequencer_never_disagrees_across_replicas() {
    let sim = simulation(Query::Poor, Clicks::Unsealed, adnet::deployment(AD_SERVERS));
    let workload = adnet::workload(AD_SERVERS, 2, 3, false, false);
    assert_eq!(disagreements(&sim, &workload, SCHEDULES), 0);
}

#[test]
fn uncoordinated_campaign_replicas_disagree() {
    let sim = simulation(
        Query::Campaign,
        Clicks::SealedOnCampaign,
        adnet::deployment(AD_SERVERS).coordination(CoordinationMode::Off),
    );
    let workload = adnet::workload(AD_SERVERS, 3, 2, false, true);
    assert!(disagreements(&sim, &workload, 200) > 0);
}

#[test]
fn campaign_sealed_with_a_unanimous_vote_never_disagrees() {
    let sim = simulation(
        Query::Campaign,
        Clicks::SealedOnCampaign,
        adnet::deployment(AD_SERVERS),
    );
    let workload = adnet::workload(AD_SERVERS, 3, 2, false, true);
    assert_eq!(disagreements(&sim, &workload, SCHEDULES), 0);
}

#[test]
fn campaign_with_independent_seals_never_disagrees() {
    let sim = simulation(
        Query::Campaign,
        Clicks::IndependentOnCampaign,
        adnet::deployment(AD_SERVERS),
    );
    let workload = adnet::workload(AD_SERVERS, 3, 2, true, true);
    assert_eq!(disagreements(&sim, &workload, SCHEDULES), 0);
}
