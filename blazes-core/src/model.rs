//! The annotated dataflow (spec §1): components with annotated paths, streams
//! with annotations, injective functional dependencies, and what is required.

use std::fmt;

use crate::label::{Annotation, AttrSet};

/// One path through a component, from an input interface to an output interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    /// The input interface.
    pub from: String,
    /// The output interface.
    pub to: String,
    /// The path's C.O.W.R. annotation.
    pub annotation: Annotation,
}

/// A component: named interfaces joined by annotated paths.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Component {
    /// The component's name, unique in the dataflow.
    pub name: String,
    /// The component runs as several replicas.
    pub rep: bool,
    /// The annotated paths.
    pub paths: Vec<Path>,
    /// Input interfaces that no path starts from (they still accept streams).
    pub extra_inputs: Vec<String>,
    /// Output interfaces that no path reaches (their label is `Async`).
    pub extra_outputs: Vec<String>,
}

impl Component {
    /// A component with no paths.
    pub fn new(name: impl Into<String>) -> Component {
        Component {
            name: name.into(),
            ..Component::default()
        }
    }

    /// Adds a path (builder style).
    pub fn path(mut self, from: &str, to: &str, annotation: Annotation) -> Component {
        self.paths.push(Path {
            from: from.to_string(),
            to: to.to_string(),
            annotation,
        });
        self
    }

    /// Marks the component replicated (builder style).
    pub fn replicated(mut self, rep: bool) -> Component {
        self.rep = rep;
        self
    }

    /// The input interfaces, in first-mention order.
    pub fn inputs(&self) -> Vec<&str> {
        first_mentions(
            self.paths
                .iter()
                .map(|p| p.from.as_str())
                .chain(self.extra_inputs.iter().map(String::as_str)),
        )
    }

    /// The output interfaces, in first-mention order.
    pub fn outputs(&self) -> Vec<&str> {
        first_mentions(
            self.paths
                .iter()
                .map(|p| p.to.as_str())
                .chain(self.extra_outputs.iter().map(String::as_str)),
        )
    }
}

/// The distinct names, in the order they are first mentioned.
fn first_mentions<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for name in names {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// One end of a stream.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// An external source (as `from`) or sink (as `to`).
    External(String),
    /// An interface of a component.
    Port {
        /// The component's name.
        component: String,
        /// The interface's name.
        interface: String,
    },
}

impl Endpoint {
    /// Parses `Comp.iface` as a port and a name without a dot as external.
    pub fn parse(text: &str) -> Endpoint {
        match text.split_once('.') {
            Some((component, interface)) => Endpoint::Port {
                component: component.to_string(),
                interface: interface.to_string(),
            },
            None => Endpoint::External(text.to_string()),
        }
    }

    /// A component interface.
    pub fn port(component: &str, interface: &str) -> Endpoint {
        Endpoint::Port {
            component: component.to_string(),
            interface: interface.to_string(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::External(name) => f.write_str(name),
            Endpoint::Port {
                component,
                interface,
            } => write!(f, "{component}.{interface}"),
        }
    }
}

/// What a stream declares about its contents (spec §1).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StreamAnnotation {
    /// The stream carries punctuations on this key.
    pub seal: Option<AttrSet>,
    /// Each partition of the seal key has exactly one producer: no vote needed.
    pub independent: bool,
    /// Records carry this replay-stable sequence attribute.
    pub seq: Option<AttrSet>,
    /// The same contents reach more than one consumer instance.
    pub rep: bool,
}

impl StreamAnnotation {
    /// True when nothing is declared.
    pub fn is_empty(&self) -> bool {
        *self == StreamAnnotation::default()
    }
}

/// A stream from an output (or source) to an input (or sink).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    /// The producing end.
    pub from: Endpoint,
    /// The consuming end.
    pub to: Endpoint,
    /// Its annotations.
    pub annotation: StreamAnnotation,
}

impl Stream {
    /// An unannotated stream.
    pub fn new(from: Endpoint, to: Endpoint) -> Stream {
        Stream {
            from,
            to,
            annotation: StreamAnnotation::default(),
        }
    }

    /// A stream between two endpoints written as `Comp.iface` or `name`.
    pub fn between(from: &str, to: &str) -> Stream {
        Stream::new(Endpoint::parse(from), Endpoint::parse(to))
    }

    /// Adds a seal annotation (builder style).
    pub fn sealed(mut self, key: AttrSet) -> Stream {
        self.annotation.seal = Some(key);
        self
    }

    /// Marks the seal independent (builder style).
    pub fn independent(mut self) -> Stream {
        self.annotation.independent = true;
        self
    }

    /// Adds a `seq` annotation (builder style).
    pub fn sequenced(mut self, key: AttrSet) -> Stream {
        self.annotation.seq = Some(key);
        self
    }

    /// Marks the stream replicated (builder style).
    pub fn replicated(mut self) -> Stream {
        self.annotation.rep = true;
        self
    }

    /// The stream's name for reports: `from->to`.
    pub fn name(&self) -> String {
        let mut name = String::with_capacity(48);
        for (i, end) in [&self.from, &self.to].into_iter().enumerate() {
            if i == 1 {
                name.push_str("->");
            }
            match end {
                Endpoint::External(n) => name.push_str(n),
                Endpoint::Port {
                    component,
                    interface,
                } => {
                    name.push_str(component);
                    name.push('.');
                    name.push_str(interface);
                }
            }
        }
        name
    }
}

