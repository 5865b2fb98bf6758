//! Where each item of the built [`blazes_core::Dataflow`] was written, index
//! for index, so structural errors can point back into the file.

use std::collections::HashSet;

use super::source::Span;

/// The spans of a dataflow's items, parallel to its vectors.
#[derive(Debug, Default)]
pub(crate) struct SourceMap {
    /// The whole document.
    pub root: Span,
    /// Parallel to `Dataflow::components`.
    pub components: Vec<ComponentSpans>,
    /// Parallel to `Dataflow::streams`.
    pub streams: Vec<StreamSpans>,
    /// Parallel to `Dataflow::fds`.
    pub fds: Vec<FdSpans>,
    /// Names of components with errors of their own (dropped, or with
    /// dropped paths): errors that may follow from those are not reported.
    pub tainted: HashSet<String>,
}

/// Where a component was written.
#[derive(Clone, Debug)]
pub(crate) struct ComponentSpans {
    /// Its name (the map key).
    pub name: Span,
    /// Parallel to `Component::paths`.
    pub paths: Vec<PathSpans>,
}

/// Where a path was written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PathSpans {
    /// The whole path map.
    pub whole: Span,
    /// The `from` value.
    pub from: Span,
    /// The `to` value.
    pub to: Span,
    /// The `subscript`/`gate` value, if given.
    pub gate: Option<Span>,
}

/// Where a stream was written (or what declared it, when wired by name).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StreamSpans {
    /// The list entry, the `streams` map key that annotates it, or the
    /// interface it was wired from.
    pub whole: Span,
    /// The `from` value of a list entry.
    pub from: Option<Span>,
    /// The `to` value of a list entry.
    pub to: Option<Span>,
    /// Its annotation's fields.
    pub annotation: AnnotationSpans,
    /// Made by wiring interfaces by name, not written as a list entry.
    pub wired_by_name: bool,
}

/// Where the fields of a stream annotation were written.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AnnotationSpans {
    /// `seal`.
    pub seal: Option<Span>,
    /// `seq`.
    pub seq: Option<Span>,
    /// `independent`.
    pub independent: Option<Span>,
}

/// Where a functional dependency was written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FdSpans {
    /// The whole map.
    pub whole: Span,
    /// The `from` value.
    pub from: Span,
    /// The `to` value.
    pub to: Span,
}
