// A handler takes its record by value or a shared slice of records, not a
// reference to one record or a mutable slice.
use blazes::component;

#[derive(blazes::Record, Clone)]
pub struct Reading {
    pub batch: i64,
    pub value: i64,
}

#[component]
#[derive(Default)]
pub struct Map;

#[component(outputs { mapped: Reading })]
impl Map {
    #[path(from = records, to = mapped, label = CR)]
    fn records(&mut self, readings: &mut [Reading], out: &mut MapOut) {
        for r in readings.iter() {
            out.mapped(r.clone());
        }
    }
}

#[component]
#[derive(Default)]
pub struct Sum;

#[component(outputs { sums: Reading })]
impl Sum {
    #[path(from = mapped, to = sums, label = CR)]
    fn mapped(&mut self, reading: &Reading, out: &mut SumOut) {
        out.sums(reading.clone());
    }
}

fn main() {}
