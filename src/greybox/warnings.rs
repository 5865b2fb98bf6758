//! Warnings about a valid grey-box file (spec §6): the attribute warnings of
//! [`blazes_core::lint`] (spec §1, §3: a probably misspelt attribute, a seal
//! key that no gate can use), each pointed at the attribute as written in
//! the file, and rendered like the reader's errors.

use std::fmt;
use std::ops::Range;

use blazes_core::Dataflow;
use blazes_core::lint::{self, Role};
use blazes_core::validate::Site;
use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::{Files, SimpleFile};

use super::source::Span;
use super::sourcemap::SourceMap;

/// One warning in a grey-box file: what is suspicious and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    lint: lint::Warning,
    span: Range<usize>,
    line: usize,
    column: usize,
}

impl Warning {
    /// The warning as the core found it (site and kind), for programs.
    pub fn lint(&self) -> &lint::Warning {
        &self.lint
    }

    /// What is suspicious, and what was probably meant.
    pub fn message(&self) -> String {
        self.lint.to_string()
    }

    /// The 1-based line of the attribute.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column (in characters) of the attribute.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The byte range of the attribute in the source text.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.lint)
    }
}

/// Every warning about one grey-box file, with the text they point into.
#[derive(Clone, Debug)]
pub struct Warnings {
    file_name: String,
    source: String,
    warnings: Vec<Warning>,
}

impl Warnings {
    /// The warnings as reports render them (text, JSON, SARIF, GitHub), each
    /// located at the attribute.
    pub fn to_report(&self) -> Vec<crate::warnings::Warning> {
        self.warnings
            .iter()
            .map(|w| {
                let code = match w.lint.kind {
                    lint::WarningKind::DidYouMean { .. } => "did-you-mean",
                    lint::WarningKind::SealMatchesNoGate { .. } => "seal-matches-no-gate",
                    lint::WarningKind::UnfedInput { .. } => "unfed-input",
                    lint::WarningKind::SourceNamedLikeOwnOutput { .. } => {
                        "source-named-like-own-output"
                    }
                };
                let mut report = crate::warnings::Warning::new(code, w.message());
                report.at = Some(crate::locations::Located::in_text(
                    &self.source,
                    w.span.clone(),
                ));
                report
            })
            .collect()
    }

    /// Locates the lint warnings of `dataflow` (read from `source` with
    /// `map`), in source order, each place once.
    pub(crate) fn new(
        file_name: &str,
        source: &str,
        dataflow: &Dataflow,
        map: &SourceMap,
    ) -> Warnings {
        let file = SimpleFile::new(file_name, source);
        let mut warnings: Vec<Warning> = lint::warnings(dataflow)
            .into_iter()
            .map(|w| {
                let span = locate(&w, source, map);
                let (line, column) = file
                    .location((), span.start)
                    .map_or((1, 1), |l| (l.line_number, l.column_number));
                Warning {
                    lint: w,
                    span: span.start..span.end,
                    line,
                    column,
                }
            })
            .collect();
        warnings.sort_by_key(|w| w.span.start);
        // One `streams` key may annotate several streams: say it once.
        warnings.dedup_by(|a, b| a.span == b.span && a.lint.kind == b.lint.kind);
        Warnings {
            file_name: file_name.to_string(),
            source: source.to_string(),
            warnings,
        }
    }

    /// The warnings, in source order.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// True when there is nothing to warn about.
    pub fn is_empty(&self) -> bool {
        self.warnings.is_empty()
    }

    /// Every warning as a plain-text report (no colours) with a source
    /// snippet; empty when there are none.
    pub fn render(&self) -> String {
        if self.warnings.is_empty() {
            return String::new();
        }
        let diagnostics: Vec<Diagnostic<()>> = self
            .warnings
            .iter()
            .map(|warning| {
                let label = match (warning.lint.kind.suggestion(), warning.lint.kind.role()) {
                    (Some(s), _) => format!("did you mean `{s}`?"),
                    (None, Role::Input) => "no stream feeds this input".to_string(),
                    (None, role) => format!("{role} attribute"),
                };
                Diagnostic::warning()
                    .with_message(warning.message())
                    .with_labels(vec![
                        Label::primary((), warning.span.clone()).with_message(label),
                    ])
            })
            .collect();
        crate::report::diagnostics::render_plain(
            &self.file_name,
            &self.source,
            &diagnostics,
            "warning",
        )
    }
}

impl fmt::Display for Warnings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// The span of the attribute a warning is about: the name inside the gate,
/// `seal`/`seq` list or FD field where it was written, or that whole value.
fn locate(warning: &lint::Warning, text: &str, map: &SourceMap) -> Span {
    let value = match warning.site {
        Site::Path(c, p) => map
            .components
            .get(c)
            .and_then(|spans| spans.paths.get(p))
            .map(|spans| match warning.kind.role() {
                Role::Input => spans.whole,
                _ => spans.gate.unwrap_or(spans.whole),
            }),
        Site::Stream(s) => map.streams.get(s).map(|spans| {
            let field = match warning.kind.role() {
                Role::Seq => spans.annotation.seq,
                Role::Seal => spans.annotation.seal,
                _ => None,
            };
            field.unwrap_or(spans.whole)
        }),
        Site::Fd(f) => map.fds.get(f).map(|spans| match warning.kind.role() {
            Role::FdTo => spans.to,
            _ => spans.from,
        }),
        Site::Dataflow | Site::Component(_) => None,
    };
    let value = value.unwrap_or(map.root);
    word_in(text, value, warning.kind.attribute()).unwrap_or(value)
}

