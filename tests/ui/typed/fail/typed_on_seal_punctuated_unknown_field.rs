//! A typed `#[on_seal]` argument and a punctuation key of the same record
//! naming a field that does not exist: the punctuation key reports it with
//! the record's fields, and the seal argument's lookup points at the
//! argument, referring to that error.

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

    #[component(outputs { events_out: Event { punctuates: [sesion] } })]
    impl Relay {
        #[path(from = events, to = events_out, label = OW, gate = [session])]
        fn events(&mut self, event: Event, out: &mut RelayOut) {
            out.events_out(event);
        }

        #[on_seal(events)]
        fn sealed(&mut self, sesion: u64, _out: &mut RelayOut) {
            let _ = sesion;
        }
    }
}

fn main() {}
