//! A seal on a `Vec` field and a gate on an `Option<f64>` field: neither type
//! can be a key (an `Option` of a key can).

pub mod records {
    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Event {
        pub session: Option<u64>,
        pub tags: Vec<String>,
        pub score: Option<f64>,
    }
}

pub mod parts {
    use super::records::Event;
    use blazes::component;

    #[component]
    #[derive(Default)]
    pub struct Tally;

    #[component(outputs { tallies: Event })]
    impl Tally {
        #[path(from = events, to = tallies, label = OW, gate = [session, score])]
        fn events(&mut self, event: Event, out: &mut TallyOut) {
            out.tallies(event);
        }
    }
}

#[blazes::dataflow]
pub mod flow {
    blazes::components! { crate::parts::Tally }

    streams! {
        events -> Tally.events { seal: [tags] };
        Tally.tallies -> screen;
    }
}

fn main() {
    let _ = flow::analysis();
}
