//! Builds the `blazes_core::Dataflow` that a dataflow module declares, with
//! the tokens of every element so that errors about it can point there.

use blazes_core::{Component, Dataflow, Fd, Path, Permission, Requirement, Stream};

use crate::attrs::name_of;
use crate::errors::{Errors, SpanRange};
use crate::module::ModuleParts;
use crate::topology::{FdDecl, StreamDecl};

/// The tokens behind each element of the built dataflow, by index.
#[derive(Debug, Default)]
pub struct Sites {
    /// `components[i]`: the struct's name.
    pub components: Vec<SpanRange>,
    /// `components[c].paths[p]`: the `#[path]` attribute.
    pub paths: Vec<Vec<SpanRange>>,
    /// `streams[i]`: the declaration.
    pub streams: Vec<StreamDecl>,
    /// `components[c].paths[p]`: the gate's attribute names as written.
    pub gates: Vec<Vec<Vec<syn::Ident>>>,
    /// `fds[i]`: the declaration.
    pub fds: Vec<FdDecl>,
}

/// A dataflow and where each element was declared.
#[derive(Debug)]
pub struct Built {
    /// The dataflow.
    pub dataflow: Dataflow,
    /// Its declaration sites.
    pub sites: Sites,
    /// Plain structs that have a `#[component]` impl (reported): the
    /// expansion implements `Annotated` for them, so the error does not
    /// cascade.
    pub unmarked_structs: Vec<syn::Ident>,
}

/// Builds the dataflow; reports components whose struct and impl disagree.
pub fn build(
    name: String,
    requires: Requirement,
    coordinate: Permission,
    parts: &ModuleParts,
    errors: &mut Errors,
) -> Built {
    let mut dataflow = Dataflow::new().requires(requires).coordinate(coordinate);
    dataflow.name = Some(name);
    let mut sites = Sites::default();
    let mut unmarked_structs = Vec::new();
    for spec in &parts.components {
        dataflow
            .components
            .push(Component::new(name_of(&spec.ident)).replicated(spec.rep));
        sites.components.push(SpanRange::of(&spec.ident));
        sites.paths.push(Vec::new());
        sites.gates.push(Vec::new());
    }
    let mut with_impl: Vec<String> = Vec::new();
    for part in &parts.impls {
        let Some(ident) = &part.spec.ident else {
            continue;
        };
        let name = name_of(ident);
        if !part.stray {
            if with_impl.contains(&name) {
                errors.spanned(
                    &part.spec.self_ty,
                    format!(
                        "component `{name}` has a second `#[component]` impl block: put all its \
                         handlers in one"
                    ),
                );
                continue;
            }
            with_impl.push(name.clone());
        }
        let index = match dataflow.components.iter().position(|c| c.name == name) {
            Some(index) => index,
            None => {
                if report_missing_struct(parts, ident, &part.spec.self_ty, errors) && !part.stray {
                    unmarked_structs.push(ident.clone());
                }
                dataflow.components.push(Component::new(name.clone()));
                sites.components.push(SpanRange::of(ident));
                sites.paths.push(Vec::new());
                sites.gates.push(Vec::new());
                dataflow.components.len() - 1
            }
        };
        for path in part.spec.paths() {
            dataflow.components[index].paths.push(Path {
                from: path.input_name().to_string(),
                to: path.output_name().to_string(),
                annotation: path.annotation(),
            });
            sites.paths[index].push(path.attr);
            sites.gates[index].push(path.gate_names.clone());
        }
    }
    for decl in &parts.streams {
        dataflow.streams.push(Stream {
            from: decl.from.endpoint(),
            to: decl.to.endpoint(),
            annotation: decl.annotation.clone(),
        });
        sites.streams.push(decl.clone());
    }
    for decl in &parts.fds {
        dataflow.fds.push(Fd {
            from: decl.from.clone(),
            to: decl.to.clone(),
            injective: decl.injective,
        });
        sites.fds.push(decl.clone());
    }
    Built {
        dataflow,
        sites,
        unmarked_structs,
    }
}

fn report_missing_struct(
    parts: &ModuleParts,
    ident: &syn::Ident,
    self_ty: &syn::Type,
    errors: &mut Errors,
) -> bool {
    match parts.plain_structs.iter().find(|s| *s == ident) {
        Some(plain) => {
            errors.spanned(
                plain,
                format!(
                    "`{plain}` has a `#[component]` impl block, but the struct has no \
                 `#[component]`: add `#[component]` (or `#[component(rep)]`) to it"
                ),
            );
            true
        }
        None => {
            errors.spanned(
                self_ty,
                format!(
                    "the struct `{ident}` of this `#[component]` impl must be declared in this \
                 `#[blazes::dataflow]` module, with `#[component]`"
                ),
            );
            false
        }
    }
}
