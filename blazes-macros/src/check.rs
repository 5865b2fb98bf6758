//! Runs the engine on the built dataflow at expansion time and turns what it
//! finds into spanned errors: structural errors from `blazes_core::validate`,
//! requirement violations from `blazes_core::analyze` and seal buffers that
//! would wait on themselves (`blazes_core::seal_loops`); and into spanned
//! warnings: the attribute warnings of `blazes_core::lint` (spec §1, §3).

use blazes_core::lint::WarningKind;
use blazes_core::result::{Cause, Origin};
use blazes_core::validate::{End, ErrorKind, Site, ValidationError};
use blazes_core::{Analysis, Endpoint, analyze, lint, validate};
use proc_macro2::{Span, TokenStream};

use crate::attrs::name_of;
use crate::errors::{Errors, SpanRange};
use crate::explain;
use crate::model::Built;
use crate::module::ModuleParts;
use crate::warnings::{self, Warnings};

/// Validates and analyses `built`; records every error and warning. Returns
/// the analysis when the dataflow is valid.
pub fn run(
    built: &Built,
    parts: &ModuleParts,
    enforce: bool,
    errors: &mut Errors,
    found_warnings: &mut Warnings,
) -> Option<Analysis> {
    if let Err(found) = validate(&built.dataflow) {
        for error in found {
            let (tokens, message) = locate(built, parts, &error);
            errors.spanned(tokens, message);
        }
        return None;
    }
    for warning in lint::warnings(&built.dataflow) {
        if let (WarningKind::SealMatchesNoGate { .. }, Site::Stream(s)) =
            (&warning.kind, warning.site)
            && feeds_an_on_seal_method(built, parts, s)
        {
            // The seal is for the method, not for a gate.
            continue;
        }
        found_warnings.push(warnings::locate(built, &warning), warning.to_string());
    }
    let analysis = errors.keep(analyze(&built.dataflow).map_err(|_| {
        syn::Error::new(
            Span::call_site(),
            "blazes: the analysis rejected a validated dataflow",
        )
    }))?;
    if enforce {
        report_violations(built, &analysis, errors);
        report_seal_loops(built, &analysis, errors);
        report_coordination_conflicts(built, &analysis, errors);
    }
    Some(analysis)
}

/// A seal buffer of the plan that would wait on itself
/// ([`blazes_core::seal_loops`]): the runner would refuse the dataflow, so
/// the build does, at the stream that closes the loop.
fn report_seal_loops(built: &Built, analysis: &Analysis, errors: &mut Errors) {
    for found in blazes_core::seal_loops(&built.dataflow, analysis) {
        report_at_input(built, &found.component, &found.input, &found, errors);
    }
}

/// An input the plan wraps in two ways the runtime cannot combine
/// ([`blazes_core::coordination_conflicts`]): the runner would refuse the
/// dataflow, so the build does, at the streams into that input.
fn report_coordination_conflicts(built: &Built, analysis: &Analysis, errors: &mut Errors) {
    for found in blazes_core::coordination_conflicts(&analysis.coordination) {
        report_at_input(built, &found.component, &found.input, &found, errors);
    }
}

/// `found` as an error at every stream into `component.input` (at the
/// dataflow when none is written in this module).
fn report_at_input(
    built: &Built,
    component: &str,
    input: &str,
    found: &dyn std::fmt::Display,
    errors: &mut Errors,
) {
    let message = format!("blazes: {found}");
    let sites = streams_into(built, &Endpoint::port(component, input));
    if sites.is_empty() {
        errors.spanned(TokenStream::new(), message.clone());
    }
    for tokens in sites {
        errors.spanned(tokens, message.clone());
    }
}

/// True when stream `s` goes into an input that a typed `#[on_seal(..)]`
/// method of its component reads: its seals are then used whatever the
/// gates.
fn feeds_an_on_seal_method(built: &Built, parts: &ModuleParts, s: usize) -> bool {
    let Some(Endpoint::Port {
        component,
        interface: input,
    }) = built.dataflow.streams.get(s).map(|st| &st.to)
    else {
        return false;
    };
    parts.impls.iter().any(|part| {
        part.spec
            .ident
            .as_ref()
            .is_some_and(|ident| name_of(ident) == *component)
            && part
                .spec
                .typed_seals
                .iter()
                .any(|seal| name_of(&seal.input) == *input)
    })
}

