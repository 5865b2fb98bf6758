//! Source gadgets: small components placed in front of a source so that it
//! emits a chosen label. Sources themselves are only `Seal` or `Async`; a
//! gadget lets a test raise a source through every severity.

use blazes_core::{Annotation, AttrSet, Component, Dataflow, Endpoint, Stream, attrs};

use super::{EXTERNALS, source_name};

/// The label a gadget emits, by severity: 0 `Seal`, 1 `Async`, 2 `Run`,
/// 3 `Inst`, 4 `Diverge`.
pub type Level = u8;

/// The most severe level.
pub const TOP: Level = 4;

/// The gadget's component name for source `i`.
pub fn gadget_name(i: usize) -> String {
    format!("G{i}")
}

/// The gadget for source `i` at `level`, with `key` for a sealed source:
/// its component and the streams feeding it.
fn gadget(i: usize, level: Level, key: &AttrSet) -> (Component, Vec<Stream>) {
    let name = gadget_name(i);
    let feed = |suffix: &str, iface: &str| {
        Stream::new(
            Endpoint::External(format!("f{i}{suffix}")),
            Endpoint::port(&name, iface),
        )
    };
    match level {
        // A sealed source through a confluent read.
        0 => (
            Component::new(&name).path("in", "out", Annotation::cr()),
            vec![feed("", "in").sealed(key.clone())],
        ),
        // A plain source through a confluent read.
        1 => (
            Component::new(&name).path("in", "out", Annotation::cr()),
            vec![feed("", "in")],
        ),
        // Not replicated, order-sensitive write without gate: Taint → Run.
        2 => (
            Component::new(&name).path("in", "out", Annotation::ow(AttrSet::new())),
            vec![feed("", "in")],
        ),
        // Replicated, a read racing an unsealed write: NDRead → Inst.
        3 => (
            Component::new(&name)
                .replicated(true)
                .path("w", "out", Annotation::cw())
                .path("r", "out", Annotation::or(attrs(["a"]))),
            vec![feed("w", "w"), feed("r", "r")],
        ),
        // Replicated, order-sensitive write over an unsealed input: Diverge.
        _ => (
            Component::new(&name).replicated(true).path(
                "in",
                "out",
                Annotation::ow(AttrSet::new()),
            ),
            vec![feed("", "in")],
        ),
    }
}

/// Puts a gadget in front of every source `s{i}` of `dataflow`: streams from
/// `s{i}` now leave `G{i}.out`, which emits the label of `levels[i]`.
pub fn with_gadgets(mut dataflow: Dataflow, levels: &[Level], keys: &[AttrSet]) -> Dataflow {
    for s in &mut dataflow.streams {
        if let Endpoint::External(name) = &s.from
            && let Some(i) = (0..EXTERNALS).find(|&i| *name == source_name(i))
        {
            s.from = Endpoint::port(&gadget_name(i), "out");
        }
    }
    for i in 0..EXTERNALS {
        let (component, feeds) = gadget(i, levels[i], &keys[i]);
        dataflow.components.push(component);
        dataflow.streams.extend(feeds);
    }
    dataflow
}
