//! Issue 13, points 1 and 2: for each sink the analysis labels above
//! `Async`, the schedule search finds two executions that differ as the
//! label says; with the synthesised coordination on, it finds none within
//! its budget. The exhaustive mode's schedule count is checked against a
//! count made by hand.

mod check_support;
mod sim_support;

use std::time::{Duration, Instant};

use blazes::check::{SearchPlan, SinkSearch, WitnessSearch};
use blazes::runtime::{CoordinationMode, Deployment, Factories};
use blazes::sim::{Simulation, Workload};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Label, Permission, Stream, Tuple, UnknownInput,
    analyze, attrs,
};
use check_support::{case, register};
use sim_support::{adnet, wordcount};

/// Schedules the CI runs for each coordinated version (the 10^5 of the
/// issue is the ignored test below).
const CI_BUDGET: u64 = 3_000;
/// The issue's bound on finding a witness.
const WITHIN: Duration = Duration::from_secs(60);

fn simulate(dataflow: &Dataflow, deployment: &Deployment, factories: Factories) -> Simulation {
    let analysis = analyze(dataflow).expect("valid dataflow");
    Simulation::new(dataflow, &analysis, deployment, factories).expect("deployable")
}

/// Searches every sink above `Async`, printing what it found.
fn search(
    dataflow: &Dataflow,
    sim: &Simulation,
    workload: &Workload,
    plan: SearchPlan,
) -> Vec<SinkSearch> {
    let analysis = analyze(dataflow).expect("valid dataflow");
    let started = Instant::now();
    let found = WitnessSearch::new(sim, &analysis)
        .plan(plan)
        .search(workload)
        .expect("runs");
    for f in &found {
        println!("{f}");
    }
    assert!(
        started.elapsed() < WITHIN,
        "the search took {:?}",
        started.elapsed()
    );
    found
}

fn budget(budget: u64) -> SearchPlan {
    SearchPlan {
        budget,
        ..SearchPlan::default()
    }
}

/// The one search for `sink`.
fn at<'a>(found: &'a [SinkSearch], sink: &str) -> &'a SinkSearch {
    found
        .iter()
        .find(|f| f.sink == sink)
        .unwrap_or_else(|| panic!("no search of sink {sink}"))
}

fn assert_none(found: &[SinkSearch], budget: u64) {
    assert!(!found.is_empty(), "no sink above Async was searched");
    for f in found {
        assert!(f.witness.is_none(), "{f}");
        assert!(
            f.exhausted || f.schedules + f.pruned >= budget,
            "stopped early: {f}"
        );
    }
}

// ---- The unsealed word count: `Run`. ----

fn wordcount_workload() -> Workload {
    wordcount::workload(&[(1, "storm seal".to_string()), (1, "storm".to_string())])
}

#[test]
fn the_unsealed_word_count_gets_a_run_witness() {
    let dataflow = wordcount::dataflow(wordcount::Variant::Plain);
    let sim = simulate(&dataflow, &wordcount::deployment(), wordcount::factories());
    let found = search(
        &dataflow,
        &sim,
        &wordcount_workload(),
        SearchPlan::default(),
    );
    let db = at(&found, "db");
    assert_eq!(db.label, Label::Run);
    let witness = db.witness.as_ref().expect("a witness");
    assert!(!witness.one_run);
    assert_ne!(witness.left.outputs, witness.right.outputs);
    assert!(witness.records <= 2);
}

#[test]
fn the_word_count_sealed_on_batch_has_no_witness() {
    let dataflow = wordcount::dataflow(wordcount::Variant::Sealed);
    let sim = simulate(&dataflow, &wordcount::deployment(), wordcount::factories());
    // The sealed word count's sinks are `Async`: search `db` for the `Run`
    // the unsealed one has.
    let analysis = analyze(&dataflow).expect("valid");
    let found = WitnessSearch::new(&sim, &analysis)
        .plan(budget(CI_BUDGET))
        .search_sink(&wordcount_workload(), "db", &Label::Run)
        .expect("runs");
    println!("{found}");
    assert_none(&[found], CI_BUDGET);
}

// ---- The ad network, POOR: `Inst` / `Diverge`. ----

