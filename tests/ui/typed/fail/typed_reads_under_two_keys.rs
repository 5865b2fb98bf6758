//! A replicated register whose two write inputs are sealed on two keys:
//! each write's seal fits its own gate, and the read (`OR[key, day]`) is
//! protected by both, so it would have to wait under both seals (spec §5).
//! The runtime gates a read under one seal buffer, so the build fails at
//! the read's stream, with the fix.

pub mod records {
    #[derive(blazes::Record, Clone, Debug)]
    pub struct Put { pub key: String, pub day: i64, pub value: i64 }

    #[derive(blazes::Record, Clone, Debug)]
    pub struct Get { pub key: String, pub day: i64 }

    #[derive(blazes::Record, Clone, Debug)]
    pub struct Value { pub key: String, pub value: i64 }
}

pub mod parts {
    use super::records::{Get, Put, Value};
    use blazes::component;

    #[component(rep)]
    #[derive(Default)]
    pub struct Register(std::collections::BTreeMap<(String, i64), i64>);

    #[component(outputs { acks: Value, values: Value })]
    impl Register {
        #[path(from = by_key, to = acks, label = OW, gate = [key])]
        fn by_key(&mut self, p: Put, _out: &mut RegisterOut) {
            self.0.insert((p.key, p.day), p.value);
        }

        #[path(from = by_day, to = acks, label = OW, gate = [day])]
        fn by_day(&mut self, p: Put, _out: &mut RegisterOut) {
            self.0.insert((p.key, p.day), p.value);
        }

        #[path(from = gets, to = values, label = OR, gate = [key, day])]
        fn get(&mut self, g: Get, out: &mut RegisterOut) {
            let value = self.0.get(&(g.key.clone(), g.day)).copied().unwrap_or(0);
            out.values(Value { key: g.key, value });
        }
    }
}

#[blazes::dataflow]
pub mod store {
    blazes::components! { super::parts::Register }

    streams! {
        puts_by_key -> Register.by_key { seal: [key] };
        puts_by_day -> Register.by_day { seal: [day] };
        gets -> Register.gets;
        Register.acks -> acks;
        Register.values -> values;
    }
}

fn main() {}
