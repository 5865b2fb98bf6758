//! The BLAZES analysis (Alvaro et al., ICDE 2014): the model of annotated
//! dataflows, the label rules, and coordination selection.
//!
//! This crate is the single source of truth for the rules. The `blazes` crate
//! (runtime, grey-box reader, command line) and the `blazes-macros` crate
//! (compile-time check) both call [`analyze`].
//!
//! ```
//! use blazes_core::{analyze, attrs, Annotation, Component, Dataflow, Label, Stream};
//!
//! let dataflow = Dataflow::new()
//!     .component(Component::new("Splitter").path("tweets", "words", Annotation::cr()))
//!     .component(Component::new("Count").path("words", "counts", Annotation::ow(attrs(["word", "batch"]))))
//!     .stream(Stream::between("tweets", "Splitter.tweets").sealed(attrs(["batch"])))
//!     .stream(Stream::between("Splitter.words", "Count.words"))
//!     .stream(Stream::between("Count.counts", "db"));
//! let analysis = analyze(&dataflow).expect("valid dataflow");
//! assert_eq!(analysis.outputs["Splitter.words"], Label::Seal(attrs(["batch"])));
//! assert_eq!(analysis.sinks["db"], Label::Async);
//! assert!(analysis.ok());
//! ```

#![warn(missing_docs)]

mod analyze;
mod attrs_closure;
mod causes;
mod engine;
pub mod explain;

mod coordination_conflicts;
pub mod label;
mod labels;
pub mod lint;
pub mod model;
mod output_rules;
mod plan;
mod portgraph;
mod resolve;
pub mod result;
mod rules;
mod seal_loops;
mod trace;
pub mod validate;

pub use analyze::analyze;
pub use attrs_closure::{compatible, dependencies_for};
pub use coordination_conflicts::{CoordinationConflict, InputWrapper, coordination_conflicts};
pub use label::{Annotation, AttrSet, Internal, Label, PathKind, attrs};
pub use labels::Labels;
pub use model::{
    Component, Dataflow, Endpoint, Fd, Path, Permission, Requirement, Stream, StreamAnnotation,
};
pub use result::{
    Analysis, Coordination, CycleStats, Derivation, Fix, OrderKind, Origin, Strategy, Violation,
    Vote,
};
pub use seal_loops::{SealLoop, forwarded_seals, seal_loops};
pub use validate::{ValidationError, validate};
