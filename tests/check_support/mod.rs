//! Dataflows for the witness tests (issue 13): the replicated register of
//! spec case S11/S12 and the first-arrival-wins loop of S13, read from the
//! case files in `cases/`, with handlers written here.

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
