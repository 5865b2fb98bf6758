//! A `seq` naming a field the stream's record lacks.

pub mod records {
    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Event {
        pub session: u64,
        pub user: String,
        pub score: f64,
    }

    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Session {
        pub session: u64,
        pub user: String,
        pub clicks: u32,
    }
}

pub mod parts {
    use super::records::{Event, Session};
    use blazes::component;

    #[component]
    #[derive(Default)]
    pub struct Sessionize;

    #[component(outputs { sessions: Session { punctuates: [user] } })]
    impl Sessionize {
        #[path(from = events, to = sessions, label = OW, gate = [session])]
        fn events(&mut self, event: Event, out: &mut SessionizeOut) {
            out.sessions(super::records::Session { session: event.session, user: event.user.clone(), clicks: 1 });
            out.punctuate_sessions(event.user);
        }
    }

    #[component]
    #[derive(Default)]
    pub struct Board;

    #[component(outputs { view: Session })]
    impl Board {
        #[path(from = sessions, to = view, label = OW, gate = [user])]
        fn sessions(&mut self, session: Session, out: &mut BoardOut) {
            out.view(session);
        }
    }

    pub struct Plain;
}

#[blazes::dataflow]
pub mod flow {
    blazes::components! { crate::parts::Sessionize, crate::parts::Board }

    streams! {
        events -> Sessionize.events { seal: [session], seq: [sesion] };
        Sessionize.sessions -> Board.sessions { seal: [user], route: [user] };
        Board.view -> screen;
    }

    fds! { session -> user; }
}

fn main() {
    let _ = flow::analysis();
}