fn adnet_workload() -> Workload {
    adnet::workload(2, 1, 2, false, false)
}

#[test]
fn the_uncoordinated_ad_network_poor_gets_a_replica_witness() {
    let dataflow = adnet::dataflow(adnet::Query::Poor, adnet::Clicks::Unsealed);
    let sim = simulate(
        &dataflow,
        &adnet::deployment(2).coordination(CoordinationMode::Off),
        adnet::factories(adnet::Query::Poor),
    );
    let found = search(&dataflow, &sim, &adnet_workload(), SearchPlan::default());
    let answers = at(&found, "answers");
    assert_eq!(answers.label, Label::Diverge);
    let witness = answers.witness.as_ref().expect("a witness");
    assert!(witness.one_run);
    assert_ne!(witness.left.name, witness.right.name);
    assert_ne!(witness.left.outputs, witness.right.outputs);
}

#[test]
fn the_ad_network_poor_ordered_by_the_sequencer_has_no_witness() {
    let dataflow = adnet::dataflow(adnet::Query::Poor, adnet::Clicks::Unsealed);
    let sim = simulate(
        &dataflow,
        &adnet::deployment(2),
        adnet::factories(adnet::Query::Poor),
    );
    assert_none(
        &search(&dataflow, &sim, &adnet_workload(), budget(CI_BUDGET)),
        CI_BUDGET,
    );
}

// ---- The replicated register of S11: value `Inst`, ack `Diverge`. ----

#[test]
fn the_replicated_register_gets_replica_witnesses_for_both_sinks() {
    let dataflow = case("register_rep", Permission::Auto);
    let sim = simulate(
        &dataflow,
        &register::deployment(2).coordination(CoordinationMode::Off),
        register::factories(),
    );
    let found = search(
        &dataflow,
        &sim,
        &register::workload(2, false),
        SearchPlan::default(),
    );
    assert_eq!(at(&found, "value").label, Label::Inst);
    assert_eq!(at(&found, "ack").label, Label::Diverge);
    for f in &found {
        let witness = f.witness.as_ref().expect("a witness");
        assert!(witness.one_run);
        assert_ne!(witness.left.outputs, witness.right.outputs);
    }
}

#[test]
fn the_register_ordered_at_register_has_no_witness() {
    let dataflow = case("register_rep", Permission::Auto);
    let sim = simulate(&dataflow, &register::deployment(2), register::factories());
    assert_none(
        &search(
            &dataflow,
            &sim,
            &register::workload(2, false),
            budget(CI_BUDGET),
        ),
        CI_BUDGET,
    );
}

/// `Diverge` is about replica states at the end: with the register's state
/// read through its own `get` after each run, the witness for `ack` shows
/// the two replicas' final states.
#[test]
fn the_register_diverge_witness_compares_the_replicas_final_states() {
    let dataflow = case("register_rep", Permission::Auto);
    let probe = || vec![Tuple::new().with("key", 1).with("get", 1)];
    let sim = simulate(
        &dataflow,
        &register::deployment(2).coordination(CoordinationMode::Off),
        register::factories(),
    )
    .probe_state("Register", "get", probe())
    .expect("Register has a get");
    let analysis = analyze(&dataflow).expect("valid");
    let started = Instant::now();
    let found = WitnessSearch::new(&sim, &analysis)
        .search_sink(&register::workload(2, false), "ack", &Label::Diverge)
        .expect("runs");
    println!("{found}");
    assert!(started.elapsed() < WITHIN);
    let witness = found.witness.as_ref().expect("a witness");
    assert!(witness.one_run);
    let (Some(left), Some(right)) = (&witness.left.state, &witness.right.state) else {
        panic!("the witness compares states: {witness}");
    };
    assert_ne!(left, right);
    assert!(witness.to_string().contains("final state of Register[0]"));

    // Ordered at Register, the replicas end in one state.
    let sim = simulate(&dataflow, &register::deployment(2), register::factories())
        .probe_state("Register", "get", probe())
        .expect("Register has a get");
    let found = WitnessSearch::new(&sim, &analysis)
        .plan(budget(CI_BUDGET))
        .search_sink(&register::workload(2, false), "ack", &Label::Diverge)
        .expect("runs");
    println!("{found}");
    assert_none(&[found], CI_BUDGET);
}