/// A functional dependency `from → to` between attributes (spec §1, §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fd {
    /// The determining attributes.
    pub from: AttrSet,
    /// The determined attribute.
    pub to: String,
    /// The function is injective, so `to` also determines `from`.
    pub injective: bool,
}

/// What the sinks must guarantee (spec §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Requirement {
    /// Every sink at most `Async`: safe under replay.
    #[default]
    Deterministic,
    /// Every sink at most `Run`: replicas converge, replay is not used.
    Convergent,
}

impl Requirement {
    /// The most severe label a sink may carry.
    pub fn max_severity(self) -> u8 {
        match self {
            Requirement::Deterministic => 2,
            Requirement::Convergent => 3,
        }
    }

    /// Parses `deterministic` or `convergent`.
    pub fn parse(text: &str) -> Option<Requirement> {
        match text {
            "deterministic" => Some(Requirement::Deterministic),
            "convergent" => Some(Requirement::Convergent),
            _ => None,
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Requirement::Deterministic => "deterministic",
            Requirement::Convergent => "convergent",
        })
    }
}

/// What coordination blazes may synthesise (spec §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Permission {
    /// Only analyse.
    None,
    /// Seal buffers, never global ordering.
    #[default]
    Seal,
    /// Seal buffers and ordering.
    Auto,
}

impl Permission {
    /// Parses `none`, `seal` or `auto`.
    pub fn parse(text: &str) -> Option<Permission> {
        match text {
            "none" => Some(Permission::None),
            "seal" => Some(Permission::Seal),
            "auto" => Some(Permission::Auto),
            _ => None,
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Permission::None => "none",
            Permission::Seal => "seal",
            Permission::Auto => "auto",
        })
    }
}

/// A whole annotated dataflow.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Dataflow {
    /// An optional name, for reports.
    pub name: Option<String>,
    /// The components, with unique names.
    pub components: Vec<Component>,
    /// The streams.
    pub streams: Vec<Stream>,
    /// Functional dependencies between attributes.
    pub fds: Vec<Fd>,
    /// What the sinks must guarantee.
    pub requires: Requirement,
    /// What coordination may be synthesised.
    pub coordinate: Permission,
}

impl Dataflow {
    /// An empty dataflow with default requirement and permission.
    pub fn new() -> Dataflow {
        Dataflow::default()
    }

    /// Adds a component (builder style).
    pub fn component(mut self, component: Component) -> Dataflow {
        self.components.push(component);
        self
    }

    /// Adds a stream (builder style).
    pub fn stream(mut self, stream: Stream) -> Dataflow {
        self.streams.push(stream);
        self
    }

    /// Adds a plain FD `from -> to` (builder style), as `fds! { from -> to; }`
    /// writes it: many-to-one, so a seal on `from` does not complete a
    /// group of `to` (several `from` values may share one `to`).
    pub fn fd(mut self, from: AttrSet, to: &str) -> Dataflow {
        self.fds.push(Fd {
            from,
            to: to.to_string(),
            injective: false,
        });
        self
    }

    /// Adds a one-to-one FD `from <-> to` (builder style), as
    /// `fds! { from <-> to; }` writes it: a seal on `from` covers a gate on
    /// `to`. Claim it only when each `to` value has one `from` value.
    pub fn fd_one_to_one(mut self, from: AttrSet, to: &str) -> Dataflow {
        self.fds.push(Fd {
            from,
            to: to.to_string(),
            injective: true,
        });
        self
    }

    /// Sets the requirement (builder style).
    pub fn requires(mut self, requirement: Requirement) -> Dataflow {
        self.requires = requirement;
        self
    }

    /// Sets the permission (builder style).
    pub fn coordinate(mut self, permission: Permission) -> Dataflow {
        self.coordinate = permission;
        self
    }

    /// The component with the given name.
    pub fn find_component(&self, name: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze;
    use crate::label::{Label, attrs};

    /// Sessions sealed, statistics per user: only a one-to-one FD lets the
    /// seal on `session` cover the gate on `user`.
    fn per_user(fd: impl FnOnce(Dataflow) -> Dataflow) -> Dataflow {
        fd(Dataflow::new()
            .component(Component::new("Stats").path(
                "events",
                "stats",
                Annotation::ow(attrs(["user"])),
            ))
            .stream(Stream::between("events", "Stats.events").sealed(attrs(["session"])))
            .stream(Stream::between("Stats.stats", "out")))
    }

    #[test]
    fn the_builders_fd_is_many_to_one_as_in_the_macro() {
        let plain = per_user(|d| d.fd(attrs(["session"]), "user"));
        assert!(!plain.fds[0].injective);
        let analysis = analyze(&plain).expect("valid");
        assert_ne!(
            analysis.sinks.get("out"),
            Some(&Label::Async),
            "{analysis:?}"
        );
        let one_to_one = per_user(|d| d.fd_one_to_one(attrs(["session"]), "user"));
        let analysis = analyze(&one_to_one).expect("valid");
        assert_eq!(analysis.sinks.get("out"), Some(&Label::Async));
    }
}
