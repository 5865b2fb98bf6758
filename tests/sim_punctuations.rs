//! Issue 11, acceptance 3: a sessionizer whose second seal is made by a
//! component, under 1,000 seeded simulator schedules with duplicates,
//! replays and crashes: one outcome, equal to a direct computation, and the
//! Dashboard replicas agree.
//!
//! events -> Sessionize (`OW[session]`) -> PerUserStats (`OW[user]`) ->
//! Dashboard (replicated) -> dashboard.
//!
//! How Sessionize knows that a user is done, honestly: a user's activity
//! ends with a logout, which the source writes as one more (empty) session,
//! `{user}/logout`, sealed after the user's sessions by every source
//! producer. The events stream is sealed on `session`; each seal also names
//! the session's `user` (the seal key is `[session, user]`: with the FD
//! `session -> user` these are the same partitions, and the analysis accepts
//! the key as compatible with `OW[session]` through the FD). Seals reach
//! every Sessionize instance, so every instance, including those that saw no
//! event of a user (events are routed by user), learns which user a session
//! belongs to. Links are FIFO and every producer seals in script order, so
//! when the logout partition is released at an instance, every session of
//! that user has been released there before: the instance has emitted all
//! its summaries of the user, and punctuates the user on `summaries`.
//! PerUserStats' seal buffer releases a user once every Sessionize instance
//! has punctuated it (a unanimous vote over the producing instances).

use std::collections::{BTreeMap, BTreeSet};

use blazes::runtime::{Deployment, Factories, InputMode, Routing, RunFailure, RunReport};
use blazes::sim::{SimConfig, Simulation, Workload};
use blazes::{
    Annotation, Component, Dataflow, Emit, Fd, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};

const SCHEDULES: u64 = 1_000;

/// The sessionizer.
fn dataflow() -> Dataflow {
    let mut d = Dataflow::new()
        .component(Component::new("Sessionize").path(
            "events",
            "summaries",
            Annotation::ow(attrs(["session"])),
        ))
        .component(Component::new("PerUserStats").path(
            "summaries",
            "stats",
            Annotation::ow(attrs(["user"])),
        ))
        .component(Component::new("Dashboard").replicated(true).path(
            "stats",
            "view",
            Annotation::cw(),
        ))
        .stream(Stream::between("events", "Sessionize.events").sealed(attrs(["session", "user"])))
        .stream(
            Stream::between("Sessionize.summaries", "PerUserStats.summaries")
                .sealed(attrs(["user"])),
        )
        .stream(Stream::between("PerUserStats.stats", "Dashboard.stats"))
        .stream(Stream::between("Dashboard.view", "dashboard"));
    d.fds.push(Fd {
        from: attrs(["session"]),
        to: "user".to_string(),
        injective: false,
    });
    d
}

/// Two event producers, two Sessionize and two PerUserStats instances
/// (partitioned by user), two Dashboard replicas.
fn deployment() -> Deployment {
    Deployment::new()
        .source_producers("events", 2)
        .instances("Sessionize", 2)
        .instances("PerUserStats", 2)
        .instances("Dashboard", 2)
        .route("events", "Sessionize.events", Routing::by_key(["user"]))
        .route(
            "Sessionize.summaries",
            "PerUserStats.summaries",
            Routing::by_key(["user"]),
        )
}

/// Holds each session's events; on the release of a session, emits its
/// summary; on the release of a user's logout, punctuates the user.
#[derive(Default)]
struct Sessionize {
    /// Events per session: (pages seen, events).
    sessions: BTreeMap<String, (BTreeSet<String>, i64)>,
    /// False: the punctuation removed.
    punctuate: bool,
}

impl Handler for Sessionize {
    fn handle(&mut self, input: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
        if input != "events" {
            return Err(UnknownInput::new(input, t));
        }
        let session = self
            .sessions
            .entry(t.str("session").unwrap_or_default().to_string())
            .or_default();
        session
            .0
            .insert(t.str("page").unwrap_or_default().to_string());
        session.1 += 1;
        Ok(())
    }

    fn on_seal(&mut self, _: &str, partition: &Tuple, out: &mut Emit) {
        let (Some(session), Some(user)) = (partition.str("session"), partition.str("user")) else {
            return;
        };
        if session.ends_with("/logout") {
            if self.punctuate {
                out.punctuate("summaries", Tuple::new().with("user", user));
            }
            return;
        }
        if let Some((pages, events)) = self.sessions.remove(session) {
            out.emit(
                "summaries",
                Tuple::new()
                    .with("user", user)
                    .with("session", session)
                    .with("events", events)
                    .with("pages", pages.len() as i64),
            );
        }
    }
}

