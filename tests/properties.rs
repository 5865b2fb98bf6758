//! Property tests of the analysis over random dataflows (see `support`):
//! it terminates without panicking, and labels move the right way when a
//! source gets worse, a seal is added, or replication is removed.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use blazes_core::{
    Analysis, AttrSet, Dataflow, Endpoint, Label, Permission, Stream, ValidationError, analyze,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::FileFailurePersistence;
use proptest::test_runner::{Config, TestRunner};

use support::corrupt::Corruption;
use support::gadgets::{Level, TOP, gadget_name, with_gadgets};
use support::{EXTERNALS, dataflow_spec, nonempty_subset, streams_into_gated_paths};

/// How long one analysis of a small dataflow may take before it counts as
/// not terminating.
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// At least 1,000 cases per property; `PROPTEST_CASES` may ask for more.
/// Failures found are kept beside this file and run first every time.
fn config() -> Config {
    let default = Config::default();
    Config {
        cases: default.cases.max(1_000),
        max_global_rejects: 20_000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/properties.proptest-regressions",
        ))),
        ..default
    }
}

type Outcome = Result<Analysis, Vec<ValidationError>>;

/// Runs the analysis on its own thread: a panic or a run past
/// [`TIME_LIMIT`] fails the case.
fn analyze_guarded(dataflow: Dataflow) -> Result<Outcome, TestCaseError> {
    let (tx, rx) = mpsc::channel();
    let shown = format!("{dataflow:?}");
    thread::spawn(move || {
        // The receiver may have given up; nothing to do then.
        let _ = tx.send(analyze(&dataflow));
    });
    match rx.recv_timeout(TIME_LIMIT) {
        Ok(outcome) => Ok(outcome),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(TestCaseError::fail(format!(
            "analysis did not finish within {TIME_LIMIT:?} on {shown}"
        ))),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(TestCaseError::fail(format!("analysis panicked on {shown}")))
        }
    }
}

fn analyze_ok(dataflow: &Dataflow) -> Result<Analysis, TestCaseError> {
    analyze(dataflow).map_err(|e| TestCaseError::fail(format!("valid dataflow rejected: {e:?}")))
}

/// Which labels of an analysis a property compares.
#[derive(Clone, Copy, Debug)]
enum Labels {
    /// `outputs` and `sinks` (spec §4).
    Analysed,
    /// `residual_outputs` and `residual` (spec §5).
    Residual,
}

