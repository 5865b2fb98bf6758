//! The untyped `#[on_seal]` (input as `&str`, partition as `Tuple`) on a typed component: an error at the method naming the typed form.

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
    use blazes::{Tuple, component};

    #[component]
    #[derive(Default)]
    pub struct Sessionize;

    #[component(outputs { sessions: Session })]
    impl Sessionize {
        #[path(from = events, to = sessions, label = OW, gate = [session])]
        fn events(&mut self, _event: Event, _out: &mut SessionizeOut) {}

        #[on_seal]
        fn sealed(&mut self, _input: &str, _partition: &Tuple, out: &mut SessionizeOut) {
            out.sessions(Session { session: 1, clicks: 1 });
        }
    }
}

fn main() {}
