//! blazes
