//! Warnings about a valid dataflow that is probably not what the user meant:
//! its attribute names (spec §1, §3), and inputs that no stream feeds.
//!
//! Attribute names are global (spec §1): the same name on two annotations is
//! the same attribute, and `compatible(g, k)` (spec §3) only relates names
//! that a gate, a seal key or a functional dependency share. So a name that
//! is mentioned once is either a deliberate, local name (a gate's grouping
//! attribute that nothing is sealed on, say) or a typo. Two rules tell them
//! apart without guessing:
//!
//! - **did you mean**: an attribute mentioned at exactly one place (one gate
//!   of a path, one stream's `seal` or `seq`, one FD) whose name is close to
//!   an attribute mentioned elsewhere (normalised Damerau–Levenshtein
//!   similarity at least [`SIMILARITY`]) is reported with that suggestion;
//! - **seal that no gate can use**: an attribute of a `seal` key that no gate
//!   and no FD mentions makes the key compatible with no gate (spec §3: `k ⊆
//!   closure(g)` and a closure only holds gate and FD attributes), so the seal
//!   protects nothing; it is reported with the closest gate or FD attribute
//!   when one is close, and with the gates' attributes otherwise. A lone
//!   attribute close to such a seal attribute gets no "did you mean" of its
//!   own: which of the two is misspelt is not known, and the seal's warning
//!   already names both.
//!
//! An input interface that paths read but no stream feeds is reported at the
//! first such path: its handler never runs, and the analysis takes the input
//! as `Async` (the spec is silent; the conservative reading), which taints
//! an order-sensitive path downstream.
//!
//! Like [`crate::validate()`], each warning names its [`Site`], so every front
//! end (the grey-box reader, the macros) points at its own text. Warnings
//! never change the analysis.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::model::{Dataflow, Endpoint};
use crate::validate::Site;

/// How close (normalised Damerau–Levenshtein similarity, 0 to 1) a name must
/// be to another to be suggested in its place: `campain` → `campaign` (0.88),
/// `usr` → `user` (0.75), `kye` → `key` (0.67) are suggested; `id` → `ip`
/// (0.5) is not.
pub const SIMILARITY: f64 = 0.65;

/// Which annotation mentions an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// A gate of an `OR`/`OW` path.
    Gate,
    /// A stream's `seal` key.
    Seal,
    /// A stream's `seq` key.
    Seq,
    /// The determining side of a functional dependency.
    FdFrom,
    /// The determined side of a functional dependency.
    FdTo,
    /// An input interface a path reads (the "attribute" is the interface).
    Input,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Gate => "gate",
            Role::Seal => "seal",
            Role::Seq => "seq",
            Role::FdFrom | Role::FdTo => "functional dependency",
            Role::Input => "input",
        })
    }
}

/// What a warning is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WarningKind {
    /// An attribute mentioned at this site only, close to one mentioned
    /// elsewhere.
    DidYouMean {
        /// The attribute as written.
        attribute: String,
        /// Which annotation mentions it.
        role: Role,
        /// The closest attribute mentioned elsewhere.
        suggestion: String,
    },
    /// An attribute of a seal key that no gate and no FD mentions: the seal
    /// is compatible with no gate.
    SealMatchesNoGate {
        /// The attribute as written.
        attribute: String,
        /// The closest gate or FD attribute, when one is close.
        suggestion: Option<String>,
        /// Every attribute that gates mention, sorted (empty when no path
        /// has a gate).
        gate_attributes: Vec<String>,
    },
    /// An input interface that paths read but no stream feeds.
    UnfedInput {
        /// The component.
        component: String,
        /// The input interface.
        input: String,
    },
    /// An input fed by a source named like an output of the same
    /// component: most likely a loop the wiring did not make (in a grey-box
    /// `streams:` map an output feeds only other components' inputs).
    SourceNamedLikeOwnOutput {
        /// The component.
        component: String,
        /// The input, the source and the output's common name.
        interface: String,
    },
}