/// Sessions, events and the longest session per user, emitted once the
/// user is sealed.
#[derive(Default)]
struct PerUserStats(BTreeMap<String, Stats>);

/// One user's statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Stats {
    sessions: i64,
    events: i64,
    longest: i64,
    pages: i64,
}

impl Handler for PerUserStats {
    fn handle(&mut self, input: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
        if input != "summaries" {
            return Err(UnknownInput::new(input, t));
        }
        let stats = self
            .0
            .entry(t.str("user").unwrap_or_default().to_string())
            .or_default();
        let events = t.int("events").unwrap_or_default();
        stats.sessions += 1;
        stats.events += events;
        stats.longest = stats.longest.max(events);
        stats.pages += t.int("pages").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _: &str, partition: &Tuple, out: &mut Emit) {
        let Some(user) = partition.str("user") else {
            return;
        };
        // Every instance is told (seals reach them all); the one that
        // holds the user's summaries reports it.
        let Some(stats) = self.0.remove(user) else {
            return;
        };
        out.emit(
            "stats",
            Tuple::new()
                .with("user", user)
                .with("sessions", stats.sessions)
                .with("events", stats.events)
                .with("longest", stats.longest)
                .with("pages", stats.pages),
        );
    }
}

/// Shows the latest statistics of each user (a replica per process).
#[derive(Default)]
struct Dashboard(BTreeMap<String, Tuple>);

impl Handler for Dashboard {
    fn handle(&mut self, input: &str, t: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "stats" {
            return Err(UnknownInput::new(input, t));
        }
        self.0
            .insert(t.str("user").unwrap_or_default().to_string(), t.clone());
        out.emit("view", t);
        Ok(())
    }
}

fn factories(punctuate: bool) -> Factories {
    Factories::new()
        .with("Sessionize", move || {
            Box::new(Sessionize {
                punctuate,
                ..Sessionize::default()
            })
        })
        .with("PerUserStats", || Box::<PerUserStats>::default())
        .with("Dashboard", || Box::<Dashboard>::default())
}

/// One event: user, session, page.
type Event = (String, String, String);

/// A deterministic click log: user `u{i}` has `1 + i % 3` sessions of
/// `1 + (i + s) % 4` events each, on a few pages.
fn events(users: usize) -> Vec<Event> {
    let mut out = Vec::new();
    for u in 0..users {
        for s in 0..1 + u % 3 {
            for e in 0..1 + (u + s) % 4 {
                out.push((
                    format!("u{u}"),
                    format!("u{u}/s{s}"),
                    format!("p{}", (u * 7 + e * 3) % 5),
                ));
            }
        }
    }
    out
}

/// The two producers share the events of each user (alternately), then
/// both seal each of the user's sessions and, last, the user's logout.
fn workload(events: &[Event]) -> Workload {
    let mut w = Workload::new();
    let mut users: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (user, session, _) in events {
        users.entry(user).or_default().insert(session);
    }
    let mut i = 0;
    for (user, sessions) in &users {
        for (u, session, page) in events.iter().filter(|e| e.0 == *user) {
            w = w.record(
                "events",
                i % 2,
                Tuple::new()
                    .with("user", u.as_str())
                    .with("session", session.as_str())
                    .with("page", page.as_str()),
            );
            i += 1;
        }
        for producer in 0..2 {
            for session in sessions {
                w = w.seal(
                    "events",
                    producer,
                    Tuple::new().with("session", *session).with("user", *user),
                );
            }
            w = w.seal(
                "events",
                producer,
                Tuple::new()
                    .with("session", format!("{user}/logout"))
                    .with("user", *user),
            );
        }
    }
    w
}

/// The statistics computed directly from the click log.
fn truth(events: &[Event]) -> BTreeMap<String, Stats> {
    let mut sessions: BTreeMap<(&str, &str), (BTreeSet<&str>, i64)> = BTreeMap::new();
    for (user, session, page) in events {
        let s = sessions.entry((user, session)).or_default();
        s.0.insert(page);
        s.1 += 1;
    }
    let mut out: BTreeMap<String, Stats> = BTreeMap::new();
    for ((user, _), (pages, n)) in sessions {
        let stats = out.entry(user.to_string()).or_default();
        stats.sessions += 1;
        stats.events += n;
        stats.longest = stats.longest.max(n);
        stats.pages += pages.len() as i64;
    }
    out
}

