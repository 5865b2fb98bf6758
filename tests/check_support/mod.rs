//! Dataflows for the witness tests (issue 13): case files of `cases/` read
//! into dataflows, and the handlers of the replicated register of spec S11.

#![allow(dead_code)]

pub mod register;
pub mod relax;

use blazes::{Dataflow, Permission};

/// The case file `cases/<name>.yaml`, read into a dataflow.
pub fn case(name: &str, coordinate: Permission) -> Dataflow {
    let path = format!("{}/cases/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    blazes::greybox::parse(&path, &text)
        .unwrap_or_else(|d| panic!("{}", d.render()))
        .coordinate(coordinate)
}
