//! A typed `#[on_seal]` argument naming a field the input record lacks: an error at the argument listing the fields.

pub mod records {
    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Event {
        pub session: u64,
        pub user: String,
    }

    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Session {
        pub session: u64,
        pub clicks: u32,
    }
}

pub mod parts {
    use super::records::{Event, Session};
    use blazes::component;

    #[component]
    #[derive(Default)]
    pub struct Sessionize;

    #[component(outputs { sessions: Session })]
    impl Sessionize {
        #[path(from = events, to = sessions, label = OW, gate = [session])]
        fn events(&mut self, _event: Event, _out: &mut SessionizeOut) {}

        #[on_seal(events)]
        fn sealed(&mut self, sesion: u64, out: &mut SessionizeOut) {
            out.sessions(Session { session: 1, clicks: 1 });
        }
    }
}

fn main() {}
