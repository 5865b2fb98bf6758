//! The sessionizer of `examples/sessionizer.rs` (issue 11), shared with the
//! tests: Sessionize and Dashboard in two modules here, PerUserStats and the
//! records in the crate `blazes-examples-lib`; the dataflow names them by path.

use std::collections::BTreeMap;

use blazes::runtime::Workload;
use blazes_examples_lib::{Event, SessionKey, UserStats};

/// Sessionize: the clicks of each session, emitted when the session is
/// sealed; once every session of a user is out, punctuates that user.
pub mod sessions {
    use std::collections::BTreeMap;

    use blazes::component;
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

        #[on_seal(events)]
        fn sealed(&mut self, session: u64, out: &mut SessionizeOut) {
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
    #[derive(Default, Debug)]
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
        super::sessions::Sessionize,
        blazes_examples_lib::PerUserStats,
        super::dashboard::Dashboard,
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
pub fn workload(users: u64) -> (Workload, BTreeMap<String, UserStats>) {
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
                workload = workload.record("events", 0, event);
            }
            workload = workload.seal("events", 0, SessionKey { session });
        }
        expected.insert(user, stats);
    }
    (workload, expected)
}
