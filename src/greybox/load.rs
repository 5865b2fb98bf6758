//! Builds the spanned [`Node`] tree from the YAML parser's events, and
//! enforces what a grey-box file may contain: one document, keys that are
//! names and appear once, bounded nesting, bounded alias expansion, no tags
//! beyond the core schema's.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::diagnostics::{Problem, Problems};
use super::source::{SourceText, Span};
use super::tree::{Entry, Node, NodeKind, ScalarKind};

/// The deepest nesting of lists and maps accepted (a grey-box file needs six).
pub const MAX_DEPTH: usize = 32;

/// The most nodes that aliases may add to the document, all aliases together.
pub const MAX_ALIAS_NODES: usize = 10_000;

/// The largest file accepted, in bytes.
pub const MAX_BYTES: usize = 8 << 20;

/// The handle the parser gives the core schema's `!!` tags.
const CORE_TAG_HANDLE: &str = "tag:yaml.org,2002:";

/// The core schema's tags, which are accepted.
const CORE_TAGS: [&str; 7] = ["str", "null", "bool", "int", "float", "seq", "map"];

/// A list or map being read.
struct Frame {
    /// Where its start event was.
    start: usize,
    /// Written with `[` or `{`.
    flow: bool,
    /// Its anchor id, or 0.
    anchor: usize,
    /// What has been read so far.
    body: FrameBody,
}

/// The contents of a [`Frame`].
enum FrameBody {
    /// The items of a list.
    Seq(Vec<Node>),
    /// The entries of a map, and the key waiting for its value.
    Map {
        entries: Vec<Entry>,
        pending: Option<PendingKey>,
        seen: HashMap<String, Span>,
    },
}

/// A map key read, waiting for its value.
enum PendingKey {
    /// A usable key.
    Valid(String, Span),
    /// A key already reported (duplicate or not a name): its value is dropped.
    Dropped,
}

/// A node with an anchor, kept for the aliases that name it.
struct Anchored {
    node: Node,
    count: usize,
    height: usize,
}

/// Why loading stopped early.
struct Fatal;

/// The event-driven tree builder.
struct Loader<'s, 't> {
    source: &'s SourceText<'t>,
    problems: &'s mut Problems,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    alias_nodes: usize,
    root: Option<Node>,
    documents: usize,
}

/// Reads the single YAML document of `source`; `None` when it cannot be read
/// (the reasons are in `problems`).
pub(crate) fn load(source: &SourceText<'_>, problems: &mut Problems) -> Option<Node> {
    if source.text().len() > MAX_BYTES {
        problems.push(Problem::new(
            Span::new(0, 0),
            format!(
                "the file is {} bytes long; grey-box files are limited to {MAX_BYTES} bytes",
                source.text().len()
            ),
            "file too large",
        ));
        return None;
    }
    let mut loader = Loader {
        source,
        problems,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
        documents: 0,
    };
    loader.run().ok()?;
    match loader.root {
        Some(root) if !root.is_null() => Some(root),
        root => {
            // Point at an explicit `~`/`null`; an implicit empty document is
            // reported at the start of the file.
            let span = root
                .filter(|r| r.span.end > r.span.start)
                .map_or(Span::new(0, 0), |r| r.span);
            loader.problems.push(
                Problem::new(
                    span,
                    "the file is empty: expected a map of components",
                    "nothing here",
                )
                .note("write the paper's annotation blocks, e.g. `Count: { annotation: [ { from: words, to: counts, label: CW } ] }`, optionally under `components:`"),
            );
            None
        }
    }
}

impl Loader<'_, '_> {
    /// Feeds every event to the builder.
    fn run(&mut self) -> Result<(), Fatal> {
        let mut parser = Parser::new_from_str(self.source.text());
        loop {
            let (event, marker) = match parser.next_token() {
                Ok(next) => next,
                Err(e) => {
                    let at = self.source.byte_of(e.marker());
                    let span = self.source.point(at);
                    self.problems.push(Problem::new(
                        span,
                        format!("YAML syntax error: {}", e.info()),
                        "the YAML parser stopped here",
                    ));
                    return Err(Fatal);
                }
            };
            if event == Event::StreamEnd {
                return Ok(());
            }
            self.event(event, &marker)?;
        }
    }

