//! Renderings of an [`Analysis`](blazes_core::Analysis): a readable report,
//! the machine-readable JSON of spec §7, and a Graphviz picture.

pub mod dot;
pub mod json;
pub mod text;

/// The output formats of `blazes check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The readable report.
    Text,
    /// JSON, as spec §7.
    Json,
    /// Graphviz DOT.
    Dot,
}