/// Where a structural error points, and its message.
fn locate(built: &Built, parts: &ModuleParts, error: &ValidationError) -> (SpanRange, String) {
    let sites = &built.sites;
    let message = error.to_string();
    match error.site {
        Site::Dataflow => (SpanRange::of(TokenStream::new()), message),
        Site::Component(c) => (sites.components[c], message),
        Site::Path(c, p) => (sites.paths[c][p], message),
        Site::Fd(f) => (sites.fds[f].tokens, message),
        Site::Stream(s) => {
            let decl = &sites.streams[s];
            let end = |end: End| match end {
                End::From => &decl.from,
                End::To => &decl.to,
            };
            match &error.kind {
                ErrorKind::UnknownComponent(which, name) => {
                    let endpoint = end(*which);
                    let token = endpoint.component().map_or(decl.tokens, SpanRange::of);
                    (token, unknown_component(parts, name))
                }
                ErrorKind::UnknownInterface { end: which, .. } => {
                    (SpanRange::of(end(*which).interface()), message)
                }
                _ => (decl.tokens, message),
            }
        }
    }
}

fn unknown_component(parts: &ModuleParts, name: &str) -> String {
    if parts.by_path {
        let known: Vec<String> = parts
            .components
            .iter()
            .map(|c| c.ident.to_string())
            .collect();
        return format!(
            "`{name}` is not a component of this dataflow (its components: {}): add the path of \
             the `#[component]` struct `{name}` to `components! {{ .. }}`",
            known.join(", ")
        );
    }
    if parts.plain_structs.iter().any(|s| s == name) {
        format!(
            "`{name}` is a struct of this module but not a component: add `#[component]` to \
             `struct {name}` and to its impl block, with a `#[path]` on each handler"
        )
    } else {
        let known: Vec<String> = parts
            .components
            .iter()
            .map(|c| c.ident.to_string())
            .collect();
        format!(
            "no `#[component]` named `{name}` is declared in this `#[blazes::dataflow]` module \
             (its components: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )
    }
}

fn report_violations(built: &Built, analysis: &Analysis, errors: &mut Errors) {
    let mut placed: Vec<(String, String)> = Vec::new();
    let mut place = |errors: &mut Errors, tokens: SpanRange, message: String| {
        let key = (tokens.key(), message.clone());
        if !placed.contains(&key) {
            placed.push(key);
            errors.spanned(tokens, message);
        }
    };
    // `session -> user` used to mean one-to-one in `fds!`: this tells a
    // user whose dataflow relied on that what changed.
    let hints = blazes_core::explain::many_to_one_fds_in_the_way(&built.dataflow, analysis);
    for violation in &analysis.violations {
        let mut message = explain::violation(&built.dataflow, analysis, violation);
        for (fd, sinks) in &hints {
            if sinks.contains(&violation.sink) {
                message.push_str("\n  in this module: ");
                message.push_str(&explain::one_to_one_hint(&built.dataflow.fds[*fd]));
            }
        }
        let sink_streams = streams_into(built, &Endpoint::External(violation.sink.clone()));
        if sink_streams.is_empty() {
            place(errors, SpanRange::of(TokenStream::new()), message.clone());
        }
        for tokens in sink_streams {
            place(errors, tokens, message.clone());
        }
        for cause in analysis.causes(violation) {
            for tokens in introduction_sites(built, &cause) {
                place(errors, tokens, explain::introduced_here(violation, &cause));
            }
        }
    }
}

/// Where the streams into `to` are declared.
fn streams_into(built: &Built, to: &Endpoint) -> Vec<SpanRange> {
    built
        .sites
        .streams
        .iter()
        .filter(|d| d.to.endpoint() == *to)
        .map(|d| d.tokens)
        .collect()
}

/// The `#[path]`s where the anomaly of `cause` starts (its origins).
fn introduction_sites(built: &Built, cause: &Cause) -> Vec<SpanRange> {
    let mut out = Vec::new();
    for origin in &cause.origins {
        let Origin::Path {
            component,
            from,
            to,
        } = origin;
        let Some(c) = built
            .dataflow
            .components
            .iter()
            .position(|x| x.name == *component)
        else {
            continue;
        };
        for (p, path) in built.dataflow.components[c].paths.iter().enumerate() {
            if path.from == *from && path.to == *to {
                out.push(built.sites.paths[c][p]);
            }
        }
    }
    out
}
