//! Code generation of the macros.

pub mod builder;
pub mod chain;
pub mod component;
pub mod dataflow;
pub mod exported;
pub mod factories;
pub mod misplaced;
pub mod record;
pub mod skeleton;
pub mod typed;