/// The first occurrence of `word` in `text[within]` that is a whole name
/// (not part of a longer one).
fn word_in(text: &str, within: Span, word: &str) -> Option<Span> {
    let region = text.get(within.start..within.end)?;
    let is_name = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(found) = region[from..].find(word) {
        let start = from + found;
        let end = start + word.len();
        let before = region[..start].chars().next_back();
        let after = region[end..].chars().next();
        if !before.is_some_and(is_name) && !after.is_some_and(is_name) {
            return Some(Span::new(within.start + start, within.start + end));
        }
        from = start + word.len().max(1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::greybox::parse_with_warnings;

    #[test]
    fn a_word_is_found_only_as_a_whole_name() {
        let text = "gate: [campaigns, campaign]";
        let span = word_in(text, Span::new(0, text.len()), "campaign").expect("found");
        assert_eq!(&text[span.start..span.end], "campaign");
        assert_eq!(span.start, 18);
        assert_eq!(word_in(text, Span::new(0, 10), "campaign"), None);
    }

    #[test]
    fn a_map_wired_output_named_like_its_own_input_is_no_loop_and_says_so() {
        let text = "\
Reach:
  annotation:
    - { from: links, to: found, label: CW }
    - { from: found, to: found, label: CR }
";
        let (_, warnings) = parse_with_warnings("reach.yaml", text).expect("valid");
        let found: Vec<_> = warnings
            .warnings()
            .iter()
            .filter(|w| {
                matches!(
                    w.lint().kind,
                    lint::WarningKind::SourceNamedLikeOwnOutput { .. }
                )
            })
            .collect();
        assert_eq!(found.len(), 1, "{}", warnings.render());
        let w = found[0];
        assert_eq!((w.line(), w.column()), (4, 15), "the path's `from: found`");
        assert_eq!(&text[w.span()], "found");
        assert!(
            w.message()
                .contains("{ from: Reach.found, to: Reach.found }"),
            "{}",
            w.message()
        );
        let report = warnings.to_report();
        assert!(
            report
                .iter()
                .any(|r| r.code == "source-named-like-own-output"),
            "{report:?}"
        );
        // Wired as a loop by a list, it is one: no warning.
        let listed = format!(
            "components:\n{}streams:\n  - {{ from: links, to: Reach.links }}\n  - {{ from: \
             Reach.found, to: Reach.found }}\n",
            text.lines().map(|l| format!("  {l}\n")).collect::<String>()
        );
        let (_, warnings) = parse_with_warnings("reach.yaml", &listed).expect("valid");
        assert!(warnings.is_empty(), "{}", warnings.render());
    }

    #[test]
    fn each_warning_points_at_the_attribute_it_names() {
        let text = "\
Report:
  annotation:
    - { from: click, to: response, label: CW }
    - { from: request, to: response, label: OR, gate: [id, user, batch] }
streams:
  - { from: clicks, to: Report.click, seal: [session], seq: [bacth] }
  - { from: requests, to: Report.request, seq: [batch] }
  - { from: Report.response, to: answers }
fds:
  - { from: [sesion], to: user, injective: false }
";
        let (_, warnings) = parse_with_warnings("profiles.yaml", text).expect("valid");
        let found: Vec<(usize, usize, &str, Option<&str>)> = warnings
            .warnings()
            .iter()
            .map(|w| {
                let kind = &w.lint().kind;
                (w.line(), w.column(), kind.attribute(), kind.suggestion())
            })
            .collect();
        assert_eq!(
            found,
            vec![
                (6, 46, "session", Some("sesion")),
                (6, 62, "bacth", Some("batch")),
            ]
        );
        for w in warnings.warnings() {
            assert_eq!(&text[w.span()], w.lint().kind.attribute());
        }
        let rendered = warnings.render();
        assert!(
            rendered.contains("warning: seq attribute `bacth`"),
            "{rendered}"
        );
        assert!(rendered.contains("did you mean `batch`?"), "{rendered}");
        assert!(
            rendered.ends_with("2 warnings in profiles.yaml\n"),
            "{rendered}"
        );
        // `sesion` in the FD is the gate-side name of the seal's pair: the
        // pair is reported once, at the seal.
        let fd = text.replace("[id, user, batch]", "[id, user, batch, session]");
        let (_, warnings) = parse_with_warnings("profiles.yaml", &fd).expect("valid");
        let last = warnings.warnings().last().expect("warnings");
        assert_eq!((last.line(), last.column()), (10, 14));
        assert_eq!(last.lint().kind.suggestion(), Some("session"));
    }

    #[test]
    fn a_key_annotating_several_streams_warns_once_and_a_clean_file_not_at_all() {
        let text = "\
A: { annotation: [ { from: x, to: y, label: OW, gate: [key] } ] }
B: { annotation: [ { from: x, to: z, label: OW, gate: [key] } ] }
streams: { x: { seal: [kye] } }
";
        let (dataflow, warnings) = parse_with_warnings("two.yaml", text).expect("valid");
        assert_eq!(
            dataflow
                .streams
                .iter()
                .filter(|s| s.annotation.seal.is_some())
                .count(),
            2
        );
        assert_eq!(warnings.warnings().len(), 1, "{}", warnings.render());
        assert_eq!(warnings.warnings()[0].lint().kind.suggestion(), Some("key"));
        let clean = text.replace("kye", "key");
        let (_, warnings) = parse_with_warnings("two.yaml", &clean).expect("valid");
        assert!(warnings.is_empty());
        assert_eq!(warnings.render(), "");
    }
}
