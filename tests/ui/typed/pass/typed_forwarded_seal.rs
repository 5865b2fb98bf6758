//! A stream out of a component declared sealed on a key its output already
//! carries through confluent paths: the component need not punctuate it (the
//! runtime forwards the seals of its input), so the dataflow builds.

#![deny(warnings)]

pub mod records {
    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct Reading {
        pub site: String,
        pub window: i64,
        pub value: i64,
    }

    #[derive(blazes::Record, Clone, Debug, PartialEq)]
    pub struct SiteMax {
        pub site: String,
        pub window: i64,
        pub max: i64,
    }
}

pub mod parts {
    use super::records::{Reading, SiteMax};
    use blazes::component;

    /// Passes the readings on (`CR`).
    #[component]
    #[derive(Default)]
    pub struct Clean;

    #[component(outputs { good: Reading })]
    impl Clean {
        #[path(from = readings, to = good, label = CR)]
        fn readings(&mut self, r: Reading, out: &mut CleanOut) {
            out.good(r);
        }
    }

    /// The largest value of each site and window.
    #[component]
    #[derive(Default)]
    pub struct Max(std::collections::BTreeMap<(String, i64), i64>);

    #[component(outputs { maxima: SiteMax })]
    impl Max {
        #[path(from = good, to = maxima, label = OW, gate = [site, window])]
        fn good(&mut self, r: Reading, _out: &mut MaxOut) {
            let m = self.0.entry((r.site, r.window)).or_insert(i64::MIN);
            *m = (*m).max(r.value);
        }

        #[on_seal(good)]
        fn sealed(&mut self, site: String, window: i64, out: &mut MaxOut) {
            if let Some(max) = self.0.remove(&(site.clone(), window)) {
                out.maxima(SiteMax { site, window, max });
            }
        }
    }
}

#[blazes::dataflow]
pub mod monitor {
    blazes::components! { super::parts::Clean, super::parts::Max }

    streams! {
        readings -> Clean.readings { seal: [site, window] };
        Clean.good -> Max.good { seal: [site, window], route: [site] };
        Max.maxima -> board;
    }
}

fn main() {
    assert_eq!(
        monitor::analysis().outputs["Max.maxima"],
        blazes::Label::Async
    );
}
