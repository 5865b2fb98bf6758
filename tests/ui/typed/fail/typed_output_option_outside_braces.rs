//! `punctuates` written after an output's record type without braces: the
//! error says where it goes; the typed `#[on_seal]` method below it is not
//! blamed for the outputs declaration.

pub mod records {
    #[derive(blazes::Record, Clone, Debug)]
    pub struct Reading {
        pub sensor: i64,
        pub value: i64,
    }
}

pub mod parts {
    use super::records::Reading;
    use blazes::component;

    #[component]
    #[derive(Default)]
    pub struct Stats;

    #[component(outputs { stats: Reading punctuates [sensor] })]
    impl Stats {
        #[path(from = readings, to = stats, label = OW, gate = [sensor])]
        fn readings(&mut self, reading: Reading, out: &mut StatsOut) {
            out.stats(reading);
        }

        #[on_seal(readings)]
        fn sealed(&mut self, sensor: i64, out: &mut StatsOut) {
            out.punctuate_stats(sensor);
        }
    }
}

fn main() {}
