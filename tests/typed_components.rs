//! Typed components (issue 11): records are the user's structs, handlers
//! take them by value and emit through the generated typed handle, which
//! also punctuates an output partition with a typed key.

use blazes::{Emit, Handler, Record, Tuple, component};

/// A click of a user in a session.
#[derive(Record, Clone, Debug, PartialEq)]
pub struct Event {
    session: u64,
    user: String,
    millis: i64,
}

/// A session's summary.
#[derive(Record, Clone, Debug, PartialEq)]
pub struct Session {
    session: u64,
    user: String,
    clicks: u32,
}

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

    #[on_seal]
    fn sealed(&mut self, _input: &str, partition: &Tuple, out: &mut SessionizeOut) {
        let Some(session) = partition.int("session") else {
            return;
        };
        let session = session as u64;
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

/// On the runtime, a record that is not its input's record type is a dead
/// letter that says so (not "no handler for input"), with its payload.
#[test]
fn an_undecodable_record_is_dead_lettered_as_such() {
    use blazes::runtime::{DataflowRunner, Workload};
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
    let runner = DataflowRunner::new(
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
    let report = runtime
        .block_on(async {
            runner
                .start()
                .expect("started")
                .run_workload(&workload)
                .await
        })
        .expect("the run completes");
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
