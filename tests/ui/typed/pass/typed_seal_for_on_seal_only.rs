//! A seal whose key is in no gate, read by an `#[on_seal]` method: it is
//! used, so blazes does not warn that it protects nothing (the warning is a
//! `deprecated` lint, denied here).
#![deny(deprecated)]

#[derive(blazes::Record, Clone, Debug)]
pub struct Reading {
    pub round: i64,
    pub value: i64,
}

#[derive(blazes::Record, Clone, Debug)]
pub struct RoundTotal {
    pub round: i64,
    pub total: i64,
}

pub mod parts {
    use super::{Reading, RoundTotal};
    use blazes::component;
    use std::collections::BTreeMap;

    /// Sums readings (confluent), reports a round's sum when it is sealed.
    #[component]
    #[derive(Default)]
    pub struct Sum(BTreeMap<i64, i64>);

    #[component(outputs { totals: RoundTotal })]
    impl Sum {
        #[path(from = readings, to = totals, label = CW)]
        fn readings(&mut self, reading: Reading, _out: &mut SumOut) {
            *self.0.entry(reading.round).or_default() += reading.value;
        }

        #[on_seal(readings)]
        fn round_done(&mut self, round: i64, out: &mut SumOut) {
            let total = self.0.get(&round).copied().unwrap_or_default();
            out.totals(RoundTotal { round, total });
        }
    }
}

#[blazes::dataflow]
pub mod rounds {
    blazes::components! { crate::parts::Sum }

    streams! {
        readings -> Sum.readings { seal: [round] };
        Sum.totals -> totals;
    }
}

fn main() {
    let _ = rounds::analysis();
}
