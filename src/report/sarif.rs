//! `blazes check --format sarif`: every file's findings as one SARIF 2.1.0
//! run (spec §7 for code scanners and editors). One result per violation
//! (level `error`, rule `blazes/run`, `blazes/inst` or `blazes/diverge`), per
//! warning (level `warning`) and per input error (`blazes/invalid-input`),
//! located at the path annotation where the anomaly starts.
//!
//! The fixes are written into the result's message, one `fix:` line each:
//! SARIF's own `fixes` must be byte replacements (`artifactChanges`), which
//! blazes' instructions are not, and GitHub code scanning shows the message.
//! The schema the output validates against is `schemas/sarif-schema-2.1.0.json`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::findings::{self, Finding, Level, Rule};
use super::outcome::Outcome;
use super::sarif_log::{
    Artifact, ArtifactLocation, Configuration, Driver, Level as SarifLevel, Location, Log, Message,
    PhysicalLocation, Region, Rule as SarifRule, Run, SCHEMA_URI, SarifResult, Tool,
};
use crate::locations::Located;

/// The characters kept as they are in a file's URI: unreserved ones and `/`.
const URI_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A file name as a relative (or absolute-path) URI reference.
pub fn uri(file: &str) -> String {
    utf8_percent_encode(file, URI_PATH).to_string()
}

/// The SARIF log of several files: one run, results from all of them.
pub fn log(outcomes: &[Outcome]) -> Log {
    let found: Vec<Vec<Finding>> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Checked(c) => findings::of_checked(c),
            Outcome::Rejected(e) => findings::of_rejected(e),
        })
        .collect();
    let mut rules: Vec<Rule> = Rule::FIXED.to_vec();
    for f in found.iter().flatten() {
        if !rules.contains(&f.rule) {
            rules.push(f.rule.clone());
        }
    }
    let results = found
        .iter()
        .enumerate()
        .flat_map(|(index, fs)| fs.iter().map(move |f| (index, f)))
        .map(|(index, f)| result(f, index, &rules))
        .collect();
    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "blazes",
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: rules.iter().map(rule).collect(),
                },
            },
            artifacts: outcomes
                .iter()
                .map(|o| Artifact {
                    location: ArtifactLocation {
                        uri: uri(o.file()),
                        index: None,
                    },
                })
                .collect(),
            results,
            column_kind: "unicodeCodePoints",
        }],
    }
}

/// The log as pretty JSON.
pub fn render(outcomes: &[Outcome]) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&log(outcomes))?;
    text.push('\n');
    Ok(text)
}

fn level(level: Level) -> SarifLevel {
    match level {
        Level::Error => SarifLevel::Error,
        Level::Warning => SarifLevel::Warning,
    }
}

fn rule(r: &Rule) -> SarifRule {
    SarifRule {
        id: r.id(),
        name: r.name(),
        short_description: Message::new(r.short_description()),
        full_description: Message::new(r.full_description()),
        help: Message::new(r.full_description()),
        default_configuration: Configuration {
            level: level(r.level()),
        },
    }
}

fn location(
    file: &str,
    artifact: usize,
    at: &Located,
    id: Option<usize>,
    message: &str,
) -> Location {
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri(file),
                index: Some(artifact),
            },
            region: Some(Region {
                start_line: at.line,
                start_column: at.column,
                end_line: at.end_line,
                end_column: at.end_column,
            }),
        },
        message: (!message.is_empty()).then(|| Message::new(message)),
    }
}

fn result(f: &Finding, artifact: usize, rules: &[Rule]) -> SarifResult {
    let locations = match &f.primary {
        Some(spot) => vec![location(&f.file, artifact, &spot.at, None, &spot.label)],
        // Not located in the text: the file itself.
        None => vec![Location {
            id: None,
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri(&f.file),
                    index: Some(artifact),
                },
                region: None,
            },
            message: None,
        }],
    };
    SarifResult {
        rule_id: f.rule.id(),
        rule_index: rules.iter().position(|r| r == &f.rule).unwrap_or_default(),
        level: level(f.level()),
        message: Message::new(f.full_text()),
        locations,
        related_locations: f
            .secondary
            .iter()
            .enumerate()
            .map(|(i, s)| location(&f.file, artifact, &s.at, Some(i + 1), &s.label))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_become_uri_references() {
        assert_eq!(uri("cases/wordcount.yaml"), "cases/wordcount.yaml");
        assert_eq!(uri("my cases/a,b.yaml"), "my%20cases/a%2Cb.yaml");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
    }

    #[test]
    fn an_unreadable_file_is_one_invalid_input_result_on_the_file() {
        let error = crate::report::input::read("no/such/file.yaml").unwrap_err();
        let log = log(&[Outcome::Rejected(error)]);
        let run = &log.runs[0];
        assert_eq!(run.results.len(), 1);
        let r = &run.results[0];
        assert_eq!(r.rule_id, "blazes/invalid-input");
        assert_eq!(run.tool.driver.rules[r.rule_index].id, r.rule_id);
        assert!(r.locations[0].physical_location.region.is_none());
        assert_eq!(run.artifacts[0].location.uri, "no/such/file.yaml");
    }
}
