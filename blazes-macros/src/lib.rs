//! Procedural macros of blazes (work in progress).