    /// Handles one event.
    fn event(&mut self, event: Event, marker: &Marker) -> Result<(), Fatal> {
        let at = self.source.byte_of(marker);
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    self.problems.push(
                        Problem::new(
                            Span::new(at, self.source.line_end(at)),
                            "a second YAML document: a grey-box file holds exactly one",
                            "a new document starts here",
                        )
                        .note("remove the `---` separator or split the file"),
                    );
                    return Err(Fatal);
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let span = self.source.scalar_span(at, &value, style);
                let kind = self.scalar_kind(&value, style, tag.as_ref(), span);
                self.finish(
                    Node {
                        span,
                        kind: NodeKind::Scalar { value, kind },
                    },
                    anchor,
                );
            }
            Event::Alias(id) => {
                let node = self.expand(id, at)?;
                self.complete(node);
            }
            Event::SequenceStart(anchor, tag) => self.open(at, anchor, tag.as_ref(), false)?,
            Event::MappingStart(anchor, tag) => self.open(at, anchor, tag.as_ref(), true)?,
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = self.stack.pop() {
                    self.close(frame, at);
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// Starts a list or map at byte `at`.
    fn open(
        &mut self,
        at: usize,
        anchor: usize,
        tag: Option<&Tag>,
        is_map: bool,
    ) -> Result<(), Fatal> {
        self.check_tag(tag, self.source.point(at));
        if self.stack.len() >= MAX_DEPTH {
            self.problems.push(Problem::new(
                self.source.point(at),
                format!("nesting deeper than {MAX_DEPTH} levels of lists and maps"),
                "too deep",
            ));
            return Err(Fatal);
        }
        let body = if is_map {
            FrameBody::Map {
                entries: Vec::new(),
                pending: None,
                seen: HashMap::new(),
            }
        } else {
            FrameBody::Seq(Vec::new())
        };
        self.stack.push(Frame {
            start: at,
            flow: matches!(self.source.char_at(at), Some('[' | '{')),
            anchor,
            body,
        });
        Ok(())
    }

    /// Builds the node of a list or map whose end event is at `end`.
    fn close(&mut self, frame: Frame, end: usize) {
        let children: Vec<Span> = match &frame.body {
            FrameBody::Seq(items) => items.iter().map(|n| n.span).collect(),
            FrameBody::Map { entries, .. } => entries
                .iter()
                .map(|e| e.key_span.cover(e.value.span))
                .collect(),
        };
        let start_span = Span::new(frame.start, frame.start);
        let mut span = children.iter().fold(start_span, |acc, s| acc.cover(*s));
        if frame.flow {
            let closing = matches!(self.source.char_at(end), Some(']' | '}'));
            span = span.cover(Span::new(end, if closing { end + 1 } else { end }));
        }
        let kind = match frame.body {
            FrameBody::Seq(items) => NodeKind::Seq(items),
            FrameBody::Map { entries, .. } => NodeKind::Map(entries),
        };
        self.finish(Node { span, kind }, frame.anchor);
    }

    /// Keeps an anchored node for later aliases, then places it.
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            let kept = Anchored {
                count: node.count(),
                height: node.height(),
                node: node.clone(),
            };
            self.anchors.insert(anchor, kept);
        }
        self.complete(node);
    }

    /// A copy of the anchored node an alias names, within the budgets.
    fn expand(&mut self, id: usize, at: usize) -> Result<Node, Fatal> {
        let span = self.source.alias_span(at);
        let Some(anchored) = self.anchors.get(&id) else {
            self.problems.push(Problem::new(
                span,
                "this alias names an anchor that is not defined before it",
                "unknown anchor",
            ));
            return Err(Fatal);
        };
        self.alias_nodes = self.alias_nodes.saturating_add(anchored.count);
        if self.alias_nodes > MAX_ALIAS_NODES {
            self.problems.push(
                Problem::new(
                    span,
                    format!(
                        "aliases expand to more than {MAX_ALIAS_NODES} nodes; refusing to expand \
                         further (is this a \"billion laughs\" file?)"
                    ),
                    "expansion budget exceeded here",
                )
                .note("grey-box files are small: write the blocks out instead of aliasing them"),
            );
            return Err(Fatal);
        }
        if self.stack.len() + anchored.height > MAX_DEPTH {
            self.problems.push(Problem::new(
                span,
                format!("this alias nests lists and maps deeper than {MAX_DEPTH} levels"),
                "too deep",
            ));
            return Err(Fatal);
        }
        let mut node = anchored.node.clone();
        node.span = span;
        Ok(node)
    }

    /// Places a finished node in its parent (or makes it the document).
    fn complete(&mut self, node: Node) {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return;
        };
        match &mut frame.body {
            FrameBody::Seq(items) => items.push(node),
            FrameBody::Map {
                entries,
                pending,
                seen,
            } => match pending.take() {
                Some(PendingKey::Valid(key, key_span)) => {
                    seen.insert(key.clone(), key_span);
                    entries.push(Entry {
                        key,
                        key_span,
                        value: node,
                    });
                }
                Some(PendingKey::Dropped) => {}
                None => {
                    let key = key_of(node, seen, self.source, self.problems);
                    *pending = Some(key);
                }
            },
        }
    }

    /// The type of a scalar, honouring `!!str`; reports other tags.
    fn scalar_kind(
        &mut self,
        value: &str,
        style: TScalarStyle,
        tag: Option<&Tag>,
        span: Span,
    ) -> ScalarKind {
        self.check_tag(tag, span);
        let forced_str = tag.is_some_and(|t| t.handle == CORE_TAG_HANDLE && t.suffix == "str");
        if style == TScalarStyle::Plain && !forced_str {
            ScalarKind::of_plain(value)
        } else {
            ScalarKind::Str
        }
    }

    /// Reports a tag outside the core schema.
    fn check_tag(&mut self, tag: Option<&Tag>, span: Span) {
        let Some(tag) = tag else { return };
        if tag.handle == CORE_TAG_HANDLE && CORE_TAGS.contains(&tag.suffix.as_str()) {
            return;
        }
        let shown = if tag.handle == CORE_TAG_HANDLE {
            format!("!!{}", tag.suffix)
        } else {
            format!("{}{}", tag.handle, tag.suffix)
        };
        self.problems.push(
            Problem::new(
                span,
                format!("unsupported YAML tag `{shown}`"),
                "tagged node",
            )
            .note("grey-box files use plain YAML; only the core tags (`!!str`, `!!int`, ...) are accepted"),
        );
    }
}

/// Checks a map key: a name, not given before in the same map.
fn key_of(
    node: Node,
    seen: &HashMap<String, Span>,
    source: &SourceText<'_>,
    problems: &mut Problems,
) -> PendingKey {
    match node.kind {
        NodeKind::Scalar {
            value,
            kind: ScalarKind::Str,
        } => {
            if let Some(first) = seen.get(&value) {
                problems.push(
                    Problem::new(
                        node.span,
                        format!(
                            "duplicate key `{value}`: it is already given on line {}",
                            source.line_of(first.start)
                        ),
                        "given again here",
                    )
                    .related(*first, "first given here")
                    .note("a key may appear once in a map; merge the two entries"),
                );
                PendingKey::Dropped
            } else {
                PendingKey::Valid(value, node.span)
            }
        }
        _ => {
            let found = node.describe();
            problems.push(
                Problem::new(
                    node.span,
                    format!("map keys must be names; found {found}"),
                    "not a name",
                )
                .note("quote a key that looks like a number or a boolean, e.g. `\"1\":`"),
            );
            PendingKey::Dropped
        }
    }
}
