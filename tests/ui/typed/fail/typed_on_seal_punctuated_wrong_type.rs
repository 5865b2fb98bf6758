//! A typed `#[on_seal]` argument naming a field the component also
//! punctuates on the same record (so its existence is checked once, by the
//! punctuation method), with a type that differs from the field's: still
//! an error at the argument's type naming both types.

pub mod records {
    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Event {
        pub session: u64,
        pub user: String,
    }
}

pub mod parts {
    use super::records::Event;
    use blazes::component;

    #[component]
    #[derive(Default)]
    pub struct Relay;

    #[component(outputs { events_out: Event { punctuates: [session] } })]
    impl Relay {
        #[path(from = events, to = events_out, label = OW, gate = [session])]
        fn events(&mut self, event: Event, out: &mut RelayOut) {
            out.events_out(event);
        }

        #[on_seal(events)]
        fn sealed(&mut self, session: i64, out: &mut RelayOut) {
            out.punctuate_events_out(session as u64);
        }
    }
}

fn main() {}
