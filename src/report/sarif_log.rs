//! The part of SARIF 2.1.0 (OASIS, `sarif-schema-2.1.0.json`) that
//! `blazes check --format sarif` writes for the result of spec §7, as serde
//! types (the standard's own, not a blazes format): one log, one run, the
//! tool's rules, the analysed files as artifacts, and results with physical
//! locations. Field names follow the standard (camelCase); optional fields are
//! left out when empty, as the schema's `minItems`/`uniqueItems` require.

use serde::Serialize;

/// The schema a log names in `$schema`.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// A SARIF log.
#[derive(Clone, Debug, Serialize)]
pub struct Log {
    /// The schema URI.
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    /// Always `2.1.0`.
    pub version: &'static str,
    /// The runs (blazes writes one).
    pub runs: Vec<Run>,
}

/// One run of the tool.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// The tool and its rules.
    pub tool: Tool,
    /// The files analysed; results refer to them by index.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
    /// The results, in file order.
    pub results: Vec<SarifResult>,
    /// How columns are counted: `unicodeCodePoints` (characters).
    pub column_kind: &'static str,
}

/// The analysis tool.
#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    /// The tool itself.
    pub driver: Driver,
}

/// The tool's component that ran.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    /// `blazes`.
    pub name: &'static str,
    /// The crate version.
    pub semantic_version: &'static str,
    /// The rules results refer to.
    pub rules: Vec<Rule>,
}

/// A rule (SARIF `reportingDescriptor`).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// `blazes/run` and so on.
    pub id: String,
    /// A PascalCase name.
    pub name: String,
    /// One sentence.
    pub short_description: Message,
    /// What it means and how to fix it.
    pub full_description: Message,
    /// Help shown beside results of the rule.
    pub help: Message,
    /// Its default level.
    pub default_configuration: Configuration,
}

/// A rule's default configuration.
#[derive(Clone, Debug, Serialize)]
pub struct Configuration {
    /// `error` or `warning`.
    pub level: Level,
}

/// A result's level.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum Level {
    /// A violation or an invalid input.
    Error,
    /// A warning.
    Warning,
}

/// A text message.
#[derive(Clone, Debug, Serialize)]
pub struct Message {
    /// The text.
    pub text: String,
}

impl Message {
    /// A message with `text`.
    pub fn new(text: impl Into<String>) -> Message {
        Message { text: text.into() }
    }
}

/// An analysed file.
#[derive(Clone, Debug, Serialize)]
pub struct Artifact {
    /// Where it is.
    pub location: ArtifactLocation,
}

/// A file's URI (relative to the working directory when the path was).
#[derive(Clone, Debug, Serialize)]
pub struct ArtifactLocation {
    /// A URI reference.
    pub uri: String,
    /// Its index in `run.artifacts`, when a result refers to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

/// One finding.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's index in `tool.driver.rules`.
    pub rule_index: usize,
    /// `error` or `warning`.
    pub level: Level,
    /// What is wrong, why, and the fixes.
    pub message: Message,
    /// Where it starts (empty when unknown).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    /// Other places worth showing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<Location>,
}

/// A location.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// An id, unique within the result (related locations only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<usize>,
    /// The file and region.
    pub physical_location: PhysicalLocation,
    /// What is there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

/// A region of a file.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    /// The file.
    pub artifact_location: ArtifactLocation,
    /// The region; `None` for the whole file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

/// Lines and columns from 1; `end_column` just past the end.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// First line.
    pub start_line: usize,
    /// First column.
    pub start_column: usize,
    /// Last line.
    pub end_line: usize,
    /// Column just past the end.
    pub end_column: usize,
}