fn labels(analysis: &Analysis, which: Labels) -> [(&'static str, &BTreeMap<String, Label>); 2] {
    match which {
        Labels::Analysed => [("output", &analysis.outputs), ("sink", &analysis.sinks)],
        Labels::Residual => [
            ("residual output", &analysis.residual_outputs),
            ("residual sink", &analysis.residual),
        ],
    }
}

/// Every label of `after` is at most as severe as in `before` (`lower`), or
/// at least as severe (`!lower`); both name the same ports.
fn compare(
    before: &Analysis,
    after: &Analysis,
    which: Labels,
    lower: bool,
) -> Result<(), TestCaseError> {
    for ((what, b), (_, a)) in labels(before, which).into_iter().zip(labels(after, which)) {
        prop_assert_eq!(b.keys().collect::<Vec<_>>(), a.keys().collect::<Vec<_>>());
        for (name, old) in b {
            let new = &a[name];
            if lower {
                prop_assert!(
                    new.severity() <= old.severity(),
                    "{what} {name} was raised from {old} to {new}"
                );
            } else {
                prop_assert!(
                    new.severity() >= old.severity(),
                    "{what} {name} was lowered from {old} to {new}"
                );
            }
        }
    }
    Ok(())
}

fn with_permission(mut dataflow: Dataflow, which: Labels) -> Dataflow {
    if let Labels::Residual = which {
        dataflow.coordinate = Permission::Auto;
    }
    dataflow
}

/// Seal key per source for sealed gadgets.
fn gadget_keys() -> impl Strategy<Value = Vec<AttrSet>> {
    prop::collection::vec(
        prop::sample::subsequence(support::ATTRIBUTES.to_vec(), 1..=2)
            .prop_map(|names| names.into_iter().map(String::from).collect()),
        EXTERNALS,
    )
}

/// A seal key of one to three attributes.
fn seal_key() -> impl Strategy<Value = AttrSet> {
    prop::sample::subsequence(support::ATTRIBUTES.to_vec(), 1..=3)
        .prop_map(|names| names.into_iter().map(String::from).collect())
}

/// A pair of gadget levels, the first strictly below the second.
fn raise() -> impl Strategy<Value = (Level, Level)> {
    (0..TOP).prop_flat_map(|low| (Just(low), low + 1..=TOP))
}

fn check_raising_a_source(
    spec: &support::DataflowSpec,
    levels: &[Level],
    keys: &[AttrSet],
    source: usize,
    (low, high): (Level, Level),
    which: Labels,
) -> Result<(), TestCaseError> {
    let mut before_levels = levels.to_vec();
    before_levels[source] = low;
    let mut after_levels = levels.to_vec();
    after_levels[source] = high;
    let base = with_permission(spec.build(), which);
    let before = analyze_ok(&with_gadgets(base.clone(), &before_levels, keys))?;
    let after = analyze_ok(&with_gadgets(base, &after_levels, keys))?;
    compare(&before, &after, which, false)
}

/// Which seals a seal property adds, and to what dataflow.
#[derive(Clone, Copy, Debug)]
enum Keys {
    /// The dataflow's seals are left as generated.
    Mixed,
    /// Every seal of the dataflow is first rewritten to the added key.
    One,
}

/// Rewrites every seal of `dataflow` to `key` when `keys` asks for one key.
fn with_keys(mut dataflow: Dataflow, keys: Keys, key: &AttrSet) -> Dataflow {
    if let Keys::One = keys {
        for s in &mut dataflow.streams {
            if s.annotation.seal.is_some() {
                s.annotation.seal = Some(key.clone());
            }
        }
    }
    dataflow
}

/// Adds a seal to an unsealed stream into a gated order-sensitive path, on a
/// non-empty subset of that gate.
fn check_compatible_seal(
    spec: &support::DataflowSpec,
    choice: Index,
    mask: u8,
    (which, keys): (Labels, Keys),
) -> Result<(), TestCaseError> {
    let dataflow = with_permission(spec.build(), which);
    let candidates = streams_into_gated_paths(&dataflow);
    prop_assume!(!candidates.is_empty());
    let (stream, gate) = choice.get(&candidates);
    let key = nonempty_subset(gate, mask);
    let dataflow = with_keys(dataflow, keys, &key);
    let before = analyze_ok(&dataflow)?;
    prop_assume!(carries_no_seal(&before, &dataflow, *stream));
    let mut sealed = dataflow.clone();
    sealed.streams[*stream].annotation.seal = Some(key);
    compare(&before, &analyze_ok(&sealed)?, which, true)
}

/// Adds a seal on any key to any unsealed stream.
fn check_any_seal(
    spec: &support::DataflowSpec,
    choice: Index,
    key: &AttrSet,
    (which, keys): (Labels, Keys),
) -> Result<(), TestCaseError> {
    let dataflow = with_keys(with_permission(spec.build(), which), keys, key);
    let candidates: Vec<usize> = (0..dataflow.streams.len())
        .filter(|&s| dataflow.streams[s].annotation.seal.is_none())
        .collect();
    prop_assume!(!candidates.is_empty());
    let stream = *choice.get(&candidates);
    let before = analyze_ok(&dataflow)?;
    prop_assume!(carries_no_seal(&before, &dataflow, stream));
    let mut sealed = dataflow.clone();
    sealed.streams[stream].annotation.seal = Some(key.clone());
    compare(&before, &analyze_ok(&sealed)?, which, true)
}

/// The stream's label is not already a seal (declared, or carried from
/// upstream through confluent paths): adding a seal adds one, it does not
/// replace one. Replacing a seal can raise labels, as spec §1 and §4 say;
/// `replacing_an_upstream_seal_can_raise_labels` and
/// `two_seals_on_different_keys_merge_to_async` pin those rules down.
fn carries_no_seal(analysis: &Analysis, dataflow: &Dataflow, stream: usize) -> bool {
    let name = dataflow.streams[stream].name();
    !matches!(analysis.streams.get(&name), Some(Label::Seal(_)))
}

/// Where a `rep` flag is set.
#[derive(Clone, Copy, Debug)]
enum RepFlag {
    Component(usize),
    Stream(usize),
}

fn rep_flags(dataflow: &Dataflow) -> Vec<RepFlag> {
    let components = (0..dataflow.components.len())
        .filter(|&c| dataflow.components[c].rep)
        .map(RepFlag::Component);
    let streams = (0..dataflow.streams.len())
        .filter(|&s| dataflow.streams[s].annotation.rep)
        .map(RepFlag::Stream);
    components.chain(streams).collect()
}

fn check_clearing_rep(
    spec: &support::DataflowSpec,
    choice: Index,
    which: Labels,
) -> Result<(), TestCaseError> {
    let dataflow = with_permission(spec.build(), which);
    let flags = rep_flags(&dataflow);
    prop_assume!(!flags.is_empty());
    let mut cleared = dataflow.clone();
    match *choice.get(&flags) {
        RepFlag::Component(c) => cleared.components[c].rep = false,
        RepFlag::Stream(s) => cleared.streams[s].annotation.rep = false,
    }
    compare(&analyze_ok(&dataflow)?, &analyze_ok(&cleared)?, which, true)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn analysis_terminates_and_accepts_every_valid_dataflow(spec in dataflow_spec()) {
        let outcome = analyze_guarded(spec.build())?;
        prop_assert!(outcome.is_ok(), "valid dataflow rejected: {:?}", outcome.err());
    }

    #[test]
    fn analysis_terminates_and_rejects_every_invalid_dataflow(
        spec in dataflow_spec(),
        corruption in prop::sample::select(Corruption::ALL.to_vec()),
        target in 0..12usize,
    ) {
        let outcome = analyze_guarded(corruption.apply(spec.build(), target))?;
        prop_assert!(outcome.is_err(), "{corruption:?} was accepted");
    }

    #[test]
    fn raising_a_source_never_lowers_any_label(
        spec in dataflow_spec(),
        levels in prop::collection::vec(0..=TOP, EXTERNALS),
        keys in gadget_keys(),
        source in 0..EXTERNALS,
        pair in raise(),
    ) {
        check_raising_a_source(&spec, &levels, &keys, source, pair, Labels::Analysed)?;
    }

    #[test]
    fn raising_a_source_never_lowers_any_residual_label(
        spec in dataflow_spec(),
        levels in prop::collection::vec(0..=TOP, EXTERNALS),
        keys in gadget_keys(),
        source in 0..EXTERNALS,
        pair in raise(),
    ) {
        check_raising_a_source(&spec, &levels, &keys, source, pair, Labels::Residual)?;
    }

    #[test]
    fn adding_a_compatible_seal_to_an_unsealed_stream_never_raises_any_label(
        spec in dataflow_spec(), choice in any::<Index>(), mask in any::<u8>(),
    ) {
        check_compatible_seal(&spec, choice, mask, (Labels::Analysed, Keys::Mixed))?;
    }

    #[test]
    fn adding_a_compatible_seal_to_an_unsealed_stream_never_raises_any_residual_label(
        spec in dataflow_spec(), choice in any::<Index>(), mask in any::<u8>(),
    ) {
        check_compatible_seal(&spec, choice, mask, (Labels::Residual, Keys::Mixed))?;
    }

    #[test]
    fn adding_a_compatible_seal_on_the_only_key_never_raises_any_label(
        spec in dataflow_spec(), choice in any::<Index>(), mask in any::<u8>(),
    ) {
        check_compatible_seal(&spec, choice, mask, (Labels::Analysed, Keys::One))?;
    }

    #[test]
    fn adding_a_compatible_seal_on_the_only_key_never_raises_any_residual_label(
        spec in dataflow_spec(), choice in any::<Index>(), mask in any::<u8>(),
    ) {
        check_compatible_seal(&spec, choice, mask, (Labels::Residual, Keys::One))?;
    }

    #[test]
    fn adding_any_seal_to_an_unsealed_stream_never_raises_any_label(spec in dataflow_spec(), choice in any::<Index>(), key in seal_key()) {
        check_any_seal(&spec, choice, &key, (Labels::Analysed, Keys::Mixed))?;
    }

    #[test]
    fn adding_any_seal_to_an_unsealed_stream_never_raises_any_residual_label(spec in dataflow_spec(), choice in any::<Index>(), key in seal_key()) {
        check_any_seal(&spec, choice, &key, (Labels::Residual, Keys::Mixed))?;
    }

    #[test]
    fn adding_any_seal_on_the_only_key_never_raises_any_label(spec in dataflow_spec(), choice in any::<Index>(), key in seal_key()) {
        check_any_seal(&spec, choice, &key, (Labels::Analysed, Keys::One))?;
    }

    #[test]
    fn adding_any_seal_on_the_only_key_never_raises_any_residual_label(spec in dataflow_spec(), choice in any::<Index>(), key in seal_key()) {
        check_any_seal(&spec, choice, &key, (Labels::Residual, Keys::One))?;
    }

    #[test]
    fn clearing_rep_never_raises_any_label(spec in dataflow_spec(), choice in any::<Index>()) {
        check_clearing_rep(&spec, choice, Labels::Analysed)?;
    }

    #[test]
    fn clearing_rep_never_raises_any_residual_label(
        spec in dataflow_spec(), choice in any::<Index>(),
    ) {
        check_clearing_rep(&spec, choice, Labels::Residual)?;
    }
}

/// Each gadget emits the label its level stands for.
#[test]
fn gadgets_emit_their_labels() {
    let keys = vec![
        support::ATTRIBUTES[..1]
            .iter()
            .map(|a| a.to_string())
            .collect();
        EXTERNALS
    ];
    for level in 0..=TOP {
        let dataflow = with_gadgets(Dataflow::new(), &[level; EXTERNALS], &keys);
        let dataflow = (0..EXTERNALS).fold(dataflow, |d, i| {
            d.stream(Stream::new(
                Endpoint::port(&gadget_name(i), "out"),
                Endpoint::External(support::sink_name(i)),
            ))
        });
        let analysis = analyze(&dataflow).unwrap();
        for i in 0..EXTERNALS {
            let label = &analysis.outputs[&format!("{}.out", gadget_name(i))];
            assert_eq!(label.severity(), level + 1, "gadget level {level}: {label}");
        }
    }
}

/// What a sample of generated dataflows contains.
#[derive(Default, Debug)]
struct Coverage {
    cycles: usize,
    self_feeding: usize,
    fan_in: usize,
    replicated_streams: usize,
    seals: usize,
    fds: usize,
    severities: [usize; 5],
    residual_differs: usize,
    multi_output: usize,
}

impl Coverage {
    fn record(&mut self, dataflow: &Dataflow, analysis: &Analysis) {
        self.cycles += analysis.cycles().len();
        self.multi_output += dataflow
            .components
            .iter()
            .filter(|c| c.outputs().len() > 1)
            .count();
        let mut into: BTreeMap<&Endpoint, usize> = BTreeMap::new();
        for s in &dataflow.streams {
            *into.entry(&s.to).or_default() += 1;
            if let (Endpoint::Port { component: a, .. }, Endpoint::Port { component: b, .. }) =
                (&s.from, &s.to)
            {
                self.self_feeding += usize::from(a == b);
            }
            self.replicated_streams += usize::from(s.annotation.rep);
            self.seals += usize::from(s.annotation.seal.is_some());
        }
        self.fan_in += into.values().filter(|&&n| n > 1).count();
        self.fds += dataflow.fds.len();
        for label in analysis.outputs.values().chain(analysis.sinks.values()) {
            self.severities[usize::from(label.severity()) - 1] += 1;
        }
        self.residual_differs += usize::from(analysis.residual_outputs != analysis.outputs);
    }
}

/// The generator reaches every shape and every label the properties rely on.
#[test]
fn generator_covers_cycles_fan_in_annotations_and_every_label() {
    let mut runner = TestRunner::deterministic();
    let strategy = dataflow_spec();
    let mut coverage = Coverage::default();
    for _ in 0..300 {
        let spec = strategy.new_tree(&mut runner).unwrap().current();
        let mut dataflow = spec.build();
        dataflow.coordinate = Permission::Auto;
        let analysis = analyze(&dataflow).unwrap();
        coverage.record(&dataflow, &analysis);
    }
    let counts = [
        coverage.cycles,
        coverage.self_feeding,
        coverage.fan_in,
        coverage.replicated_streams,
        coverage.seals,
        coverage.fds,
        coverage.residual_differs,
        coverage.multi_output,
    ];
    eprintln!("{coverage:?}");
    assert!(counts.iter().all(|&n| n > 0), "{coverage:?}");
    assert!(coverage.severities.iter().all(|&n| n > 0), "{coverage:?}");
}

/// Spec §4: seals on different keys merge to `Async`, so sealing a stream on
/// `[a,b]` beside one sealed on `[b]` makes an `OW[a,b]` path taint its state.
#[test]
fn two_seals_on_different_keys_merge_to_async() {
    use blazes_core::{Annotation, Component, attrs};
    let build = |extra: Option<&str>| {
        let mut a_to_c = Stream::between("A.o", "C.i");
        if let Some(k) = extra {
            a_to_c = a_to_c.sealed(attrs(k.split(',')));
        }
        Dataflow::new()
            .component(Component::new("A").path("i", "o", Annotation::cr()))
            .component(Component::new("C").path("i", "o", Annotation::ow(attrs(["a", "b"]))))
            .stream(Stream::between("s", "A.i").sealed(attrs(["b"])))
            .stream(Stream::between("t", "C.i").sealed(attrs(["b"])))
            .stream(a_to_c)
            .stream(Stream::between("C.o", "k"))
    };
    let before = analyze(&build(None)).unwrap();
    assert_eq!(before.inputs["C.i"], Label::Seal(attrs(["b"])));
    assert_eq!(before.sinks["k"], Label::Async);
    let after = analyze(&build(Some("a,b"))).unwrap();
    assert_eq!(after.inputs["C.i"], Label::Async);
    assert_eq!(after.sinks["k"], Label::Run);
}

/// Spec §1: a stream's own seal replaces the seal its producer carried.
#[test]
fn replacing_an_upstream_seal_can_raise_labels() {
    use blazes_core::{Annotation, Component, attrs};
    let build = |reseal: bool| {
        let mut a_to_c = Stream::between("A.o", "C.i");
        if reseal {
            a_to_c = a_to_c.sealed(attrs(["a"]));
        }
        Dataflow::new()
            .component(Component::new("A").path("i", "o", Annotation::cr()))
            .component(Component::new("C").path("i", "o", Annotation::ow(attrs(["b"]))))
            .stream(Stream::between("s", "A.i").sealed(attrs(["b"])))
            .stream(a_to_c)
            .stream(Stream::between("C.o", "k"))
    };
    assert_eq!(analyze(&build(false)).unwrap().sinks["k"], Label::Async);
    let after = analyze(&build(true)).unwrap();
    assert_eq!(after.streams["A.o->C.i"], Label::Seal(attrs(["a"])));
    assert_eq!(after.sinks["k"], Label::Run);
}

/// The outputs that lie on a cycle of the port graph (spec §4.1: streams,
/// paths, and state edges from every write path's input to every output with
/// an `OR` path), computed here by plain reachability, apart from the engine.
fn outputs_on_cycles(dataflow: &Dataflow) -> BTreeSet<String> {
    use blazes_core::PathKind;
    // Successors of each port, ports named `Comp.iface` (inputs prefixed `>`).
    let mut next: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in &dataflow.components {
        let readers: Vec<&str> = c
            .paths
            .iter()
            .filter(|p| p.annotation.kind == PathKind::OR)
            .map(|p| p.to.as_str())
            .collect();
        for p in &c.paths {
            let from = format!(">{}.{}", c.name, p.from);
            let entry = next.entry(from).or_default();
            entry.insert(format!("{}.{}", c.name, p.to));
            if p.annotation.kind.writes_state() {
                entry.extend(readers.iter().map(|r| format!("{}.{r}", c.name)));
            }
        }
    }
    for s in &dataflow.streams {
        if let (
            Endpoint::Port {
                component: a,
                interface: x,
            },
            Endpoint::Port {
                component: b,
                interface: y,
            },
        ) = (&s.from, &s.to)
        {
            next.entry(format!("{a}.{x}"))
                .or_default()
                .insert(format!(">{b}.{y}"));
        }
    }
    let mut on_cycle = BTreeSet::new();
    for c in &dataflow.components {
        for out in c.outputs() {
            let start = format!("{}.{out}", c.name);
            let mut seen = BTreeSet::new();
            let mut stack: Vec<String> = next.get(&start).into_iter().flatten().cloned().collect();
            while let Some(n) = stack.pop() {
                if n == start {
                    on_cycle.insert(start.clone());
                    break;
                }
                if seen.insert(n.clone()) {
                    stack.extend(next.get(&n).into_iter().flatten().cloned());
                }
            }
        }
    }
    on_cycle
}

/// The same dataflow with its annotation lines in another order: components,
/// the paths of each component, streams and FDs permuted by `seed`.
fn reordered(dataflow: &Dataflow, seed: u64) -> Dataflow {
    fn shuffle<T>(items: &mut [T], seed: &mut u64) {
        for i in (1..items.len()).rev() {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let j = (*seed >> 33) as usize % (i + 1);
            items.swap(i, j);
        }
    }
    let mut seed = seed;
    let mut d = dataflow.clone();
    shuffle(&mut d.components, &mut seed);
    for c in &mut d.components {
        shuffle(&mut c.paths, &mut seed);
    }
    shuffle(&mut d.streams, &mut seed);
    shuffle(&mut d.fds, &mut seed);
    d
}

proptest! {
    #![proptest_config(config())]

    /// Spec §4.2: no port inside a cycle is ever `Seal`, before or after
    /// coordination, and the analysis marks exactly the outputs on cycles.
    #[test]
    fn no_output_on_a_cycle_is_ever_sealed(spec in dataflow_spec()) {
        let mut dataflow = spec.build();
        dataflow.coordinate = Permission::Auto;
        let analysis = analyze_ok(&dataflow)?;
        let on_cycle = outputs_on_cycles(&dataflow);
        for (name, label) in &analysis.outputs {
            let d = analysis.derivation(name).expect("every output has a derivation");
            prop_assert_eq!(d.in_cycle, on_cycle.contains(name), "{} in_cycle", name);
            if d.in_cycle {
                prop_assert!(!matches!(label, Label::Seal(_)), "{} on a cycle is {}", name, label);
                let residual = &analysis.residual_outputs[name];
                prop_assert!(!matches!(residual, Label::Seal(_)), "{} residual {}", name, residual);
            }
        }
    }

    /// The labels, the plan and the violations do not depend on the order of
    /// the annotation lines.
    #[test]
    fn reordering_annotation_lines_changes_nothing(spec in dataflow_spec(), seed in any::<u64>()) {
        let dataflow = spec.build();
        let a = analyze_ok(&dataflow)?;
        let b = analyze_ok(&reordered(&dataflow, seed))?;
        prop_assert_eq!(&a.outputs, &b.outputs);
        prop_assert_eq!(&a.inputs, &b.inputs);
        prop_assert_eq!(&a.sinks, &b.sinks);
        prop_assert_eq!(&a.residual, &b.residual);
        prop_assert_eq!(&a.coordination, &b.coordination);
        let sinks = |x: &Analysis| {
            x.violations.iter().map(|v| (v.sink.clone(), v.label.clone())).collect::<Vec<_>>()
        };
        prop_assert_eq!(sinks(&a), sinks(&b));
    }

    /// Cycles end within the bound of spec §4.2: a port's label rises at most
    /// four times, so a cycle needs at most `4 * ports + 1` sweeps.
    #[test]
    fn cycles_are_solved_within_the_rise_bound(spec in dataflow_spec()) {
        let analysis = analyze_ok(&spec.build())?;
        for cycle in analysis.cycles() {
            prop_assert!(cycle.ports >= 2);
            prop_assert!(cycle.sweeps <= 4 * cycle.ports + 1, "{:?}", cycle);
            prop_assert!(cycle.evaluations >= cycle.ports, "{:?}", cycle);
        }
    }
}
