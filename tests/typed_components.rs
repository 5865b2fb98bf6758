//! Typed components (issue 11): records are the user's structs, handlers
//! take them by value and emit through the generated typed handle, which
//! also punctuates an output partition with a typed key.

use blazes::{Emission, Emit, Handler, Record, Tuple, component};

/// A click of a user in a session.
#[derive(Record, Clone, Debug, PartialEq)]
pub struct Event {
    session: u64,
    user: String,
    millis: i64,
}

/// A session's summary: the record `PerUserStats` (another crate) takes, so
/// that `Sessionize` can feed it (a stream carries one record type).
pub use blazes_examples_lib::Session;

#[component]
#[derive(Default)]
pub struct Sessionize {
    clicks: std::collections::BTreeMap<(u64, String), u32>,
}

#[component(outputs {
    sessions: Session { punctuates: [user] },
})]
impl Sessionize {
    #[path(from = events, to = sessions, label = OW, gate = [session])]
    fn events(&mut self, event: Event, _out: &mut SessionizeOut) {
        *self.clicks.entry((event.session, event.user)).or_default() += 1;
    }

    #[on_seal(events)]
    fn sealed(&mut self, session: u64, out: &mut SessionizeOut) {
        let done: Vec<_> = self
            .clicks
            .keys()
            .filter(|(s, _)| *s == session)
            .cloned()
            .collect();
        for key in done {
            let clicks = self.clicks.remove(&key).unwrap_or_default();
            out.sessions(Session {
                session,
                user: key.1.clone(),
                clicks,
            });
            out.punctuate_sessions(key.1);
        }
    }
}

#[test]
fn a_typed_handler_takes_the_record_and_emits_and_punctuates_through_its_handle() {
    let mut component = Sessionize::default();
    let mut out = Emit::new();
    for millis in [1, 2] {
        let event = Event {
            session: 7,
            user: "ann".into(),
            millis,
        };
        assert_eq!(
            component.handle("events", event.to_tuple(), &mut out),
            Ok(())
        );
    }
    component.on_seal("events", &Tuple::new().with("session", 7), &mut out);
    let emitted = out.drain();
    assert_eq!(emitted.len(), 1);
    assert_eq!(emitted[0].0, "sessions");
    assert_eq!(
        Session::from_tuple(&emitted[0].1),
        Ok(Session {
            session: 7,
            user: "ann".into(),
            clicks: 2
        })
    );
    assert_eq!(
        out.drain_punctuations(),
        vec![("sessions".to_string(), Tuple::new().with("user", "ann"))]
    );
}

#[test]
fn a_tuple_that_is_not_the_record_is_given_back() {
    let mut component = Sessionize::default();
    let mut out = Emit::new();
    let wrong = Tuple::new().with("session", "not a number");
    let refused = component.handle("events", wrong.clone(), &mut out);
    let refused = refused.expect_err("not an Event");
    assert_eq!(refused.tuple, wrong);
    let error = refused.undecodable.as_ref().expect("the input exists");
    assert_eq!((error.record, error.field), ("Event", "session"));
    assert!(
        refused.to_string().contains("is not a `Event`"),
        "{refused}"
    );
    let unknown = component.handle("nowhere", Tuple::new(), &mut out);
    assert_eq!(unknown.expect_err("no such input").undecodable, None);
}

/// A click, with a partition key of two fields.
#[derive(Record, Clone, Debug, PartialEq)]
pub struct Click {
    user: String,
    day: i64,
}

/// What a typed seal method received.
#[derive(Record, Clone, Debug, PartialEq)]
pub struct Closed {
    what: String,
    user: String,
    day: i64,
}

/// Two inputs, each with its own typed `#[on_seal(input)]` method; the
/// clicks' key has two fields, given in another order than the record's.
#[component]
#[derive(Default)]
pub struct Closer;

#[component(outputs { closed: Closed })]
impl Closer {
    #[path(from = clicks, to = closed, label = OW, gate = [user, day])]
    fn clicks(&mut self, _click: Click, _out: &mut CloserOut) {}

    #[path(from = events, to = closed, label = OW, gate = [session])]
    fn events(&mut self, _event: Event, _out: &mut CloserOut) {}

    #[on_seal(clicks)]
    fn clicks_sealed(&mut self, day: i64, user: String, out: &mut CloserOut) {
        out.closed(Closed {
            what: "clicks".into(),
            user,
            day,
        });
    }

    #[on_seal(events)]
    fn events_sealed(&mut self, session: u64, out: &mut CloserOut) {
        out.closed(Closed {
            what: "events".into(),
            user: String::new(),
            day: session as i64,
        });
    }
}

/// An output punctuated on a key of two fields: its `punctuate_days` takes
/// both, in the order `punctuates: [..]` lists them.
#[component]
#[derive(Default)]
pub struct DayCloser;

