//! Components annotated with `#[component]`, as registered at run time.
//!
//! Every `#[component]` impl block outside a dataflow module, and every
//! `#[blazes::dataflow]` module (for all its components at once), registers
//! through `inventory`; [`registry`] lists the components and [`dataflows`]
//! the dataflow modules. Registration happens before `main`, so it can never
//! fail a build: the build-time check is `#[blazes::dataflow]`. A test binary
//! only sees the components of crates it links: reference such a crate
//! (`use that_crate as _;`) to keep it.

use blazes_core::{Annotation, AttrSet, Component, Dataflow, PathKind};

use crate::__private::{self, ComponentSpec, MethodsSpec, spec};

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
    /// The component's name: the struct's name (the last segment of
    /// [`Annotated::PATH`]).
    const NAME: &'static str = crate::__private::last_segment(Self::PATH);
    /// The component runs as several replicas (`#[component(rep)]`); false
    /// unless the struct says `rep` (`#[component]` then writes no constant
    /// of its own: one item fewer for the compiler per component).
    const REP: bool = false;
    /// The module that declares it (`module_path!()` there: all of
    /// [`Annotated::PATH`] but its last segment).
    const MODULE_PATH: &'static str = crate::__private::parent_path(Self::PATH);
    /// The struct's path, `module_path!()` where it is declared and its
    /// name, joined by `::`: the one constant `#[component]` writes, from
    /// which [`Annotated::NAME`] and [`Annotated::MODULE_PATH`] are read.
    const PATH: &'static str;
}

/// One annotated path of a registered component: `#[path(from, to, label, gate)]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredPath {
    /// The input interface.
    pub from: String,
    /// The output interface.
    pub to: String,
    /// `CR`, `CW`, `OR` or `OW`.
    pub label: PathKind,
    /// The gate of an order-sensitive path, sorted (empty for confluent paths).
    pub gate: AttrSet,
    /// The method that handles the input interface.
    pub handler: String,
}

impl RegisteredPath {
    /// The path's annotation in the analysis model.
    pub fn annotation(&self) -> Annotation {
        Annotation::new(self.label, self.gate.clone())
    }
}

/// A component registered by a `#[component]` impl block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredComponent {
    /// The component's name: the struct's name.
    pub name: String,
    /// The module that declares it (`module_path!()`).
    pub module_path: String,
    /// Whether it runs as several replicas.
    pub rep: bool,
    /// Its annotated paths, in declaration order.
    pub paths: Vec<RegisteredPath>,
    /// Its input interfaces, in declaration order.
    pub inputs: Vec<String>,
    /// Its output interfaces, in declaration order.
    pub outputs: Vec<String>,
    /// The method called when a partition is released (`#[on_seal]`), if any.
    pub on_seal: Option<String>,
}

impl RegisteredComponent {
    fn new(module_path: &str, component: &ComponentSpec, methods: Option<&MethodsSpec>) -> Self {
        let handler = |input: &str| {
            methods
                .and_then(|m| spec::handler(m, input))
                .map_or_else(String::new, String::from)
        };
        let &(name, rep, spec_paths) = component;
        let paths: Vec<RegisteredPath> = spec_paths
            .iter()
            .map(|path| RegisteredPath {
                from: path.0.to_string(),
                to: path.1.to_string(),
                label: path.2,
                gate: spec::path_annotation(path)
                    .gates
                    .into_iter()
                    .next()
                    .unwrap_or_default(),
                handler: handler(path.0),
            })
            .collect();
        let mut inputs: Vec<String> = Vec::new();
        let mut outputs: Vec<String> = Vec::new();
        for path in &paths {
            if !inputs.contains(&path.from) {
                inputs.push(path.from.clone());
            }
            if !outputs.contains(&path.to) {
                outputs.push(path.to.clone());
            }
        }
        RegisteredComponent {
            name: name.to_string(),
            module_path: module_path.to_string(),
            rep,
            paths,
            inputs,
            outputs,
            on_seal: methods.and_then(|m| m.2).map(String::from),
        }
    }

    /// `module::path::Name`.
    pub fn qualified_name(&self) -> String {
        format!("{}::{}", self.module_path, self.name)
    }

    /// The component in the analysis model.
    pub fn component(&self) -> Component {
        self.paths.iter().fold(
            Component::new(&self.name).replicated(self.rep),
            |component, path| component.path(&path.from, &path.to, path.annotation()),
        )
    }
}

/// Every component registered by `#[component]` impl blocks in the crates
/// linked into this program, inside dataflow modules or not, sorted by
/// module path, then name.
pub fn registry() -> Vec<RegisteredComponent> {
    let standalone = __private::component_records()
        .map(|r| RegisteredComponent::new(r.module_path, &r.component, Some(&r.methods)));
    let in_dataflows = __private::dataflow_records().flat_map(|r| {
        (r.methods)()
            .iter()
            .enumerate()
            .filter_map(move |(index, methods)| {
                (r.spec)()
                    .components
                    .iter()
                    .find(|c| c.0 == methods.0)
                    .map(|c| {
                        let module = (r.modules)(index).unwrap_or(r.module_path);
                        RegisteredComponent::new(module, c, Some(methods))
                    })
            })
    });
    let mut all: Vec<RegisteredComponent> = standalone.chain(in_dataflows).collect();
    all.sort_by(|a, b| (&a.module_path, &a.name).cmp(&(&b.module_path, &b.name)));
    all
}

/// A `#[blazes::dataflow]` module, as registered at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredDataflow {
    /// The module that declares it.
    pub module_path: String,
    /// The dataflow it declares (the same as its `dataflow()`).
    pub dataflow: Dataflow,
}

/// Every `#[blazes::dataflow]` module linked into this program, sorted by
/// module path.
pub fn dataflows() -> Vec<RegisteredDataflow> {
    let mut all: Vec<RegisteredDataflow> = __private::dataflow_records()
        .map(|r| RegisteredDataflow {
            module_path: r.module_path.to_string(),
            dataflow: (r.spec)().build(),
        })
        .collect();
    all.sort_by(|a, b| a.module_path.cmp(&b.module_path));
    all
}