impl WarningKind {
    /// The attribute the warning is about, as written.
    pub fn attribute(&self) -> &str {
        match self {
            WarningKind::DidYouMean { attribute, .. }
            | WarningKind::SealMatchesNoGate { attribute, .. } => attribute,
            WarningKind::UnfedInput { input, .. } => input,
            WarningKind::SourceNamedLikeOwnOutput { interface, .. } => interface,
        }
    }

    /// Which annotation mentions the attribute.
    pub fn role(&self) -> Role {
        match self {
            WarningKind::DidYouMean { role, .. } => *role,
            WarningKind::SealMatchesNoGate { .. } => Role::Seal,
            WarningKind::UnfedInput { .. } | WarningKind::SourceNamedLikeOwnOutput { .. } => {
                Role::Input
            }
        }
    }

    /// The attribute the user may have meant, if one is close.
    pub fn suggestion(&self) -> Option<&str> {
        match self {
            WarningKind::DidYouMean { suggestion, .. } => Some(suggestion),
            WarningKind::SealMatchesNoGate { suggestion, .. } => suggestion.as_deref(),
            WarningKind::UnfedInput { .. } | WarningKind::SourceNamedLikeOwnOutput { .. } => None,
        }
    }
}

/// A warning about a dataflow: where, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Where the attribute is mentioned.
    pub site: Site,
    /// What is suspicious.
    pub kind: WarningKind,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            WarningKind::UnfedInput { component, input } => write!(
                f,
                "input `{input}` of `{component}` is fed by no stream: its paths never run, and \
                 the analysis takes it as Async; connect a stream to `{component}.{input}` or \
                 remove its paths"
            ),
            WarningKind::SourceNamedLikeOwnOutput {
                component,
                interface,
            } => write!(
                f,
                "input `{interface}` of `{component}` is fed by a source named `{interface}`, \
                 not by `{component}`'s own output `{interface}`: an output feeds its own \
                 component only through a stream that says so (in a grey-box `streams:` map an \
                 output feeds only other components' inputs); for a loop, declare the stream \
                 `{component}.{interface} -> {component}.{interface}` (in a grey-box file, \
                 `streams:` as a list with `{{ from: {component}.{interface}, to: \
                 {component}.{interface} }}`)"
            ),
            WarningKind::DidYouMean {
                attribute,
                role,
                suggestion,
            } => write!(
                f,
                "{role} attribute `{attribute}` appears nowhere else in the dataflow: did you \
                 mean `{suggestion}`?"
            ),
            WarningKind::SealMatchesNoGate {
                attribute,
                suggestion,
                gate_attributes,
            } => {
                write!(
                    f,
                    "seal attribute `{attribute}` appears in no gate and no functional \
                     dependency, so this seal is compatible with no gate and protects nothing"
                )?;
                match suggestion {
                    Some(s) => write!(f, ": did you mean `{s}`?"),
                    None if gate_attributes.is_empty() => {
                        f.write_str(" (no path of the dataflow has a gate)")
                    }
                    None => write!(
                        f,
                        " (the gates name {})",
                        gate_attributes
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
        }
    }
}

/// One mention of an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Mention {
    site: SiteKey,
    role: Role,
}

/// [`Site`] in a sortable form, so warnings come out in declaration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SiteKey {
    Path(usize, usize),
    Stream(usize),
    Fd(usize),
}

impl SiteKey {
    fn site(self) -> Site {
        match self {
            SiteKey::Path(c, p) => Site::Path(c, p),
            SiteKey::Stream(s) => Site::Stream(s),
            SiteKey::Fd(f) => Site::Fd(f),
        }
    }
}

/// Records that `site` mentions each of `names` in `role`.
fn add<'a>(
    out: &mut BTreeMap<&'a str, BTreeSet<Mention>>,
    names: impl IntoIterator<Item = &'a String>,
    site: SiteKey,
    role: Role,
) {
    for name in names {
        out.entry(name.as_str())
            .or_default()
            .insert(Mention { site, role });
    }
}

