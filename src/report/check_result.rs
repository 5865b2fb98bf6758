//! The types of the machine-readable result of `blazes check --format json`
//! (spec §7), serialised with serde. One [`FileResult`] per file.
//!
//! Beside the fields spec §7 names (`outputs`, `sinks`, `coordination`,
//! `residual`, `ok`, labels as strings like `"Seal[batch]"`) and the other
//! fields the result always had (`name`, `requires`, `coordinate`, `inputs`,
//! `sources`, `streams`, `residual_outputs`, `violations`), it gives:
//! - `schema_version` (1) and `file`;
//! - `labels`: the same label maps with each label structured as
//!   `{"kind": "seal", "keys": ["batch"]}` (`kind` one of seal, async, run,
//!   inst, diverge; `keys` only for seal);
//! - per violation its `rule`, its `location` (where the anomaly starts, or
//!   `null`) and `fixes` as structured entries, each tagged by `kind`;
//! - `warnings` (the front end's warnings, e.g. the grey-box attribute warnings);
//! - for a file that could not be analysed, an object with `ok: false` and
//!   `errors` instead.
//!
//! The JSON Schema of this result is `schemas/check-result.schema.json`,
//! generated from these types by schemars and kept equal to them by a test.

use std::collections::BTreeMap;

use serde::Serialize;

/// The version of this result's shape; raised on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// The result for one file.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum FileResult {
    /// The file was analysed.
    Checked(Box<CheckResult>),
    /// The file could not be analysed.
    Invalid(InvalidInput),
}

/// The analysis of one file.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields))]
pub struct CheckResult {
    /// The version of this shape: 1.
    #[cfg_attr(test, schemars(range(min = 1, max = 1)))]
    pub schema_version: u32,
    /// The file, as named on the command line (`<stdin>` for standard input).
    pub file: String,
    /// The dataflow's `name`, if it has one.
    pub name: Option<String>,
    /// The requirement checked: `deterministic` or `convergent`.
    pub requires: String,
    /// The coordination permitted: `none`, `seal` or `auto`.
    pub coordinate: String,
    /// Analysis labels of output interfaces, by `Comp.iface`.
    pub outputs: BTreeMap<String, LabelText>,
    /// Analysis labels of input interfaces, by `Comp.iface`.
    pub inputs: BTreeMap<String, LabelText>,
    /// Labels of sources as declared.
    pub sources: BTreeMap<String, LabelText>,
    /// Analysis labels of sinks.
    pub sinks: BTreeMap<String, LabelText>,
    /// Labels of streams, by `from->to`.
    pub streams: BTreeMap<String, LabelText>,
    /// The coordination plan.
    pub coordination: Vec<CoordinationEntry>,
    /// Sink labels after the permitted coordination.
    pub residual: BTreeMap<String, LabelText>,
    /// Output labels after the permitted coordination.
    pub residual_outputs: BTreeMap<String, LabelText>,
    /// Sinks above the requirement.
    pub violations: Vec<ViolationEntry>,
    /// Warnings, which do not change `ok`.
    pub warnings: Vec<WarningEntry>,
    /// True when every sink meets the requirement after coordination.
    pub ok: bool,
    /// The label maps above with structured labels.
    pub labels: LabelMaps,
}

/// A label as text: `Seal[a,b]` (attributes sorted), `Async`, `Run`, `Inst`
/// or `Diverge`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct LabelText(
    #[cfg_attr(
        test,
        schemars(regex(pattern = r"^(Seal\[[^\]]+\]|Async|Run|Inst|Diverge)$"))
    )]
    pub String,
);

/// A label as a structure.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields))]
pub struct LabelEntry {
    /// Its kind.
    pub kind: LabelKind,
    /// The seal key (attributes sorted); only for `seal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
}

/// The kinds of label, from best to worst.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LabelKind {
    /// Sealed on a key.
    Seal,
    /// Deterministic, order-insensitive.
    Async,
    /// Deterministic within a run, may differ across runs.
    Run,
    /// Replicas may disagree within a run.
    Inst,
    /// Replicas may disagree for ever.
    Diverge,
}

/// The label maps with structured labels, named as the text maps.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields))]
pub struct LabelMaps {
    /// As `outputs`.
    pub outputs: BTreeMap<String, LabelEntry>,
    /// As `inputs`.
    pub inputs: BTreeMap<String, LabelEntry>,
    /// As `sources`.
    pub sources: BTreeMap<String, LabelEntry>,
    /// As `sinks`.
    pub sinks: BTreeMap<String, LabelEntry>,
    /// As `streams`.
    pub streams: BTreeMap<String, LabelEntry>,
    /// As `residual`.
    pub residual: BTreeMap<String, LabelEntry>,
    /// As `residual_outputs`.
    pub residual_outputs: BTreeMap<String, LabelEntry>,
}

/// One coordination point of the plan.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct CoordinationEntry {
    /// The component where the wrapper goes.
    pub component: String,
    /// Seal (with `key` and `vote`) or order (with `kind`, and `seq` when static).
    #[serde(flatten)]
    pub strategy: StrategyEntry,
    /// The input interfaces the wrapper holds or orders.
    pub inputs: Vec<String>,
    /// The output it protects or repairs (`Comp.iface`).
    pub output: String,
    /// Whether the permission lets blazes synthesise it.
    pub applied: bool,
}