#[component(outputs { days: Click { punctuates: [user, day] } })]
impl DayCloser {
    #[path(from = clicks, to = days, label = OW, gate = [user, day])]
    fn clicks(&mut self, click: Click, out: &mut DayCloserOut) {
        out.punctuate_days(click.user.clone(), click.day);
        out.days(click);
    }
}

#[test]
fn a_punctuation_key_of_several_fields_names_each_in_the_partition() {
    let mut closer = DayCloser;
    let mut out = Emit::new();
    let click = Click {
        user: "ann".into(),
        day: 3,
    };
    assert_eq!(closer.handle("clicks", click.to_tuple(), &mut out), Ok(()));
    assert_eq!(
        out.drain_all(),
        vec![
            Emission::Punctuation {
                output: "days".into(),
                partition: Tuple::new().with("user", "ann").with("day", 3),
            },
            Emission::Record {
                output: "days".into(),
                tuple: click.to_tuple(),
            },
        ]
    );
}

#[test]
fn each_typed_seal_method_receives_its_inputs_key_decoded() {
    let mut closer = Closer;
    let mut out = Emit::new();
    let key = Tuple::new().with("user", "ann").with("day", 3);
    closer.on_seal("clicks", &key, &mut out);
    closer.on_seal("events", &Tuple::new().with("session", 9), &mut out);
    let closed: Vec<Closed> = out
        .drain()
        .iter()
        .map(|(_, t)| Closed::from_tuple(t).expect("a Closed"))
        .collect();
    let expected = [
        Closed {
            what: "clicks".into(),
            user: "ann".into(),
            day: 3,
        },
        Closed {
            what: "events".into(),
            user: String::new(),
            day: 9,
        },
    ];
    assert_eq!(closed, expected);
    assert!(out.take_refused_seals().is_empty());
}

