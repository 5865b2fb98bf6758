//! Structural checks of a [`Dataflow`] before analysis.
//!
//! Each error names the [`Site`] it concerns, so a front end (the grey-box
//! reader, the macros) can point at the offending text.

use rustc_hash::FxHashMap as HashMap;
use std::fmt;

use crate::label::PathKind;
use crate::model::{Dataflow, Endpoint};
use crate::resolve::{End as ResolvedEnd, Resolved};

/// Where in a [`Dataflow`] an error lies, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Site {
    /// The dataflow as a whole.
    Dataflow,
    /// `components[i]`.
    Component(usize),
    /// `components[c].paths[p]`.
    Path(usize, usize),
    /// `streams[i]`.
    Stream(usize),
    /// `fds[i]`.
    Fd(usize),
}

/// Which end of a stream an error concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum End {
    /// The `from` end.
    From,
    /// The `to` end.
    To,
}

/// What is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A component, interface or attribute name is empty or contains a dot.
    BadName(String),
    /// Two components share a name.
    DuplicateComponent(String),
    /// The same path is declared twice with the same annotation.
    DuplicatePath {
        /// Input interface.
        from: String,
        /// Output interface.
        to: String,
    },
    /// The same path is declared twice with different annotations.
    ConflictingPath {
        /// Input interface.
        from: String,
        /// Output interface.
        to: String,
        /// The first annotation.
        first: String,
        /// The second annotation.
        second: String,
    },
    /// A confluent path (`CR`/`CW`) carries a gate.
    GateOnConfluentPath(PathKind),
    /// A stream names a component that does not exist.
    UnknownComponent(End, String),
    /// A stream names an interface the component does not have.
    UnknownInterface {
        /// Which end.
        end: End,
        /// The component.
        component: String,
        /// The interface named.
        interface: String,
        /// The interfaces it has in that direction.
        known: Vec<String>,
    },
    /// A stream joins a source directly to a sink.
    ExternalToExternal,
    /// An empty `seal` or `seq` key.
    EmptyKey(&'static str),
    /// `independent: true` without a `seal`.
    IndependentWithoutSeal,
    /// The same stream is declared twice.
    DuplicateStream(String),
    /// An FD with no determining attributes.
    EmptyFd,
}

/// A structural error in a dataflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    /// Where it lies.
    pub site: Site,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            End::From => "from",
            End::To => "to",
        })
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::BadName(n) => write!(
                f,
                "invalid name `{n}`: names must be non-empty and contain no `.`"
            ),
            ErrorKind::DuplicateComponent(n) => write!(f, "component `{n}` is declared twice"),
            ErrorKind::DuplicatePath { from, to } => {
                write!(f, "path `{from}` -> `{to}` is declared twice")
            }
            ErrorKind::ConflictingPath {
                from,
                to,
                first,
                second,
            } => write!(
                f,
                "path `{from}` -> `{to}` is annotated twice, as {first} and as {second}; \
                 a path has one annotation (use the more severe one)"
            ),
            ErrorKind::GateOnConfluentPath(kind) => write!(
                f,
                "a gate on a confluent path ({kind}): only OR and OW paths have gates; \
                 drop the gate or make the path order-sensitive"
            ),
            ErrorKind::UnknownComponent(end, n) => {
                write!(f, "this stream's `{end}` end names unknown component `{n}`")
            }
            ErrorKind::UnknownInterface {
                end,
                component,
                interface,
                known,
            } => {
                let dir = match end {
                    End::From => "output",
                    End::To => "input",
                };
                write!(
                    f,
                    "this stream's `{end}` end names `{component}.{interface}`, but component \
                     `{component}` has no {dir} interface `{interface}` (its {dir}s: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )
            }
            ErrorKind::ExternalToExternal => f.write_str(
                "a stream joins a source directly to a sink: at least one end must be \
                 `Component.interface`",
            ),
            ErrorKind::EmptyKey(what) => write!(f, "`{what}` needs at least one attribute"),
            ErrorKind::IndependentWithoutSeal => {
                f.write_str("`independent: true` needs a `seal` on the same stream")
            }
            ErrorKind::DuplicateStream(n) => write!(f, "stream `{n}` is declared twice"),
            ErrorKind::EmptyFd => f.write_str("a functional dependency needs `from` attributes"),
        }
    }
}

