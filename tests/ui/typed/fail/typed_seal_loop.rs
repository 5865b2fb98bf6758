//! A seal buffer that would wait on itself: `Rate`'s read of prices and
//! limits is protected by a seal on `hour`, but the limits' seals are
//! forwarded by `Throttle` from the spikes that Rate emits for the very
//! reads the buffer holds. The build fails at the stream closing the loop,
//! naming the loop and the fixes.

pub mod records {
    #[derive(blazes::Record, Clone, Debug)]
    pub struct Reading { pub tariff: String, pub hour: i64, pub wh: i64 }

    #[derive(blazes::Record, Clone, Debug)]
    pub struct Price { pub tariff: String, pub hour: i64, pub cents: i64 }

    #[derive(blazes::Record, Clone, Debug)]
    pub struct Spike { pub tariff: String, pub hour: i64 }

    #[derive(blazes::Record, Clone, Debug)]
    pub struct Charge { pub hour: i64, pub cents: i64 }
}

pub mod parts {
    use super::records::{Charge, Price, Reading, Spike};
    use blazes::component;

    #[component]
    #[derive(Default)]
    pub struct Rate(std::collections::BTreeMap<(String, i64), i64>);

    #[component(outputs { charges: Charge, spikes: Spike })]
    impl Rate {
        #[path(from = prices, to = charges, label = CW)]
        fn price(&mut self, p: Price, _out: &mut RateOut) {
            self.0.insert((p.tariff, p.hour), p.cents);
        }

        #[path(from = limits, to = charges, label = CW)]
        fn limit(&mut self, s: Spike, _out: &mut RateOut) {
            self.0.insert((s.tariff, s.hour), 0);
        }

        #[path(from = readings, to = charges, label = OR, gate = [tariff, hour])]
        #[path(from = readings, to = spikes, label = CR)]
        fn reading(&mut self, r: Reading, out: &mut RateOut) {
            let cents = self.0.get(&(r.tariff.clone(), r.hour)).copied().unwrap_or(0);
            out.charges(Charge { hour: r.hour, cents: cents * r.wh });
            out.spikes(Spike { tariff: r.tariff, hour: r.hour });
        }
    }

    #[component]
    #[derive(Default)]
    pub struct Throttle;

    #[component(outputs { limits: Spike })]
    impl Throttle {
        #[path(from = spikes, to = limits, label = CR)]
        fn spike(&mut self, s: Spike, out: &mut ThrottleOut) {
            out.limits(s);
        }
    }
}

#[blazes::dataflow]
pub mod billing {
    blazes::components! { super::parts::Rate, super::parts::Throttle }

    streams! {
        prices -> Rate.prices { seal: [hour] };
        readings -> Rate.readings { seal: [hour] };
        Rate.spikes -> Throttle.spikes;
        Throttle.limits -> Rate.limits;
        Rate.charges -> charges;
    }
}

fn main() {}
