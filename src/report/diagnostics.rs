//! The violations, warnings and input errors of spec §7 as rustc-style
//! diagnostics (codespan-reporting): the primary
//! label on the path annotation where the anomaly starts, secondary labels on
//! the other places, notes with the why, the derivation and the fixes; ANSI
//! colour on request (see [`super::color`]). A finding that cannot be located
//! still prints, without a snippet.

use codespan_reporting::diagnostic::{Diagnostic, Label, Severity};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::termcolor::{Buffer, WriteColor};
use codespan_reporting::term::{self, Chars, Config};

use super::findings::{Finding, Level};

/// Renders `findings` in the file `name` whose text is `text`.
pub fn render(findings: &[Finding], name: &str, text: &str, colour: bool) -> String {
    let file = SimpleFile::new(name, text);
    let config = Config {
        chars: Chars::ascii(),
        ..Config::default()
    };
    let mut buffer = if colour {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    for finding in findings {
        let diagnostic = to_diagnostic(finding);
        if term::emit_to_write_style(&mut buffer, &config, &file, &diagnostic).is_err() {
            // Only a location outside the text gets here: say it without a snippet.
            let _ = buffer.reset();
            let unlocated = Diagnostic {
                labels: Vec::new(),
                ..diagnostic
            };
            let _ = term::emit_to_write_style(&mut buffer, &config, &file, &unlocated);
        }
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// Renders `diagnostics` on the file `name` whose text is `text` without
/// colour, followed by a count line (`2 errors in FILE`, with `noun` =
/// "error"): the form the grey-box reader and the SQL white box use for what
/// they refuse or warn about. A diagnostic whose span lies outside the text
/// still prints, without a snippet.
pub fn render_plain(name: &str, text: &str, diagnostics: &[Diagnostic<()>], noun: &str) -> String {
    let file = SimpleFile::new(name, text);
    let config = Config {
        chars: Chars::ascii(),
        ..Config::default()
    };
    let mut out = String::new();
    for diagnostic in diagnostics {
        match term::emit_into_string(&config, &file, diagnostic) {
            Ok(rendered) => out.push_str(&rendered),
            Err(_) => {
                let unlocated = Diagnostic {
                    labels: Vec::new(),
                    ..diagnostic.clone()
                };
                if let Ok(rendered) = term::emit_into_string(&config, &file, &unlocated) {
                    out.push_str(&rendered);
                }
                out.push_str(&format!("  --> {name}\n"));
            }
        }
    }
    let count = diagnostics.len();
    out.push_str(&format!(
        "{count} {noun}{} in {name}\n",
        if count == 1 { "" } else { "s" }
    ));
    out
}

/// The codespan form of one finding.
fn to_diagnostic(finding: &Finding) -> Diagnostic<()> {
    let severity = match finding.level() {
        Level::Error => Severity::Error,
        Level::Warning => Severity::Warning,
    };
    let labels = finding
        .primary
        .iter()
        .map(|s| Label::primary((), s.at.bytes.clone()).with_message(&s.label))
        .chain(
            finding
                .secondary
                .iter()
                .map(|s| Label::secondary((), s.at.bytes.clone()).with_message(&s.label)),
        )
        .collect();
    let mut notes = Vec::new();
    for cause in &finding.causes {
        notes.push(cause.why.clone());
        if let Some(derivation) = &cause.derivation {
            notes.push(derivation.trim_end().to_string());
        }
        notes.extend(cause.fixes.iter().map(|f| format!("fix: {f}")));
    }
    notes.extend(finding.notes.iter().cloned());
    Diagnostic::new(severity)
        .with_code(finding.rule.id())
        .with_message(&finding.message)
        .with_labels(labels)
        .with_notes(notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locations::Located;
    use crate::report::findings::{Rule, Spot};

    const TEXT: &str = "Count:\n  annotation: { from: a, to: b, label: OW }\n";

    fn finding(located: bool) -> Finding {
        Finding {
            rule: Rule::Run,
            file: "f.yaml".into(),
            message: "sink `b` is Run".into(),
            primary: located.then(|| Spot {
                at: Located::in_text(TEXT, 21..49),
                label: "Count.b becomes Run here".into(),
            }),
            secondary: Vec::new(),
            causes: Vec::new(),
            notes: vec!["a note".into()],
        }
    }

    #[test]
    fn a_located_finding_shows_file_line_column_and_snippet() {
        let text = render(&[finding(true)], "f.yaml", TEXT, false);
        assert!(
            text.starts_with("error[blazes/run]: sink `b` is Run"),
            "{text}"
        );
        assert!(text.contains("f.yaml:2:15"), "{text}");
        assert!(
            text.contains("^^^ Count.b becomes Run here")
                || text.contains("^ Count.b becomes Run here"),
            "{text}"
        );
        assert!(text.contains("= a note"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
    }

    #[test]
    fn an_unlocated_finding_prints_without_a_snippet() {
        let text = render(&[finding(false)], "f.yaml", "", false);
        assert!(
            text.starts_with("error[blazes/run]: sink `b` is Run"),
            "{text}"
        );
        assert!(!text.contains("-->") && !text.contains("f.yaml:"), "{text}");
        assert!(text.contains("= a note"), "{text}");
    }

    #[test]
    fn colour_adds_ansi_escapes_and_warnings_say_warning() {
        let mut w = finding(true);
        w.rule = Rule::Warning("unused-attribute".into());
        let text = render(&[w], "f.yaml", TEXT, true);
        assert!(text.contains('\u{1b}'), "{text}");
        assert!(text.contains("warning[blazes/unused-attribute]"), "{text}");
    }
}
