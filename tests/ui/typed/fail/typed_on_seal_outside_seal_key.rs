//! A typed `#[on_seal(events)]` method taking a field (`user`) that the
//! stream's seal key ([session]) does not include: a released partition
//! carries only the key, so the error is on the stream's seal.

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
    pub struct Sessionize;

    #[component(outputs { sessions: Event })]
    impl Sessionize {
        #[path(from = events, to = sessions, label = OW, gate = [session])]
        fn events(&mut self, event: Event, out: &mut SessionizeOut) {
            out.sessions(event);
        }

        #[on_seal(events)]
        fn sealed(&mut self, user: String, _out: &mut SessionizeOut) {
            let _ = user;
        }
    }
}

#[blazes::dataflow]
pub mod flow {
    blazes::components! { crate::parts::Sessionize }

    streams! {
        events -> Sessionize.events { seal: [session] };
        Sessionize.sessions -> out;
    }
}

fn main() {
    let _ = flow::analysis();
}