/// How a coordination point coordinates.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "strategy", rename_all = "snake_case")]
pub enum StrategyEntry {
    /// A seal buffer.
    Seal {
        /// The seal key.
        key: Vec<String>,
        /// The vote before a partition is released.
        vote: VoteEntry,
    },
    /// Ordering of the inputs.
    Order {
        /// Static (inputs carry `seq`) or dynamic (a sequencer).
        kind: OrderKindEntry,
        /// The sequence attributes of a static order.
        #[serde(skip_serializing_if = "Option::is_none")]
        seq: Option<Vec<String>>,
    },
}

/// The vote of a seal buffer.
#[derive(Clone, Copy, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum VoteEntry {
    /// Every producer must seal a partition.
    Unanimous,
    /// One producer per partition.
    Independent,
}

/// How an order is realised.
#[derive(Clone, Copy, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderKindEntry {
    /// By the inputs' `seq` attributes.
    Static,
    /// By a sequencer.
    Dynamic,
}

/// Where in a file, lines and columns counted from 1, columns in characters,
/// the end column just past the last character.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields))]
pub struct LocationEntry {
    /// The file, as named on the command line.
    pub file: String,
    /// First line.
    pub line: usize,
    /// First column.
    pub column: usize,
    /// Last line.
    pub end_line: usize,
    /// Column just past the end.
    pub end_column: usize,
}

/// A sink above the requirement.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields))]
pub struct ViolationEntry {
    /// The sink.
    pub sink: String,
    /// Its residual label.
    pub label: LabelText,
    /// The rule id, per anomaly kind: `blazes/run`, `blazes/inst`, `blazes/diverge`.
    pub rule: String,
    /// Where the anomaly starts (the first located path annotation), if known.
    pub location: Option<LocationEntry>,
    /// The nodes where the anomaly is introduced, explained.
    pub causes: Vec<CauseEntry>,
    /// Every fix of every cause, structured.
    pub fixes: Vec<FixEntry>,
}

/// A node where a violation's anomaly is introduced.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields))]
pub struct CauseEntry {
    /// The node (`Comp.iface`, or a cycle).
    pub node: String,
    /// Its label.
    pub label: LabelText,
    /// Why, in words.
    pub why: String,
    /// The fixes, as instructions.
    pub fixes: Vec<String>,
    /// The user's path annotations where the anomaly starts.
    pub origins: Vec<OriginEntry>,
}

/// A path annotation where an anomaly starts.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields))]
pub struct OriginEntry {
    /// The component.
    pub component: String,
    /// The path's input interface.
    pub from: String,
    /// The path's output interface.
    pub to: String,
    /// Where it was written, if known.
    pub location: Option<LocationEntry>,
}

/// A fix, tagged by `kind`; every entry also has `cause` (the node it fixes)
/// and `text` (the instruction in words).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct FixEntry {
    /// The node the fix is for.
    pub cause: String,
    /// The fix.
    #[serde(flatten)]
    pub fix: FixKind,
    /// The instruction in words.
    pub text: String,
}

/// What a fix does.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FixKind {
    /// Seal `streams` on a key compatible with `gate` (any non-empty subset).
    Seal {
        /// The streams (`from->to`).
        streams: Vec<String>,
        /// The gate the key must be compatible with.
        gate: Vec<String>,
    },
    /// Accept ordering at `component`.
    Order {
        /// The component.
        component: String,
        /// Static or dynamic.
        order: OrderKindEntry,
        /// The sequence attributes of a static order.
        #[serde(skip_serializing_if = "Option::is_none")]
        seq: Option<Vec<String>>,
        /// The label the node then has at best.
        yields: LabelText,
    },
    /// Stamp `streams` with a sequence attribute for a static order.
    Sequence {
        /// The streams (`from->to`).
        streams: Vec<String>,
    },
    /// Fix the upstream `node` first.
    Upstream {
        /// The upstream node.
        node: String,
    },
}

/// A warning.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields))]
pub struct WarningEntry {
    /// The rule id, `blazes/<code>`.
    pub rule: String,
    /// What was found.
    pub message: String,
    /// Where, if known.
    pub location: Option<LocationEntry>,
    /// Hints.
    pub notes: Vec<String>,
}

/// A file that could not be analysed.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields))]
pub struct InvalidInput {
    /// The version of this shape: 1.
    #[cfg_attr(test, schemars(range(min = 1, max = 1)))]
    pub schema_version: u32,
    /// The file, as named on the command line.
    pub file: String,
    /// Always false.
    pub ok: bool,
    /// Every error found, located when possible.
    pub errors: Vec<ErrorEntry>,
}

/// One error in an input file.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields))]
pub struct ErrorEntry {
    /// What is wrong.
    pub message: String,
    /// Where, if known.
    pub location: Option<LocationEntry>,
    /// Hints: allowed values, known keys.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped schema, relative to the crate root.
    const SHIPPED: &str = "schemas/check-result.schema.json";

    /// The schema generated from the types, as shipped (pretty, newline at end).
    fn generated() -> String {
        let schema = schemars::schema_for!(FileResult);
        let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
        text.push('\n');
        text
    }

    /// The shipped schema equals the generated one. To update it after
    /// changing the types: `BLAZES_UPDATE_SCHEMA=1 cargo test --lib check_result`.
    #[test]
    fn the_shipped_schema_is_the_generated_one() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SHIPPED);
        let fresh = generated();
        if std::env::var_os("BLAZES_UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &fresh).expect("schema written");
        }
        let shipped = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            shipped == fresh,
            "{SHIPPED} is stale: run `BLAZES_UPDATE_SCHEMA=1 cargo test --lib check_result`"
        );
    }
}