impl std::error::Error for ValidationError {}

fn check_name(name: &str, site: Site, errors: &mut Vec<ValidationError>) {
    // Names are short and almost always ASCII: a byte scan, and a scan of
    // the characters only for the rest.
    let bad_byte = name.bytes().any(|b| b == b'.' || b.is_ascii_whitespace());
    if name.is_empty() || bad_byte || (!name.is_ascii() && name.chars().any(char::is_whitespace)) {
        errors.push(ValidationError {
            site,
            kind: ErrorKind::BadName(name.to_string()),
        });
    }
}

/// Checks a dataflow; returns every error found, in declaration order.
pub fn validate(dataflow: &Dataflow) -> Result<(), Vec<ValidationError>> {
    resolve_valid(dataflow).map(|_| ())
}

/// Checks a dataflow and, when it is valid, gives its names resolved to
/// indices, for the port graph.
pub(crate) fn resolve_valid(dataflow: &Dataflow) -> Result<Resolved<'_>, Vec<ValidationError>> {
    let mut errors = Vec::new();
    let mut resolved = Resolved::new(dataflow);
    let mut stream_ends = Vec::with_capacity(dataflow.streams.len());
    for (ci, c) in dataflow.components.iter().enumerate() {
        check_name(&c.name, Site::Component(ci), &mut errors);
        if resolved.by_name.get(c.name.as_str()) != Some(&ci) {
            errors.push(ValidationError {
                site: Site::Component(ci),
                kind: ErrorKind::DuplicateComponent(c.name.clone()),
            });
        }
        check_paths(ci, dataflow, &resolved, &mut errors);
    }
    let mut seen_streams: HashMap<(ResolvedEnd<'_>, ResolvedEnd<'_>), usize> = HashMap::default();
    seen_streams.reserve(dataflow.streams.len());
    // Streams with an end that names nothing, compared by their text.
    let mut seen_unresolved: HashMap<(&Endpoint, &Endpoint), usize> = HashMap::default();
    for (si, s) in dataflow.streams.iter().enumerate() {
        let site = Site::Stream(si);
        let from = check_endpoint(&resolved, &s.from, End::From, site, &mut errors);
        let to = check_endpoint(&resolved, &s.to, End::To, site, &mut errors);
        if matches!(
            (&s.from, &s.to),
            (Endpoint::External(_), Endpoint::External(_))
        ) {
            errors.push(ValidationError {
                site,
                kind: ErrorKind::ExternalToExternal,
            });
        }
        let a = &s.annotation;
        if a.seal.as_ref().is_some_and(|k| k.is_empty()) {
            errors.push(ValidationError {
                site,
                kind: ErrorKind::EmptyKey("seal"),
            });
        }
        if a.seq.as_ref().is_some_and(|k| k.is_empty()) {
            errors.push(ValidationError {
                site,
                kind: ErrorKind::EmptyKey("seq"),
            });
        }
        if a.independent && a.seal.is_none() {
            errors.push(ValidationError {
                site,
                kind: ErrorKind::IndependentWithoutSeal,
            });
        }
        for key in a.seal.iter().chain(a.seq.iter()) {
            for attr in key {
                check_name(attr, site, &mut errors);
            }
        }
        let repeated = match (from, to) {
            (Some(from), Some(to)) => {
                stream_ends.push((from, to));
                seen_streams.insert((from, to), si).is_some()
            }
            _ => seen_unresolved.insert((&s.from, &s.to), si).is_some(),
        };
        if repeated {
            errors.push(ValidationError {
                site,
                kind: ErrorKind::DuplicateStream(s.name()),
            });
        }
    }
    for (fi, fd) in dataflow.fds.iter().enumerate() {
        let site = Site::Fd(fi);
        if fd.from.is_empty() {
            errors.push(ValidationError {
                site,
                kind: ErrorKind::EmptyFd,
            });
        }
        for attr in fd.from.iter().chain(std::iter::once(&fd.to)) {
            check_name(attr, site, &mut errors);
        }
    }
    if errors.is_empty() {
        resolved.streams = stream_ends;
        Ok(resolved)
    } else {
        Err(errors)
    }
}