#[test]
fn a_seal_key_lacking_a_field_or_mistyped_is_refused_not_a_panic() {
    let mut closer = Closer;
    let mut out = Emit::new();
    let lacking = Tuple::new().with("user", "ann");
    closer.on_seal("clicks", &lacking, &mut out);
    let mistyped = Tuple::new().with("session", "nine");
    closer.on_seal("events", &mistyped, &mut out);
    assert!(out.drain().is_empty());
    let refused = out.take_refused_seals();
    let seen: Vec<_> = refused
        .iter()
        .map(|r| {
            (
                r.input.as_str(),
                r.error.record,
                r.error.field,
                r.error.missing,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("clicks", "Click", "day", true),
            ("events", "Event", "session", false),
        ]
    );
    assert_eq!(refused[0].partition, lacking);
}

/// On the runtime, a released partition whose key the typed seal method
/// cannot take (a session that is a string, not a `u64`) is counted and fails the run's
/// report; it does not panic the instance.
/// Runs `workload` through the `by_path` dataflow on tokio.
fn run_by_path(workload: &blazes::runtime::Workload) -> blazes::runtime::RunReport {
    let runner = blazes::runtime::DataflowRunner::new(
        &by_path::dataflow(),
        &by_path::analysis(),
        &by_path::deployment(),
        by_path::factories(),
    )
    .expect("deployable");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    runtime
        .block_on(async {
            runner
                .start()
                .expect("started")
                .run_workload(workload)
                .await
        })
        .expect("the run completes")
}

#[test]
fn an_undecodable_seal_key_is_counted_and_fails_the_report() {
    use blazes::runtime::Workload;
    let workload = Workload::new().seal("events", 0, Tuple::new().with("session", "seven"));
    let report = run_by_path(&workload);
    assert_eq!(report.totals().undecodable_seals, 1);
    assert_eq!(report.totals().handler_panics, 0);
    assert!(!report.failures().is_empty());
}

/// On the runtime, a record that is not its input's record type is a dead
/// letter that says so (not "no handler for input"), with its payload.
#[test]
fn an_undecodable_record_is_dead_lettered_as_such() {
    use blazes::runtime::Workload;
    // Its seal key is fine (the seal buffer holds it under session 7); its
    // `user` is not a string.
    let wrong = Tuple::new()
        .with("session", 7)
        .with("user", 5)
        .with("millis", 1);
    let workload = Workload::new().record("events", 0, wrong.clone()).seal(
        "events",
        0,
        Tuple::new().with("session", 7),
    );
    let report = run_by_path(&workload);
    let letters: Vec<_> = report
        .dead_letters
        .iter()
        .filter(|d| d.reason.kind() == "undecodable record")
        .collect();
    assert_eq!(letters.len(), 1, "{:?}", report.dead_letters);
    assert_eq!(letters[0].payload, wrong);
    assert!(letters[0].reason.to_string().contains("`events`"));
}

/// Components from another module of this crate and from another crate of
/// the workspace, named by path.
#[blazes::dataflow]
pub mod by_path {
    blazes::components! {
        crate::Sessionize,
        blazes_examples_lib::PerUserStats,
    }

    streams! {
        events -> Sessionize.events { seal: [session] };
        Sessionize.sessions -> PerUserStats.sessions { seal: [user], route: [user] };
        PerUserStats.stats -> screen;
    }
}

#[test]
fn a_dataflow_of_components_named_by_path_is_analysed_and_deployable() {
    let analysis = by_path::analysis();
    assert!(analysis.ok());
    assert_eq!(analysis.sinks["screen"], blazes::Label::Async);
    let seals: Vec<&str> = analysis
        .coordination
        .iter()
        .map(|c| c.component.as_str())
        .collect();
    assert_eq!(seals, ["PerUserStats", "Sessionize"]);
    let factories = by_path::factories();
    assert!(factories.make("PerUserStats").is_ok());
    assert!(factories.make("Sessionize").is_ok());
    let expected = blazes::runtime::Deployment::new().route(
        "Sessionize.sessions",
        "PerUserStats.sessions",
        blazes::runtime::Routing::by_key(["user"]),
    );
    assert_eq!(by_path::deployment(), expected);
}

/// A deployment that routes a typed stream by a field its records lack
/// (a typo) is refused before the run, naming the stream, the attribute and
/// the record's fields, on every driver: unrefused, every record would hash
/// alike and go to one instance. The right field still deploys.
#[test]
fn a_route_by_a_field_the_consumers_record_lacks_is_refused_naming_its_fields() {
    use blazes::runtime::{BuildError, DataflowRunner, Deployment, NameError, Routing};
    let deployment = |key: &str| {
        Deployment::new().instances("PerUserStats", 2).route(
            "Sessionize.sessions",
            "PerUserStats.sessions",
            Routing::by_key([key]),
        )
    };
    let build = |key: &str| {
        DataflowRunner::new(
            &by_path::dataflow(),
            &by_path::analysis(),
            &deployment(key),
            by_path::factories(),
        )
    };
    let Err(error) = build("usr") else {
        panic!("a route by `usr` deployed");
    };
    let BuildError::Name(NameError::UnknownRouteKey(refused)) = &error else {
        panic!("{error:?}");
    };
    let fields = &refused.fields;
    assert_eq!(
        (
            refused.from.as_str(),
            refused.to.as_str(),
            refused.attribute.as_str(),
            refused.record.as_str()
        ),
        (
            "Sessionize.sessions",
            "PerUserStats.sessions",
            "usr",
            "Session"
        )
    );
    assert!(fields.iter().any(|f| f == "user"), "{fields:?}");
    let message = error.to_string();
    assert!(
        message.contains("`usr`") && message.contains("`user`"),
        "{message}"
    );
    assert!(build("user").is_ok());
    // The simulator checks the same deployment alike.
    assert!(matches!(
        blazes::sim::Simulation::new(
            &by_path::dataflow(),
            &by_path::analysis(),
            &deployment("usr"),
            by_path::factories(),
        ),
        Err(BuildError::Name(NameError::UnknownRouteKey { .. }))
    ));
}

/// A run's sink read back as the user's record type, each record with the
/// instance that produced it; an unknown sink and a record of another type
/// are refused, not skipped.
#[test]
fn a_sink_is_read_back_as_typed_records_with_their_producers() {
    use blazes::runtime::{ReadSinkError, Workload};
    use blazes_examples_lib::UserStats;

    let mut workload = Workload::new();
    for (session, user, clicks) in [(1_u64, "ann", 2), (2, "bob", 1)] {
        for millis in 0..clicks {
            workload = workload.record(
                "events",
                0,
                Event {
                    session,
                    user: user.to_string(),
                    millis,
                },
            );
        }
        workload = workload.seal("events", 0, Tuple::new().with("session", session as i64));
    }
    let report = run_by_path(&workload);
    assert!(report.is_success(), "{:?}", report.failures());

    let mut shown = report
        .read_sink::<UserStats>("screen")
        .expect("every record of `screen` is a UserStats");
    shown.sort_by(|a, b| a.1.user.cmp(&b.1.user));
    let expected = [
        UserStats {
            user: "ann".into(),
            sessions: 1,
            clicks: 2,
        },
        UserStats {
            user: "bob".into(),
            sessions: 1,
            clicks: 1,
        },
    ];
    assert_eq!(
        shown.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>(),
        expected
    );
    assert!(
        shown.iter().all(|(by, _)| by == "PerUserStats[0]"),
        "{shown:?}"
    );

    match report.read_sink::<UserStats>("scren") {
        Err(ReadSinkError::UnknownSink(e)) => assert!(e.to_string().contains("`screen`"), "{e}"),
        other => panic!("an unknown sink must be refused, got {other:?}"),
    }
    match report.read_sink::<Session>("screen") {
        Err(ReadSinkError::NotARecord { index, source, .. }) => {
            assert_eq!((index, source.field), (0, "session"));
        }
        other => panic!("a UserStats is not a Session, got {other:?}"),
    }
}

#[test]
fn typed_components_named_by_path_are_registered_with_their_own_modules() {
    let registered = blazes::registry();
    let find = |name: &str| {
        registered
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("`{name}` is registered: {registered:#?}"))
    };
    let sessionize = find("Sessionize");
    assert_eq!(sessionize.module_path, "typed_components");
    assert_eq!(sessionize.inputs, vec!["events".to_string()]);
    assert_eq!(sessionize.on_seal.as_deref(), Some("sealed"));
    let stats = find("PerUserStats");
    assert_eq!(stats.module_path, "blazes_examples_lib");
    assert_eq!(stats.qualified_name(), "blazes_examples_lib::PerUserStats");
    assert!(
        blazes::registry::dataflows()
            .iter()
            .any(|d| d.module_path == "typed_components::by_path"),
        "the dataflow is registered"
    );
}