/// Every attribute of the dataflow with the places that mention it.
fn mentions(dataflow: &Dataflow) -> BTreeMap<&str, BTreeSet<Mention>> {
    let mut out = BTreeMap::new();
    for (ci, c) in dataflow.components.iter().enumerate() {
        for (pi, p) in c.paths.iter().enumerate() {
            let gates = p.annotation.gates.iter().flatten();
            add(&mut out, gates, SiteKey::Path(ci, pi), Role::Gate);
        }
    }
    for (si, s) in dataflow.streams.iter().enumerate() {
        let site = SiteKey::Stream(si);
        add(
            &mut out,
            s.annotation.seal.iter().flatten(),
            site,
            Role::Seal,
        );
        add(&mut out, s.annotation.seq.iter().flatten(), site, Role::Seq);
    }
    for (fi, fd) in dataflow.fds.iter().enumerate() {
        let site = SiteKey::Fd(fi);
        add(&mut out, &fd.from, site, Role::FdFrom);
        add(&mut out, [&fd.to], site, Role::FdTo);
    }
    out
}

/// True when `name` is a seal attribute that no gate or FD mentions: its
/// seal warning already names the attribute closest to it, so that pair is
/// reported once, at the seal.
fn unusable_seal(mentions: &BTreeMap<&str, BTreeSet<Mention>>, name: &str) -> bool {
    mentions.get(name).is_some_and(|ms| {
        ms.iter().any(|m| m.role == Role::Seal)
            && !ms
                .iter()
                .any(|m| matches!(m.role, Role::Gate | Role::FdFrom | Role::FdTo))
    })
}