/// The paths of component `ci`: names, gates, and no path declared twice.
fn check_paths(
    ci: usize,
    dataflow: &Dataflow,
    resolved: &Resolved<'_>,
    errors: &mut Vec<ValidationError>,
) {
    let c = &dataflow.components[ci];
    let ends = resolved.paths_of(ci);
    // Components have a handful of paths: a scan of the earlier ones beats
    // a map, unless there are many.
    let mut seen: Option<HashMap<(usize, usize), usize>> = (ends.len() > 16).then(HashMap::default);
    for (pi, p) in c.paths.iter().enumerate() {
        let site = Site::Path(ci, pi);
        check_name(&p.from, site, errors);
        check_name(&p.to, site, errors);
        let kind = p.annotation.kind;
        if !kind.is_order_sensitive() && !p.annotation.gates.is_empty() {
            errors.push(ValidationError {
                site,
                kind: ErrorKind::GateOnConfluentPath(kind),
            });
        }
        for gate in &p.annotation.gates {
            for attr in gate {
                check_name(attr, site, errors);
            }
        }
        let first = match &mut seen {
            Some(seen) => seen.get(&ends[pi]).copied().or_else(|| {
                seen.insert(ends[pi], pi);
                None
            }),
            None => ends[..pi].iter().position(|e| *e == ends[pi]),
        };
        if let Some(first) = first {
            let earlier = &c.paths[first].annotation;
            let kind = if *earlier == p.annotation {
                ErrorKind::DuplicatePath {
                    from: p.from.clone(),
                    to: p.to.clone(),
                }
            } else {
                ErrorKind::ConflictingPath {
                    from: p.from.clone(),
                    to: p.to.clone(),
                    first: earlier.to_string(),
                    second: p.annotation.to_string(),
                }
            };
            errors.push(ValidationError { site, kind });
        }
    }
}

/// One end of a stream: checked, and resolved when it names something.
fn check_endpoint<'a>(
    resolved: &Resolved<'a>,
    endpoint: &'a Endpoint,
    end: End,
    site: Site,
    errors: &mut Vec<ValidationError>,
) -> Option<ResolvedEnd<'a>> {
    match endpoint {
        Endpoint::External(name) => {
            check_name(name, site, errors);
            Some(ResolvedEnd::External(name))
        }
        Endpoint::Port {
            component,
            interface,
        } => {
            let Some(&ci) = resolved.by_name.get(component.as_str()) else {
                errors.push(ValidationError {
                    site,
                    kind: ErrorKind::UnknownComponent(end, component.clone()),
                });
                return None;
            };
            let known = match end {
                End::From => &resolved.outputs,
                End::To => &resolved.inputs,
            };
            let Some(i) = known.find(ci, interface) else {
                errors.push(ValidationError {
                    site,
                    kind: ErrorKind::UnknownInterface {
                        end,
                        component: component.clone(),
                        interface: interface.clone(),
                        known: known.of(ci).iter().map(|s| s.to_string()).collect(),
                    },
                });
                return None;
            };
            Some(ResolvedEnd::Port(known.global(ci, i)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Annotation, Component};

    fn bad_names(name: &str) -> usize {
        let d = Dataflow::new().component(Component::new(name).path("i", "o", Annotation::cr()));
        validate(&d)
            .err()
            .unwrap_or_default()
            .iter()
            .filter(|e| matches!(e.kind, ErrorKind::BadName(_)))
            .count()
    }

    #[test]
    fn names_with_a_dot_or_any_whitespace_are_refused() {
        for bad in ["", "a.b", "a b", "a\tb", "a\u{00A0}b", "é\u{2003}"] {
            assert_eq!(bad_names(bad), 1, "{bad:?}");
        }
        for good in ["a", "Count_2", "café", "a-b"] {
            assert_eq!(bad_names(good), 0, "{good:?}");
        }
    }
}
