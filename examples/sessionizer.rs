//! A sessionizer written as ordinary typed Rust (issue 11): clicks (`Event`)
//! → Sessionize (`OW[session]`, events sealed on `session`) → PerUserStats
//! (`OW[user]`, its input sealed on `user` by Sessionize's own punctuations;
//! a plain FD `session -> user`) → a replicated Dashboard.
//!
//! The records and PerUserStats live in another crate of the workspace
//! (`blazes-examples-lib`), Sessionize and Dashboard in two modules of this
//! file; the dataflow names them by path.
//!
//! `cargo run --release --example sessionizer`
//!
//! Prints the labels, the coordination blazes chose and why, the stats
//! checked against a direct computation, and whether the Dashboard replicas
//! agree; exits non-zero on a mismatch or a failed run.

#[path = "support/explain.rs"]
mod explain;

use std::collections::BTreeMap;

use blazes::Record;
use blazes::runtime::{DataflowRunner, RunReport, Workload};
use blazes_examples_lib::{Event, UserStats};

/// Sessionize: the clicks of each session, emitted when the session is
/// sealed; once every session of a user is out, punctuates that user.
pub mod sessions {
    use std::collections::BTreeMap;

    use blazes::{Tuple, component};
    use blazes_examples_lib::{Event, Session};

    /// Groups clicks into sessions.
    #[component]
    #[derive(Default)]
    pub struct Sessionize {
        open: BTreeMap<u64, (String, u32, u32)>,
        finished: BTreeMap<String, u32>,
    }

    #[component(outputs { sessions: Session { punctuates: [user] } })]
    impl Sessionize {
        #[path(from = events, to = sessions, label = OW, gate = [session])]
        fn events(&mut self, event: Event, _out: &mut SessionizeOut) {
            let open =
                self.open
                    .entry(event.session)
                    .or_insert((event.user, event.user_sessions, 0));
            open.2 += 1;
        }

        #[on_seal]
        fn sealed(&mut self, _input: &str, partition: &Tuple, out: &mut SessionizeOut) {
            let Some(session) = partition.int("session") else {
                return;
            };
            let session = session as u64;
            let Some((user, user_sessions, clicks)) = self.open.remove(&session) else {
                return;
            };
            out.sessions(Session {
                session,
                user: user.clone(),
                clicks,
            });
            let finished = self.finished.entry(user.clone()).or_default();
            *finished += 1;
            if *finished == user_sessions {
                out.punctuate_sessions(user);
            }
        }
    }
}

/// The Dashboard: every replica keeps the latest stats of each user.
pub mod dashboard {
    use std::collections::BTreeMap;

    use blazes::component;
    use blazes_examples_lib::UserStats;

    /// Shows the stats of each user (replicated).
    #[component(rep)]
    #[derive(Default)]
    pub struct Dashboard {
        shown: BTreeMap<String, UserStats>,
    }

    #[component(outputs { view: UserStats })]
    impl Dashboard {
        #[path(from = stats, to = view, label = CW)]
        fn stats(&mut self, stats: UserStats, out: &mut DashboardOut) {
            self.shown.insert(stats.user.clone(), stats.clone());
            out.view(stats);
        }
    }
}

/// The dataflow, checked when this file is compiled.
#[blazes::dataflow]
pub mod sessionizer {
    blazes::components! {
        crate::sessions::Sessionize,
        blazes_examples_lib::PerUserStats,
        crate::dashboard::Dashboard,
    }

    streams! {
        events -> Sessionize.events { seal: [session] };
        Sessionize.sessions -> PerUserStats.sessions { seal: [user], route: [user] };
        PerUserStats.stats -> Dashboard.stats;
        Dashboard.view -> screen;
    }

    fds! { session -> user; }
}

/// `users` users with 1 to 3 sessions each, 1 to 5 clicks per session; and
/// the stats computed directly.
fn workload(users: u64) -> (Workload, BTreeMap<String, UserStats>) {
    let mut workload = Workload::new();
    let mut expected = BTreeMap::new();
    let mut session = 0;
    for u in 0..users {
        let user = format!("user{u:02}");
        let user_sessions = (u % 3 + 1) as u32;
        let mut stats = UserStats {
            user: user.clone(),
            sessions: user_sessions,
            clicks: 0,
        };
        for s in 0..user_sessions {
            session += 1;
            let clicks = (u as u32 + s) % 5 + 1;
            stats.clicks += clicks;
            for c in 0..clicks {
                let event = Event {
                    session,
                    user: user.clone(),
                    user_sessions,
                    page: format!("/page/{c}"),
                };
                workload = workload.record("events", 0, event.to_tuple());
            }
            let seal = blazes::Tuple::new().with("session", session as i64);
            workload = workload.seal("events", 0, seal);
        }
        expected.insert(user, stats);
    }
    (workload, expected)
}

fn run(workload: &Workload) -> Result<RunReport, Box<dyn std::error::Error>> {
    let deployment = sessionizer::deployment()
        .instances("PerUserStats", 2)
        .instances("Dashboard", 3);
    let runner = DataflowRunner::new(
        &sessionizer::dataflow(),
        &sessionizer::analysis(),
        &deployment,
        sessionizer::factories(),
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let running = runtime.block_on(async { runner.start() })?;
    Ok(runtime.block_on(running.run_workload(workload))?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let analysis = sessionizer::analysis();
    println!(
        "sessionizer: events sealed on [session] -> Sessionize OW[session] -> \
         PerUserStats OW[user] (sealed on [user] by Sessionize's punctuations) -> \
         Dashboard (replicated)\n"
    );
    print!("{}", explain::describe(&analysis));

    let (workload, expected) = workload(12);
    let report = run(&workload)?;
    let mut replicas: BTreeMap<String, BTreeMap<String, UserStats>> = BTreeMap::new();
    for record in report.records("screen") {
        let stats = UserStats::from_tuple(&record.payload)?;
        replicas
            .entry(format!("{:?}", record.producer))
            .or_default()
            .insert(stats.user.clone(), stats);
    }
    println!("\nStats on the screen, per Dashboard replica");
    for (replica, shown) in &replicas {
        println!("  {replica}: {} users", shown.len());
    }
    let agree = replicas
        .values()
        .all(|r| Some(r) == replicas.values().next());
    let first = replicas.values().next().cloned().unwrap_or_default();
    println!(
        "replicas agree: {agree}; dead letters: {}",
        report.dead_letters.len()
    );
    if agree && replicas.len() == 3 && first == expected {
        println!(
            "\nOK: the stats of the {} users equal the stats computed directly",
            expected.len()
        );
        Ok(())
    } else {
        Err(format!(
            "MISMATCH: {} Dashboard replicas reported, showing {} of {} users \
             (expected all 3 replicas with every user's stats, equal to the direct computation)",
            replicas.len(),
            first.len(),
            expected.len()
        )
        .into())
    }
}
