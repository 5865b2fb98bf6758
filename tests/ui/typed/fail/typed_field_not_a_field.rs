//! Fields whose types are not `blazes::Field`: a map, and a struct that does
//! not derive `blazes::Record`.

use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub source: String,
}

#[derive(blazes::Record, Clone, Debug, PartialEq)]
pub struct Event {
    pub session: u64,
    pub counts: HashMap<String, u64>,
    pub meta: Meta,
}

fn main() {}
