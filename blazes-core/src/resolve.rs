//! The dataflow's names resolved to indices, once: every component's
//! interfaces, every path's ends and every stream's ends. Validation reads
//! them to report unknown names; the port graph is built from them without
//! looking a name up again.

use rustc_hash::FxHashMap as HashMap;

use crate::model::{Component, Dataflow};

/// The input (or output) interfaces of every component, in one flat table.
#[derive(Default)]
pub(crate) struct Interfaces<'a> {
    /// Per component, its interfaces in first-mention order.
    names: Vec<&'a str>,
    /// Per component, its interfaces' local indices sorted by name.
    sorted: Vec<u32>,
    /// Where each component's range starts in `names` and `sorted`, and one
    /// entry more for the end of the last.
    starts: Vec<usize>,
}

impl<'a> Interfaces<'a> {
    /// Starts a table of no components.
    fn new(components: usize) -> Interfaces<'a> {
        let mut starts = Vec::with_capacity(components + 1);
        starts.push(0);
        Interfaces {
            names: Vec::new(),
            sorted: Vec::new(),
            starts,
        }
    }

    /// Adds the next component's interfaces, from its mentions in order
    /// (repeats allowed). `scratch` is reused across components, so a
    /// component costs no allocation of its own.
    fn push(&mut self, mentions: impl Iterator<Item = &'a str>, scratch: &mut Scratch<'a>) {
        let Scratch {
            names: scratch,
            by_mention,
        } = scratch;
        scratch.clear();
        scratch.extend(mentions.enumerate().map(|(i, n)| (n, i as u32)));
        // By name, then by first mention: dedup keeps each name's first.
        scratch.sort_unstable();
        scratch.dedup_by_key(|e| e.0);
        let start = self.names.len();
        // `scratch[k].1` becomes the rank of name k in first-mention order.
        by_mention.clear();
        by_mention.extend(
            scratch
                .iter()
                .enumerate()
                .map(|(k, &(_, first))| (first, k as u32)),
        );
        by_mention.sort_unstable();
        for (rank, &(_, k)) in by_mention.iter().enumerate() {
            self.names.push(scratch[k as usize].0);
            scratch[k as usize].1 = rank as u32;
        }
        self.sorted.extend(scratch.iter().map(|&(_, rank)| rank));
        self.starts.push(start + scratch.len());
    }

    /// Component `c`'s interfaces, in first-mention order.
    pub(crate) fn of(&self, c: usize) -> &[&'a str] {
        &self.names[self.starts[c]..self.starts[c + 1]]
    }

    /// The local index of component `c`'s interface `name`.
    pub(crate) fn find(&self, c: usize, name: &str) -> Option<usize> {
        let names = self.of(c);
        let sorted = &self.sorted[self.starts[c]..self.starts[c + 1]];
        sorted
            .binary_search_by(|&i| names[i as usize].cmp(name))
            .ok()
            .map(|k| sorted[k] as usize)
    }

    /// The global index of component `c`'s interface with local index `i`,
    /// counting every component's interfaces in order.
    pub(crate) fn global(&self, c: usize, i: usize) -> usize {
        self.starts[c] + i
    }

    /// Interfaces in all.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

/// Buffers reused while interfaces are added.
#[derive(Default)]
struct Scratch<'a> {
    /// Mentions as (name, position), then distinct names with their rank.
    names: Vec<(&'a str, u32)>,
    /// (first mention, position in `names`), sorted.
    by_mention: Vec<(u32, u32)>,
}

/// One end of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum End<'a> {
    /// An external source or sink, by name.
    External(&'a str),
    /// An interface, by its global index in the inputs or outputs table.
    Port(usize),
}

