//! blazes: tells the builders of distributed dataflows where coordination is
//! needed, and writes it for them (BLAZES, Alvaro et al., ICDE 2014).
//!
//! The analysis lives in [`blazes_core`] and is re-exported here.

#![warn(missing_docs)]

pub mod handler;
pub mod runtime;
pub mod sim;
pub mod tuple;

pub use blazes_core::*;
pub use handler::{Emit, Handler, UnknownInput};
pub use tuple::{Tuple, Value};
