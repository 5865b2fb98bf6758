//! The ten cases of `cases/`, declared with the macros. The cases whose sinks
//! exceed the requirement use `enforce = false`, so that they compile and
//! their analysis can be compared (the UI tests show that they fail the
//! build otherwise).

pub mod ad_network;
pub mod wordcount;