/// What each Dashboard replica shows, by replica.
fn views(report: &RunReport) -> BTreeMap<u32, BTreeMap<String, Stats>> {
    let mut out: BTreeMap<u32, BTreeMap<String, Stats>> = BTreeMap::new();
    for r in report.records("dashboard") {
        let p = &r.payload;
        let previous = out.entry(r.producer.0).or_default().insert(
            p.str("user").unwrap_or_default().to_string(),
            Stats {
                sessions: p.int("sessions").unwrap_or_default(),
                events: p.int("events").unwrap_or_default(),
                longest: p.int("longest").unwrap_or_default(),
                pages: p.int("pages").unwrap_or_default(),
            },
        );
        assert!(previous.is_none(), "one final row per user and replica");
    }
    out
}

fn simulation(punctuate: bool) -> Simulation {
    let dataflow = dataflow();
    let analysis = analyze(&dataflow).expect("valid dataflow");
    Simulation::new(&dataflow, &analysis, &deployment(), factories(punctuate)).expect("deployable")
}

#[test]
fn the_plan_seals_sessions_at_sessionize_and_users_at_per_user_stats() {
    let sim = simulation(true);
    let t = sim.topology();
    let mode = |c: &str| t.components[t.component(c).expect("component")].plan.inputs[0].clone();
    assert_eq!(mode("Sessionize"), InputMode::Sealed { buffer: 0 });
    assert_eq!(mode("PerUserStats"), InputMode::Sealed { buffer: 0 });
    assert_eq!(mode("Dashboard"), InputMode::Direct);
}

#[test]
fn the_sessionizer_has_one_outcome_over_1000_faulty_schedules_equal_to_the_direct_computation() {
    let log = events(7);
    let truth = truth(&log);
    let workload = workload(&log);
    let sim = simulation(true);
    let mut outcomes: BTreeMap<BTreeMap<String, Stats>, u64> = BTreeMap::new();
    let (mut crashes, mut replays, mut duplicated) = (0, 0, 0);
    for seed in 0..SCHEDULES {
        let config = SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2);
        let outcome = sim.run(&workload, &config).expect("runs");
        assert!(!outcome.truncated, "seed {seed}");
        let report = &outcome.report;
        assert!(report.is_success(), "seed {seed}: {:#?}", report.failures());
        let views = views(report);
        assert_eq!(views.len(), 2, "seed {seed}: both replicas show the stats");
        let mut replicas = views.into_values();
        let first = replicas.next().unwrap_or_default();
        assert!(
            replicas.all(|v| v == first),
            "seed {seed}: the replicas disagree"
        );
        *outcomes.entry(first).or_default() += 1;
        crashes += outcome.crashes;
        replays += outcome.replays;
        duplicated += outcome.duplicated;
    }
    assert_eq!(outcomes.len(), 1, "{} distinct outcomes", outcomes.len());
    assert_eq!(outcomes.keys().next(), Some(&truth));
    assert!(
        crashes > 0 && replays > 0 && duplicated > 0,
        "faults injected: {crashes} crashes, {replays} replays, {duplicated} duplicates"
    );
}

/// The same dataflow with Sessionize's punctuation removed: nothing reaches
/// the dashboard, and the report names every user partition with both
/// Sessionize instances missing. (The build-time rejection of a declared
/// seal nobody punctuates belongs to the macros.)
#[test]
fn without_the_punctuation_every_user_is_reported_never_sealed() {
    let log = events(4);
    let outcome = simulation(false)
        .run(&workload(&log), &SimConfig::new(1))
        .expect("runs");
    let report = &outcome.report;
    assert!(report.records("dashboard").is_empty());
    assert!(!report.is_success());
    let mut users = BTreeSet::new();
    for f in report.failures() {
        if let RunFailure::NeverSealed {
            instance,
            partition,
            missing,
            ..
        } = f
        {
            assert!(instance.starts_with("PerUserStats["), "{instance}");
            assert_eq!(
                missing,
                vec!["Sessionize[0]".to_string(), "Sessionize[1]".to_string()]
            );
            users.insert(partition.str("user").unwrap_or_default().to_string());
        }
    }
    assert_eq!(users, truth(&log).into_keys().collect());
}
