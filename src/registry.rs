//! Components annotated with `#[component]`, as registered at run time.
//!
//! Every `#[component] impl` block submits one [`RegisteredComponent`]
//! (through `inventory`); [`registry`] lists them. Registration happens before
//! `main`, so it can never fail a build: the build-time check is
//! `#[blazes::dataflow]`. A test binary only sees the components of crates it
//! links: reference such a crate (`use that_crate as _;`) to keep it.

use blazes_core::{Annotation, AttrSet, Component, PathKind};

/// Compile-time facts about a `#[component]` struct, implemented by the macro.
///
/// The `#[component]` impl block reads [`Annotated::REP`] in a constant, so a
/// struct without `#[component]` is reported where its handlers are declared.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a blazes component",
    label = "this type has no `#[component]` attribute",
    note = "add `#[component]` (or `#[component(rep)]` for a replicated component) to the struct declaration"
)]
pub trait Annotated {
    /// The component's name: the struct's name.
    const NAME: &'static str;
    /// The component runs as several replicas (`#[component(rep)]`).
    const REP: bool;
}

/// One annotated path of a registered component: `#[path(from, to, label, gate)]`.
#[derive(Debug)]
pub struct RegisteredPath {
    /// The input interface.
    pub from: &'static str,
    /// The output interface.
    pub to: &'static str,
    /// `CR`, `CW`, `OR` or `OW`.
    pub label: PathKind,
    /// The gate of an order-sensitive path, sorted (empty for confluent paths).
    pub gate: &'static [&'static str],
    /// The method that handles the input interface.
    pub handler: &'static str,
}

impl RegisteredPath {
    /// The path's annotation in the analysis model.
    pub fn annotation(&self) -> Annotation {
        Annotation::new(
            self.label,
            self.gate
                .iter()
                .copied()
                .map(String::from)
                .collect::<AttrSet>(),
        )
    }
}

/// A component registered by a `#[component]` impl block.
#[derive(Debug)]
pub struct RegisteredComponent {
    /// The component's name: the struct's name.
    pub name: &'static str,
    /// The module that declares it (`module_path!()`).
    pub module_path: &'static str,
    /// Whether it runs as several replicas.
    pub rep: bool,
    /// Its annotated paths, in declaration order.
    pub paths: &'static [RegisteredPath],
    /// Its input interfaces, in declaration order.
    pub inputs: &'static [&'static str],
    /// Its output interfaces, in declaration order.
    pub outputs: &'static [&'static str],
    /// The method called when a partition is released (`#[on_seal]`), if any.
    pub on_seal: Option<&'static str>,
}

impl RegisteredComponent {
    /// `module::path::Name`.
    pub fn qualified_name(&self) -> String {
        format!("{}::{}", self.module_path, self.name)
    }

    /// The component in the analysis model.
    pub fn component(&self) -> Component {
        self.paths.iter().fold(
            Component::new(self.name).replicated(self.rep),
            |component, path| component.path(path.from, path.to, path.annotation()),
        )
    }
}

inventory::collect!(RegisteredComponent);

/// Every component registered by `#[component]` in the crates linked into
/// this program, sorted by module path, then name.
pub fn registry() -> Vec<&'static RegisteredComponent> {
    let mut all: Vec<&'static RegisteredComponent> =
        inventory::iter::<RegisteredComponent>.into_iter().collect();
    all.sort_by_key(|c| (c.module_path, c.name));
    all
}