#[test]
fn a_state_probe_of_a_missing_component_or_input_is_refused() {
    let dataflow = case("register_rep", Permission::Auto);
    let sim = || simulate(&dataflow, &register::deployment(2), register::factories());
    let Err(err) = sim().probe_state("Regster", "get", Vec::new()) else {
        panic!("accepted a missing component");
    };
    assert!(err.to_string().contains("Regster"), "{err}");
    let Err(err) = sim().probe_state("Register", "gett", Vec::new()) else {
        panic!("accepted a missing input");
    };
    assert!(err.to_string().contains("Register.gett"), "{err}");
}

/// Searches every sink above `Async` with no time bound, printing what it
/// found and how long it took.
fn search_timed(
    name: &str,
    dataflow: &Dataflow,
    sim: &Simulation,
    workload: &Workload,
    plan: SearchPlan,
) -> Vec<SinkSearch> {
    let analysis = analyze(dataflow).expect("valid dataflow");
    let started = Instant::now();
    let found = WitnessSearch::new(sim, &analysis)
        .plan(plan)
        .search(workload)
        .expect("runs");
    for f in &found {
        println!("{name}: {f}");
    }
    println!("{name}: {:?}", started.elapsed());
    found
}

#[test]
#[ignore = "10^5 runs per coordinated dataflow: about 10 minutes in a debug build"]
fn no_coordinated_version_has_a_witness_in_ten_to_the_five_schedules() {
    const ISSUE_BUDGET: u64 = 100_000;
    let plan = budget(ISSUE_BUDGET);
    let wc = wordcount::dataflow(wordcount::Variant::Sealed);
    let sim = simulate(&wc, &wordcount::deployment(), wordcount::factories());
    let analysis = analyze(&wc).expect("valid");
    let started = Instant::now();
    let found = WitnessSearch::new(&sim, &analysis)
        .plan(plan)
        .search_sink(&wordcount_workload(), "db", &Label::Run)
        .expect("runs");
    println!("word count sealed: {found} in {:?}", started.elapsed());
    assert_none(&[found], ISSUE_BUDGET);

    let ad = adnet::dataflow(adnet::Query::Poor, adnet::Clicks::Unsealed);
    let sim = simulate(
        &ad,
        &adnet::deployment(2),
        adnet::factories(adnet::Query::Poor),
    );
    let found = search_timed("ad network ordered", &ad, &sim, &adnet_workload(), plan);
    assert_none(&found, ISSUE_BUDGET);

    let reg = case("register_rep", Permission::Auto);
    let sim = simulate(&reg, &register::deployment(2), register::factories());
    let found = search_timed(
        "register ordered",
        &reg,
        &sim,
        &register::workload(2, false),
        plan,
    );
    assert_none(&found, ISSUE_BUDGET);
}

// ---- Exhaustive mode: 3 records from 2 producers. ----

/// Emits the first record it sees, and nothing after.
#[derive(Default)]
struct FirstWins {
    seen: bool,
}

impl Handler for FirstWins {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "in" {
            return Err(UnknownInput::new(input, tuple));
        }
        if !self.seen {
            self.seen = true;
            out.emit("out", tuple);
        }
        Ok(())
    }
}

fn first_wins() -> (Dataflow, Simulation, Workload) {
    let dataflow = Dataflow::new()
        .component(Component::new("First").path("in", "out", Annotation::ow(attrs(["key"]))))
        .stream(Stream::between("in", "First.in"))
        .stream(Stream::between("First.out", "out"));
    let sim = simulate(
        &dataflow,
        &Deployment::new().source_producers("in", 2),
        Factories::new().with("First", || Box::<FirstWins>::default()),
    );
    let record = |n: i64| Tuple::new().with("key", 1).with("n", n);
    let workload = Workload::new()
        .record("in", 0, record(1))
        .record("in", 0, record(2))
        .record("in", 1, record(3));
    (dataflow, sim, workload)
}