/// The names of a dataflow resolved to indices.
pub(crate) struct Resolved<'a> {
    /// Every component's input interfaces.
    pub(crate) inputs: Interfaces<'a>,
    /// Every component's output interfaces.
    pub(crate) outputs: Interfaces<'a>,
    /// Per component and path (flat, in order): the local indices of its
    /// input and output interfaces.
    pub(crate) path_ends: Vec<(usize, usize)>,
    /// Where each component's paths start in `path_ends`, and one entry
    /// more for the end of the last.
    pub(crate) path_starts: Vec<usize>,
    /// Components by name (the first, if a name is declared twice).
    pub(crate) by_name: HashMap<&'a str, usize>,
    /// Per stream: its (producing, consuming) ends; filled by validation,
    /// once every end resolved.
    pub(crate) streams: Vec<(End<'a>, End<'a>)>,
}

impl<'a> Resolved<'a> {
    /// Resolves every component's interfaces and paths.
    pub(crate) fn new(dataflow: &'a Dataflow) -> Resolved<'a> {
        let n = dataflow.components.len();
        let mut inputs = Interfaces::new(n);
        let mut outputs = Interfaces::new(n);
        let mut scratch = Scratch::default();
        let mut path_ends = Vec::new();
        let mut path_starts = Vec::with_capacity(n + 1);
        let mut by_name = HashMap::default();
        by_name.reserve(n);
        for (ci, c) in dataflow.components.iter().enumerate() {
            by_name.entry(c.name.as_str()).or_insert(ci);
            inputs.push(input_mentions(c), &mut scratch);
            outputs.push(output_mentions(c), &mut scratch);
            path_starts.push(path_ends.len());
            for p in &c.paths {
                // Every path end is one of the mentions just pushed.
                let from = inputs.find(ci, &p.from).unwrap_or_default();
                let to = outputs.find(ci, &p.to).unwrap_or_default();
                path_ends.push((from, to));
            }
        }
        path_starts.push(path_ends.len());
        Resolved {
            inputs,
            outputs,
            path_ends,
            path_starts,
            by_name,
            streams: Vec::new(),
        }
    }

    /// Component `c`'s paths' ends, as local interface indices.
    pub(crate) fn paths_of(&self, c: usize) -> &[(usize, usize)] {
        &self.path_ends[self.path_starts[c]..self.path_starts[c + 1]]
    }
}

/// A component's input interfaces as mentioned: path inputs, then declared
/// extra inputs.
fn input_mentions(c: &Component) -> impl Iterator<Item = &str> {
    c.paths
        .iter()
        .map(|p| p.from.as_str())
        .chain(c.extra_inputs.iter().map(String::as_str))
}

/// A component's output interfaces as mentioned.
fn output_mentions(c: &Component) -> impl Iterator<Item = &str> {
    c.paths
        .iter()
        .map(|p| p.to.as_str())
        .chain(c.extra_outputs.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::Annotation;
    use crate::model::Stream;

    #[test]
    fn interfaces_keep_first_mention_order_and_are_found_by_name() {
        let c = Component::new("C")
            .path("zeta", "out", Annotation::cr())
            .path("alpha", "out", Annotation::cr())
            .path("zeta", "side", Annotation::cw());
        let d = Dataflow::new().component(c);
        let r = Resolved::new(&d);
        assert_eq!(r.inputs.of(0), ["zeta", "alpha"]);
        assert_eq!(r.outputs.of(0), ["out", "side"]);
        assert_eq!(r.inputs.find(0, "alpha"), Some(1));
        assert_eq!(r.inputs.find(0, "zeta"), Some(0));
        assert_eq!(r.inputs.find(0, "beta"), None);
        assert_eq!(r.paths_of(0), [(0, 0), (1, 0), (0, 1)]);
    }

    #[test]
    fn stream_ends_resolve_to_global_indices() {
        let d = Dataflow::new()
            .component(Component::new("A").path("i", "o", Annotation::cr()))
            .component(Component::new("B").path("x", "o", Annotation::cr()).path(
                "y",
                "o",
                Annotation::cr(),
            ))
            .stream(Stream::between("A.o", "B.y"));
        let r = crate::validate::resolve_valid(&d).expect("valid");
        assert_eq!(r.streams, [(End::Port(0), End::Port(2))]);
        let wrong = d.stream(Stream::between("B.x", "sink"));
        assert!(crate::validate::resolve_valid(&wrong).is_err());
    }
}
