//! Structural checks of a [`Dataflow`] before analysis.
//!
//! Each error names the [`Site`] it concerns, so a front end (the grey-box
//! reader, the macros) can point at the offending text.

use rustc_hash::FxHashMap as HashMap;
use std::fmt;

use crate::label::PathKind;
use crate::model::{Dataflow, Endpoint};

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
                write!(f, "stream `{end}` names unknown component `{n}`")
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
                    "stream `{end}`: component `{component}` has no {dir} interface `{interface}` \
                     (its {dir}s: {})",
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
    if name.is_empty() || name.contains('.') || name.chars().any(char::is_whitespace) {
        errors.push(ValidationError {
            site,
            kind: ErrorKind::BadName(name.to_string()),
        });
    }
}

/// Checks a dataflow; returns every error found, in declaration order.
pub fn validate(dataflow: &Dataflow) -> Result<(), Vec<ValidationError>> {
    let mut errors = Vec::new();
    let mut by_name: HashMap<&str, usize> = HashMap::default();
    // Per component: its (inputs, outputs), computed once for all streams.
    let interfaces: Vec<(Vec<&str>, Vec<&str>)> = dataflow
        .components
        .iter()
        .map(|c| (c.inputs(), c.outputs()))
        .collect();
    for (ci, c) in dataflow.components.iter().enumerate() {
        check_name(&c.name, Site::Component(ci), &mut errors);
        if by_name.insert(c.name.as_str(), ci).is_some() {
            errors.push(ValidationError {
                site: Site::Component(ci),
                kind: ErrorKind::DuplicateComponent(c.name.clone()),
            });
        }
        check_paths(ci, dataflow, &mut errors);
    }
    let mut seen_streams: HashMap<(&Endpoint, &Endpoint), usize> = HashMap::default();
    for (si, s) in dataflow.streams.iter().enumerate() {
        let site = Site::Stream(si);
        check_endpoint(&interfaces, &by_name, &s.from, End::From, site, &mut errors);
        check_endpoint(&interfaces, &by_name, &s.to, End::To, site, &mut errors);
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
        if seen_streams.insert((&s.from, &s.to), si).is_some() {
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
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_paths(ci: usize, dataflow: &Dataflow, errors: &mut Vec<ValidationError>) {
    let c = &dataflow.components[ci];
    let mut seen: HashMap<(&str, &str), usize> = HashMap::default();
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
        if let Some(&first) = seen.get(&(p.from.as_str(), p.to.as_str())) {
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
        } else {
            seen.insert((p.from.as_str(), p.to.as_str()), pi);
        }
    }
}

fn check_endpoint(
    interfaces: &[(Vec<&str>, Vec<&str>)],
    by_name: &HashMap<&str, usize>,
    endpoint: &Endpoint,
    end: End,
    site: Site,
    errors: &mut Vec<ValidationError>,
) {
    match endpoint {
        Endpoint::External(name) => check_name(name, site, errors),
        Endpoint::Port {
            component,
            interface,
        } => {
            let Some(&ci) = by_name.get(component.as_str()) else {
                errors.push(ValidationError {
                    site,
                    kind: ErrorKind::UnknownComponent(end, component.clone()),
                });
                return;
            };
            let known = match end {
                End::From => &interfaces[ci].1,
                End::To => &interfaces[ci].0,
            };
            if !known.contains(&interface.as_str()) {
                errors.push(ValidationError {
                    site,
                    kind: ErrorKind::UnknownInterface {
                        end,
                        component: component.clone(),
                        interface: interface.clone(),
                        known: known.iter().map(|s| s.to_string()).collect(),
                    },
                });
            }
        }
    }
}