/// The closest of `candidates` to `name` (ties: the first in sorted order),
/// if at least [`SIMILARITY`] close: the "did you mean" of every front end
/// (misspelt attributes here, unknown components in a grey-box file).
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates.filter(|c| *c != name) {
        let score = strsim::normalized_damerau_levenshtein(name, candidate);
        if score >= SIMILARITY && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// The warnings of a dataflow, in declaration order (paths, then streams,
/// then FDs). Each names its [`Site`]; see the module documentation for the
/// two rules.
pub fn warnings(dataflow: &Dataflow) -> Vec<Warning> {
    let mentions = mentions(dataflow);
    let gate_or_fd = |m: &Mention| matches!(m.role, Role::Gate | Role::FdFrom | Role::FdTo);
    let gate_attributes: Vec<String> = mentions
        .iter()
        .filter(|(_, ms)| ms.iter().any(|m| m.role == Role::Gate))
        .map(|(a, _)| a.to_string())
        .collect();
    let mut found: Vec<(Mention, WarningKind)> = Vec::new();
    for (&attribute, ms) in &mentions {
        if !ms.iter().any(gate_or_fd) {
            let suggestion = closest(
                attribute,
                mentions
                    .iter()
                    .filter(|(_, other)| other.iter().any(gate_or_fd))
                    .map(|(a, _)| *a),
            );
            for m in ms.iter().filter(|m| m.role == Role::Seal) {
                found.push((
                    *m,
                    WarningKind::SealMatchesNoGate {
                        attribute: attribute.to_string(),
                        suggestion: suggestion.clone(),
                        gate_attributes: gate_attributes.clone(),
                    },
                ));
            }
            if ms.iter().any(|m| m.role == Role::Seal) {
                continue;
            }
        }
        let [only] = ms.iter().collect::<Vec<_>>()[..] else {
            continue;
        };
        let others = mentions.keys().copied().filter(|a| *a != attribute);
        if let Some(suggestion) = closest(attribute, others)
            && !unusable_seal(&mentions, &suggestion)
        {
            found.push((
                *only,
                WarningKind::DidYouMean {
                    attribute: attribute.to_string(),
                    role: only.role,
                    suggestion,
                },
            ));
        }
    }
    found.sort_by(|(a, ka), (b, kb)| (a, ka.attribute()).cmp(&(b, kb.attribute())));
    found
        .into_iter()
        .map(|(m, kind)| Warning {
            site: m.site.site(),
            kind,
        })
        .chain(unfed_inputs(dataflow))
        .chain(sources_named_like_own_outputs(dataflow))
        .collect()
}

/// A warning at each stream from a source into an input of a component
/// that also has an output of the source's name.
fn sources_named_like_own_outputs(dataflow: &Dataflow) -> Vec<Warning> {
    let mut found = Vec::new();
    for (s, stream) in dataflow.streams.iter().enumerate() {
        let (
            Endpoint::External(source),
            Endpoint::Port {
                component,
                interface,
            },
        ) = (&stream.from, &stream.to)
        else {
            continue;
        };
        let own_output = dataflow
            .components
            .iter()
            .find(|c| c.name == *component)
            .is_some_and(|c| c.outputs().contains(&source.as_str()));
        if source == interface && own_output {
            found.push(Warning {
                site: Site::Stream(s),
                kind: WarningKind::SourceNamedLikeOwnOutput {
                    component: component.clone(),
                    interface: interface.clone(),
                },
            });
        }
    }
    found
}

/// A warning at the first path reading each input that no stream feeds.
fn unfed_inputs(dataflow: &Dataflow) -> Vec<Warning> {
    let fed: BTreeSet<(&str, &str)> = dataflow
        .streams
        .iter()
        .filter_map(|s| match &s.to {
            Endpoint::Port {
                component,
                interface,
            } => Some((component.as_str(), interface.as_str())),
            Endpoint::External(_) => None,
        })
        .collect();
    let mut found = Vec::new();
    for (c, component) in dataflow.components.iter().enumerate() {
        let mut seen = BTreeSet::new();
        for (p, path) in component.paths.iter().enumerate() {
            let input = path.from.as_str();
            if seen.insert(input) && !fed.contains(&(component.name.as_str(), input)) {
                found.push(Warning {
                    site: Site::Path(c, p),
                    kind: WarningKind::UnfedInput {
                        component: component.name.clone(),
                        input: input.to_string(),
                    },
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Annotation, Component, Fd, Stream, attrs};

    /// The ad network's Report with `gate` on its query and `clicks` sealed
    /// on `seal`.
    fn report(gate: &[&str], seal: &[&str]) -> Dataflow {
        Dataflow::new()
            .component(
                Component::new("Report")
                    .path("click", "response", Annotation::cw())
                    .path(
                        "request",
                        "response",
                        Annotation::or(attrs(gate.iter().copied())),
                    ),
            )
            .stream(Stream::between("clicks", "Report.click").sealed(attrs(seal.iter().copied())))
            .stream(Stream::between("requests", "Report.request"))
            .stream(Stream::between("Report.response", "answers"))
    }

    #[test]
    fn a_misspelt_seal_is_suggested_the_gate_attribute() {
        let found = warnings(&report(&["id", "campaign"], &["campain"]));
        let seal = found
            .iter()
            .find(|w| w.site == Site::Stream(0))
            .expect("a warning on the seal");
        assert_eq!(
            seal.kind,
            WarningKind::SealMatchesNoGate {
                attribute: "campain".into(),
                suggestion: Some("campaign".into()),
                gate_attributes: vec!["campaign".into(), "id".into()],
            }
        );
        let text = seal.to_string();
        assert!(text.contains("seal attribute `campain`"), "{text}");
        assert!(text.contains("did you mean `campaign`?"), "{text}");
        // The gate's `campaign` is mentioned once too, but the pair is
        // reported once, at the seal.
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn a_misspelt_gate_is_named_by_the_seal_that_fits_no_gate() {
        let found = warnings(&report(&["id", "campain"], &["campaign"]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].site, Site::Stream(0));
        assert_eq!(found[0].kind.suggestion(), Some("campain"));
    }

    #[test]
    fn a_misspelt_gate_is_suggested_an_attribute_used_elsewhere() {
        let mut dataflow = report(&["id", "campain"], &["campaign"]);
        dataflow.components[0].paths[0].annotation = Annotation::ow(attrs(["campaign"]));
        let found = warnings(&dataflow);
        assert_eq!(
            found,
            vec![Warning {
                site: Site::Path(0, 1),
                kind: WarningKind::DidYouMean {
                    attribute: "campain".into(),
                    role: Role::Gate,
                    suggestion: "campaign".into(),
                },
            }]
        );
        assert_eq!(
            found[0].to_string(),
            "gate attribute `campain` appears nowhere else in the dataflow: did you mean \
             `campaign`?"
        );
    }

    #[test]
    fn a_seal_that_fits_a_gate_and_a_lone_gate_attribute_are_quiet() {
        // `id` is mentioned once, but nothing close to it exists: a local name.
        assert_eq!(
            warnings(&report(&["id", "campaign"], &["campaign"])),
            vec![]
        );
    }

    #[test]
    fn a_seal_on_an_attribute_no_gate_names_protects_nothing() {
        let found = warnings(&report(&["id"], &["campaign"]));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind.suggestion(), None);
        let text = found[0].to_string();
        assert!(text.contains("compatible with no gate"), "{text}");
        assert!(text.contains("(the gates name `id`)"), "{text}");
    }

    #[test]
    fn an_fd_attribute_connects_a_seal_to_a_gate() {
        let mut dataflow = report(&["id", "user"], &["session"]);
        assert_eq!(warnings(&dataflow).len(), 1);
        dataflow.fds.push(Fd {
            from: attrs(["session"]),
            to: "user".into(),
            injective: false,
        });
        assert_eq!(warnings(&dataflow), vec![]);
    }

    #[test]
    fn misspelt_seq_and_fd_attributes_are_suggested() {
        let mut dataflow = report(&["id", "user", "batch", "session"], &["session"]);
        dataflow.streams[0].annotation.seq = Some(attrs(["batch"]));
        dataflow.streams[1].annotation.seq = Some(attrs(["bacth"]));
        dataflow.fds.push(Fd {
            from: attrs(["sesion"]),
            to: "user".into(),
            injective: false,
        });
        let found = warnings(&dataflow);
        let kinds: Vec<(Site, &str, Role, Option<&str>)> = found
            .iter()
            .map(|w| {
                (
                    w.site,
                    w.kind.attribute(),
                    w.kind.role(),
                    w.kind.suggestion(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (Site::Stream(1), "bacth", Role::Seq, Some("batch")),
                (Site::Fd(0), "sesion", Role::FdFrom, Some("session")),
            ]
        );
    }

    #[test]
    fn similarity_threshold_examples() {
        let near = |a: &str, b: &str| closest(a, [b].into_iter()).is_some();
        assert!(near("campain", "campaign"));
        assert!(near("usr", "user"));
        assert!(near("kye", "key"));
        assert!(!near("id", "ip"));
        assert!(!near("word", "batch"));
        assert!(!near("same", "same"), "a name is not its own suggestion");
    }

    #[test]
    fn an_input_no_stream_feeds_is_reported_once_at_its_first_path() {
        let dataflow = Dataflow::new()
            .component(
                Component::new("T")
                    .path("readings", "good", Annotation::cr())
                    .path("again", "good", Annotation::cr())
                    .path("again", "retry", Annotation::cr()),
            )
            .stream(Stream::between("readings", "T.readings"))
            .stream(Stream::between("T.good", "board"));
        let found: Vec<Warning> = warnings(&dataflow)
            .into_iter()
            .filter(|w| w.kind.role() == Role::Input)
            .collect();
        assert_eq!(
            found,
            vec![Warning {
                site: Site::Path(0, 1),
                kind: WarningKind::UnfedInput {
                    component: "T".into(),
                    input: "again".into(),
                },
            }]
        );
        assert!(
            found[0]
                .to_string()
                .contains("connect a stream to `T.again`")
        );
        // Fed, it is not reported.
        let fed = dataflow.stream(Stream::between("T.retry", "T.again"));
        assert!(warnings(&fed).iter().all(|w| w.kind.role() != Role::Input));
    }
}