fn exhaustive(reduction: bool) -> SinkSearch {
    let (dataflow, sim, workload) = first_wins();
    let analysis = analyze(&dataflow).expect("valid");
    assert_eq!(analysis.sinks.get("out"), Some(&Label::Run));
    WitnessSearch::new(&sim, &analysis)
        .plan(SearchPlan {
            random: 0,
            budget: 1_000_000,
            reduction,
            stop_at_witness: false,
            minimise: false,
        })
        .search_sink(&workload, "out", &Label::Run)
        .expect("runs")
}

fn binomial(n: u64, k: u64) -> u64 {
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

/// The schedules of `first_wins`, counted by hand.
///
/// Producer 0 sends r1, r2 and its end (3 messages), producer 1 sends r3
/// and its end (2). Each message is one emit step and one delivery step at
/// First, a delivery after its emit and each producer's in order: 10 input
/// steps. First sends its output o when it gets its first record, and its
/// end z after the last end: 2 delivery steps at the sink, in that order.
///
/// Input steps. A producer with n messages has Catalan(n) orders of its own
/// steps (deliveries never ahead of emits): 5 for producer 0, 2 for
/// producer 1; the two sequences of 6 and 4 steps interleave in
/// C(10, 4) = 210 ways: 5 * 2 * 210 = 2100 orders.
///
/// Sink steps. z is created by the last input step (every step before it
/// is an emit or a delivery that precedes the last end), so it is always
/// the 12th step. o is created by the first delivery, at input position f,
/// and can go in any of the 11 - f gaps after it. So the total is
/// sum over orders of (11 - f) = sum over g = 1..10 of #(orders with
/// f <= g) = sum over g of (2100 - N_g), N_g = #(orders whose first g
/// steps are all emits).
///
/// N_g = sum over a + b = g (a <= 3 emits of producer 0, b <= 2 of
/// producer 1) of C(g, a) * W0(a) * W1(b) * C(10 - g, 4 - b), with Wn(k) the
/// orders of a producer's remaining steps when k of its n emits are done:
/// W0 = [5, 5, 3, 1], W1 = [2, 2, 1] (ballot sequences, counted on paper).
/// N_1 = 2100, N_2 = 1680, N_3 = 1015, N_4 = 430, N_5 = 100, N_6.. = 0.
fn schedules_by_hand() -> u64 {
    const W0: [u64; 4] = [5, 5, 3, 1];
    const W1: [u64; 3] = [2, 2, 1];
    let orders = 5 * 2 * binomial(10, 4);
    assert_eq!(orders, 2100);
    let all_emits = |g: u64| -> u64 {
        (0..=3u64)
            .filter(|a| *a <= g && g - a <= 2)
            .map(|a| {
                let b = g - a;
                binomial(g, a) * W0[a as usize] * W1[b as usize] * binomial(10 - g, 4 - b)
            })
            .sum()
    };
    assert_eq!(
        (1..=5).map(all_emits).collect::<Vec<_>>(),
        vec![2100, 1680, 1015, 430, 100]
    );
    (1..=10).map(|g| orders - all_emits(g)).sum()
}

#[test]
fn exhaustive_mode_explores_every_schedule_counted_by_hand() {
    let full = exhaustive(false);
    println!("{full}");
    assert!(full.exhausted);
    assert_eq!(full.pruned, 0);
    assert_eq!(full.schedules, schedules_by_hand());
    assert_eq!(full.schedules, 15_675);
    assert!(full.witness.is_some());
}

#[test]
fn the_reduction_explores_fewer_schedules_and_still_finds_the_witness() {
    // Only deliveries at the same receiver are dependent: First's five
    // deliveries (3 of producer 0, 2 of producer 1, each in order) in
    // C(5, 2) = 10 orders; the sink's link is FIFO; the emits commute with
    // everything else. One schedule per order: 10.
    let reduced = exhaustive(true);
    println!("{reduced}");
    assert!(reduced.exhausted);
    assert_eq!(reduced.schedules, binomial(5, 2));
    assert!(reduced.schedules < schedules_by_hand());
    let witness = reduced.witness.as_ref().expect("a witness");
    assert_ne!(witness.left.outputs, witness.right.outputs);
}
