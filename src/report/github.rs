//! `blazes check --format github`: one GitHub Actions workflow command per
//! violation, warning or input error (`::error file=F,line=L,col=C,...::msg`),
//! so that a CI job annotates the pull-request line where the anomaly starts
//! (spec §7). Values are escaped as GitHub's toolkit does: `%`, `\r`, `\n` in
//! the message, and also `:` and `,` in properties.

use std::fmt::Write as _;

use super::findings::{self, Finding, Level};
use super::outcome::Outcome;

/// Escapes a message.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One finding as one workflow command.
pub fn command(f: &Finding) -> String {
    let name = match f.level() {
        Level::Error => "error",
        Level::Warning => "warning",
    };
    let mut properties = vec![format!("file={}", escape_property(&f.file))];
    if let Some(spot) = &f.primary {
        let at = &spot.at;
        let _ = write!(properties[0], ",line={},endLine={}", at.line, at.end_line);
        // GitHub reads columns only within one line; its end column is the
        // last character's, ours the one past it.
        if at.line == at.end_line {
            let end = at.end_column.saturating_sub(1).max(at.column);
            let _ = write!(properties[0], ",col={},endColumn={end}", at.column);
        }
    }
    properties.push(format!(
        "title={}",
        escape_property(&format!("{}: {}", f.rule.id(), f.message))
    ));
    format!(
        "::{name} {}::{}",
        properties.join(","),
        escape_data(&f.full_text())
    )
}

/// Every file's findings, one command per line.
pub fn render(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        let found = match outcome {
            Outcome::Checked(c) => findings::of_checked(c),
            Outcome::Rejected(e) => findings::of_rejected(e),
        };
        for f in &found {
            out.push_str(&command(f));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locations::Located;
    use crate::report::findings::{Rule, Spot};

    #[test]
    fn messages_and_properties_are_escaped_as_github_documents() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn a_located_finding_names_file_line_and_columns() {
        let text = "ab\n  { x }\n";
        let f = Finding {
            rule: Rule::Run,
            file: "d/f,1.yaml".into(),
            message: "sink `db` is Run".into(),
            primary: Some(Spot {
                at: Located::in_text(text, 5..10),
                label: String::new(),
            }),
            secondary: Vec::new(),
            causes: Vec::new(),
            notes: vec!["note: 100%".into()],
        };
        assert_eq!(
            command(&f),
            "::error file=d/f%2C1.yaml,line=2,endLine=2,col=3,endColumn=7,\
             title=blazes/run%3A sink `db` is Run::sink `db` is Run%0Anote: 100%25"
        );
    }

    #[test]
    fn an_unlocated_warning_names_only_the_file() {
        let f = Finding {
            rule: Rule::Warning("unused-attribute".into()),
            file: "f.yaml".into(),
            message: "m".into(),
            primary: None,
            secondary: Vec::new(),
            causes: Vec::new(),
            notes: Vec::new(),
        };
        assert_eq!(
            command(&f),
            "::warning file=f.yaml,title=blazes/unused-attribute%3A m::m"
        );
    }
}