/// A number in a batch.
#[derive(Record, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Numbered {
    batch: i64,
    v: i64,
}

/// Passes numbers on, from a direct input (handled as they come) and from
/// a sealed one (held until its batch is sealed); panics on `v = 2` after
/// emitting a number that must not reach the sink.
#[component]
#[derive(Default)]
pub struct Checked;

#[component(outputs { passed: Numbered })]
impl Checked {
    #[path(from = direct, to = passed, label = CR)]
    fn direct(&mut self, number: Numbered, out: &mut CheckedOut) {
        check(number, out);
    }

    #[path(from = held, to = passed, label = OW, gate = [batch])]
    fn held(&mut self, number: Numbered, out: &mut CheckedOut) {
        check(number, out);
    }
}

fn check(number: Numbered, out: &mut CheckedOut) {
    if number.v == 2 {
        out.passed(Numbered {
            batch: number.batch,
            v: -2,
        });
        panic!("cannot check v = 2");
    }
    out.passed(number);
}

#[blazes::dataflow]
pub mod checked {
    blazes::components! { crate::Checked }

    streams! {
        direct -> Checked.direct;
        held -> Checked.held { seal: [batch] };
        Checked.passed -> out;
    }
}

/// The runtime hands a typed handler many records in one call (a link's
/// batch on a direct input, a released partition on a sealed one): a
/// record whose call panics is dead-lettered alone, and what the records
/// before it in the same call emitted still reaches the sink (the typed
/// handle holding the emitter is given back as the panic unwinds).
#[test]
fn a_typed_handler_panicking_inside_a_batch_loses_only_its_own_record() {
    use blazes::runtime::{DataflowRunner, DeadLetterReason, Deployment, Workload};
    let mut workload = Workload::new();
    for v in 1..=5 {
        workload = workload.record("direct", 0, Numbered { batch: 0, v });
    }
    for v in 1..=5 {
        workload = workload.record("held", 0, Numbered { batch: 1, v });
    }
    let workload = workload.seal("held", 0, Tuple::new().with("batch", 1));
    let runner = DataflowRunner::new(
        &checked::dataflow(),
        &checked::analysis(),
        &Deployment::new(),
        checked::factories(),
    )
    .expect("deployable");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let report = runtime
        .block_on(async {
            runner
                .start()
                .expect("started")
                .run_workload(&workload)
                .await
        })
        .expect("the run completes");
    let mut passed: Vec<Numbered> = report
        .read_sink::<Numbered>("out")
        .expect("numbers")
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    passed.sort();
    let expected: Vec<Numbered> = [0, 1]
        .into_iter()
        .flat_map(|batch| [1, 3, 4, 5].map(|v| Numbered { batch, v }))
        .collect();
    assert_eq!(passed, expected);
    let mut letters: Vec<_> = report
        .dead_letters
        .iter()
        .map(|d| (Numbered::from_tuple(&d.payload).ok(), d.reason.clone()))
        .collect();
    letters.sort_by(|a, b| a.0.cmp(&b.0));
    let panicked = |batch| {
        (
            Some(Numbered { batch, v: 2 }),
            DeadLetterReason::HandlerPanicked("cannot check v = 2".into()),
        )
    };
    assert_eq!(letters, [panicked(0), panicked(1)]);
    let totals = report.component_totals("Checked");
    assert_eq!((totals.processed, totals.handler_panics), (8, 2));
}
