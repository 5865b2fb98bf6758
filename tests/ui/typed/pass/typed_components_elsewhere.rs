//! Typed components declared in other modules and in another crate of the
//! workspace (`blazes-examples-lib`), named by path in the dataflow; the
//! generated code is warning-free.

#![deny(warnings)]

pub mod sessions {
    use blazes::component;
    use blazes_examples_lib::{Event, Session};

    /// Emits each session when it is sealed, and punctuates its user.
    #[component]
    #[derive(Default)]
    pub struct Sessionize {
        clicks: std::collections::BTreeMap<u64, (String, u32)>,
    }

    #[component(outputs { sessions: Session { punctuates: [user] } })]
    impl Sessionize {
        #[path(from = events, to = sessions, label = OW, gate = [session])]
        fn events(&mut self, event: Event, _out: &mut SessionizeOut) {
            self.clicks.entry(event.session).or_insert((event.user, 0)).1 += 1;
        }

        #[on_seal(events)]
        fn sealed(&mut self, session: u64, out: &mut SessionizeOut) {
            if let Some((user, clicks)) = self.clicks.remove(&session) {
                out.sessions(Session { session, user: user.clone(), clicks });
                out.punctuate_sessions(user);
            }
        }
    }
}

pub mod screen {
    use blazes::component;
    use blazes_examples_lib::UserStats;

    /// Shows the stats.
    #[component(rep)]
    #[derive(Default)]
    pub struct Dashboard;

    #[component(outputs { view: UserStats })]
    impl Dashboard {
        #[path(from = stats, to = view, label = CW)]
        fn stats(&mut self, stats: UserStats, out: &mut DashboardOut) {
            out.view(stats);
        }
    }
}

#[blazes::dataflow]
pub mod flow {
    blazes::components! {
        crate::sessions::Sessionize,
        blazes_examples_lib::PerUserStats,
        crate::screen::Dashboard,
    }

    streams! {
        events -> Sessionize.events { seal: [session] };
        Sessionize.sessions -> PerUserStats.sessions { seal: [user], route: [user] };
        PerUserStats.stats -> Dashboard.stats;
        Dashboard.view -> screen;
    }

    fds! { session -> user; }
}

fn main() {
    let analysis = flow::analysis();
    assert!(analysis.ok());
    assert_eq!(analysis.sinks["screen"], blazes::Label::Async);
    assert_eq!(flow::dataflow().components.len(), 3);
    assert!(flow::factories().make("PerUserStats").is_ok());
}
