//! `blazes check` output where CI and editors look (spec §7): SARIF 2.1.0
//! validated against the OASIS schema shipped in `schemas/`, JSON validated
//! against `schemas/check-result.schema.json`, GitHub workflow commands, and
//! several files (and standard input) in one call.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Every case file, sorted.
fn cases() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("cases/ is readable")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .map(|n| format!("cases/{n}"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    names
}

fn blazes(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_blazes"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the blazes binary runs");
    if let Some(text) = stdin
        && let Some(mut pipe) = child.stdin.take()
    {
        pipe.write_all(text.as_bytes()).expect("stdin written");
    }
    child.wait_with_output().expect("the blazes binary ends")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The OASIS schema's pattern for a language tag (`run.language`,
/// `multiformatMessageString`...), whose stray `]` is a literal in
/// ECMA-262's non-Unicode mode but an error for the validator's regex check.
const SARIF_LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";

/// Escapes that `]` wherever the pattern occurs: the same language, as the
/// non-Unicode reading has it. blazes never writes a language tag.
fn escape_language_patterns(schema: &mut Value) {
    match schema {
        Value::String(s) if s == SARIF_LANGUAGE_PATTERN => {
            *s = SARIF_LANGUAGE_PATTERN.replace("]?$", "\\]?$");
        }
        Value::Array(items) => items.iter_mut().for_each(escape_language_patterns),
        Value::Object(map) => map.values_mut().for_each(escape_language_patterns),
        _ => {}
    }
}

fn validator(schema_file: &str) -> jsonschema::Validator {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(schema_file);
    let text = std::fs::read_to_string(&path).expect("the schema is shipped");
    let mut schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    escape_language_patterns(&mut schema);
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

/// A case's expected violations as (sink, rule): spec §8 for S1–S10; for a
/// case file added later, what its JSON result says, so that the formats are
/// at least checked against each other.
fn expected_violations(case: &str) -> Vec<(String, String)> {
    let known: Option<&[(&str, &str)]> = match case {
        "cases/wordcount.yaml" => Some(&[("db", "blazes/run")]),
        "cases/ad_poor.yaml"
        | "cases/ad_poor_seal_campaign.yaml"
        | "cases/ad_campaign.yaml"
        | "cases/ad_campaign_seal_window.yaml" => Some(&[("answers", "blazes/diverge")]),
        "cases/wordcount_sealed.yaml"
        | "cases/ad_thresh.yaml"
        | "cases/ad_campaign_sealed.yaml"
        | "cases/ad_window_sealed.yaml"
        | "cases/ad_thresh_sealed.yaml" => Some(&[]),
        _ => None,
    };
    if let Some(known) = known {
        return known
            .iter()
            .map(|(sink, rule)| (sink.to_string(), rule.to_string()))
            .collect();
    }
    let out = blazes(&["check", "--format", "json", case], None);
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    v["violations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            let field = |k: &str| x[k].as_str().unwrap_or_default().to_string();
            (field("sink"), field("rule"))
        })
        .collect()
}

#[test]
fn sarif_of_every_case_in_one_call_validates_against_the_oasis_schema() {
    let cases = cases();
    let mut args = vec!["check", "--format", "sarif"];
    args.extend(cases.iter().map(String::as_str));
    let out = blazes(&args, None);
    assert_eq!(out.status.code(), Some(1), "the worst of the cases");
    let log: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let sarif = validator("sarif-schema-2.1.0.json");
    assert_valid(&sarif, &log, "SARIF");
    // The validator does reject what the standard does not allow.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    assert_eq!(sarif.iter_errors(&broken).count(), 2, "{broken}");

    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "one run for every file");
    let run = &runs[0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("rule id"))
        .collect();
    for id in [
        "blazes/run",
        "blazes/inst",
        "blazes/diverge",
        "blazes/invalid-input",
    ] {
        assert!(rules.contains(&id), "{rules:?}");
    }
    let results = run["results"].as_array().expect("results");
    let expected: Vec<(String, String)> = cases
        .iter()
        .flat_map(|c| {
            expected_violations(c)
                .into_iter()
                .map(move |(_, rule)| (c.clone(), rule))
        })
        .collect();
    // Attribute warnings are results of level `warning`; compare the errors.
    let (results, warnings): (Vec<_>, Vec<_>) = results.iter().partition(|r| r["level"] == "error");
    assert!(
        warnings
            .iter()
            .all(|w| w["level"] == "warning" && w["ruleId"] == "blazes/seal-matches-no-gate"),
        "{warnings:?}"
    );
    let got: Vec<(String, String)> = results
        .iter()
        .map(|r| {
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .expect("uri")
                .to_string();
            (uri, r["ruleId"].as_str().expect("rule id").to_string())
        })
        .collect();
    assert_eq!(got, expected);
    for r in &results {
        assert_eq!(r["level"], "error");
        let index = r["ruleIndex"].as_u64().expect("rule index") as usize;
        assert_eq!(rules[index], r["ruleId"]);
        let region = &r["locations"][0]["physicalLocation"]["region"];
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[key].as_u64().is_some_and(|n| n >= 1), "{key}: {r}");
        }
        let text = r["message"]["text"].as_str().expect("message");
        assert!(text.contains("\nfix: "), "{text}");
    }
    // The word count starts at Count's OW path, line 7 column 9 of its file.
    let wordcount = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("sink `db`"))
        })
        .expect("the word count's violation");
    let region = &wordcount["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(7), Some(9))
    );
}

#[test]
fn sarif_of_an_invalid_file_validates_and_points_at_the_error() {
    let text = "Count:\n  annotation: { from: a, to: b, label: XW }\n";
    let out = blazes(&["check", "--format", "sarif", "-"], Some(text));
    assert_eq!(out.status.code(), Some(2));
    let log: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_valid(&validator("sarif-schema-2.1.0.json"), &log, "SARIF");
    let r = &log["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "blazes/invalid-input");
    let location = &r["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "%3Cstdin%3E");
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(location["region"]["startColumn"], 40);
}

#[test]
fn json_of_every_case_validates_against_the_shipped_schema() {
    let validator = validator("check-result.schema.json");
    let cases = cases();
    let mut args = vec!["check", "--format", "json"];
    args.extend(cases.iter().map(String::as_str));
    let out = blazes(&args, None);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), cases.len(), "one object per file per line");
    for (line, case) in lines.iter().zip(&cases) {
        let v: Value = serde_json::from_str(line).expect("each line is JSON");
        assert_valid(&validator, &v, case);
        let mut broken = v.clone();
        broken["labels"]["sinks"] = serde_json::json!({"db": {"kind": "sealed"}});
        broken["coordination"] = serde_json::json!([{"component": "C", "strategy": "vote"}]);
        assert!(
            !validator.is_valid(&broken),
            "{case}: the schema rejects bad kinds"
        );
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["file"], case.as_str());
        let violations: Vec<(String, String)> = v["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .map(|x| {
                (
                    x["sink"].as_str().unwrap_or("").into(),
                    x["rule"].as_str().unwrap_or("").into(),
                )
            })
            .collect();
        let expected = expected_violations(case);
        assert_eq!(violations, expected, "{case}");
        assert_eq!(v["ok"], expected.is_empty(), "{case}");
        for violation in v["violations"].as_array().into_iter().flatten() {
            assert!(
                violation["location"]["line"].as_u64().is_some(),
                "{case}: {violation}"
            );
            assert!(
                !violation["fixes"].as_array().expect("fixes").is_empty(),
                "{case}"
            );
        }
        // Every text label has its structured twin.
        for map in ["outputs", "sinks", "streams", "residual"] {
            let texts = v[map].as_object().expect("label map");
            let structured = v["labels"][map].as_object().expect("structured map");
            assert_eq!(texts.len(), structured.len(), "{case}: {map}");
        }
    }
}

#[test]
fn json_gives_structured_labels_fixes_and_locations() {
    let out = blazes(&["check", "--format", "json", "cases/wordcount.yaml"], None);
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(
        v["labels"]["sinks"]["db"],
        serde_json::json!({"kind": "run"})
    );
    let violation = &v["violations"][0];
    assert_eq!(
        violation["location"],
        serde_json::json!({"file": "cases/wordcount.yaml", "line": 7, "column": 9, "end_line": 7, "end_column": 73})
    );
    let kinds: Vec<&str> = violation["fixes"]
        .as_array()
        .expect("fixes")
        .iter()
        .map(|f| f["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["seal", "order", "sequence"]);
    let seal = &violation["fixes"][0];
    assert_eq!(
        seal["streams"],
        serde_json::json!(["tweets->Splitter.tweets"])
    );
    assert_eq!(seal["gate"], serde_json::json!(["batch", "word"]));
    assert_eq!(seal["cause"], "Count.counts");
    assert_eq!(violation["causes"][0]["origins"][0]["component"], "Count");

    let sealed = blazes(
        &["check", "--format", "json", "cases/wordcount_sealed.yaml"],
        None,
    );
    let v: Value = serde_json::from_slice(&sealed.stdout).expect("one JSON object");
    assert_eq!(
        v["labels"]["outputs"]["Splitter.words"],
        serde_json::json!({"kind": "seal", "keys": ["batch"]})
    );
}

#[test]
fn json_of_an_invalid_file_validates_and_carries_located_errors() {
    let validator = validator("check-result.schema.json");
    let text = "components:\n  A:\n    annotation: { from: i, to: o, label: CR }\nstreams:\n  - { from: s, to: B.i }\n";
    let out = blazes(
        &["check", "--format", "json", "-", "cases/ad_thresh.yaml"],
        Some(text),
    );
    assert_eq!(out.status.code(), Some(2), "invalid beats ok");
    let text = stdout(&out);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    for v in &lines {
        assert_valid(&validator, v, "json");
    }
    assert_eq!(lines[0]["file"], "<stdin>");
    assert_eq!(lines[0]["ok"], false);
    assert_eq!(lines[0]["errors"][0]["location"]["line"], 5);
    assert_eq!(lines[1]["ok"], true);
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:5:"));
}

#[test]
fn github_commands_annotate_the_line_where_each_anomaly_starts() {
    for case in cases() {
        let out = blazes(&["check", "--format", "github", &case], None);
        let text = stdout(&out);
        // Attribute warnings come as `::warning` lines; violations as `::error`.
        assert!(
            text.lines()
                .all(|l| l.starts_with("::error ") || l.starts_with("::warning ")),
            "{case}: {text}"
        );
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("::error ")).collect();
        let expected = expected_violations(&case);
        assert_eq!(lines.len(), expected.len(), "{case}: {text}");
        for (line, (sink, rule)) in lines.iter().zip(expected) {
            let prefix = format!("::error file={case},line=");
            assert!(line.starts_with(&prefix), "{line}");
            let (props, message) = line
                .split_once("::")
                .map(|(_, rest)| rest)
                .and_then(|r| r.split_once("::"))
                .expect("two separators");
            assert!(props.contains(",col="), "{props}");
            assert!(
                props.contains(&format!("title={rule}%3A sink `{sink}`")),
                "{props}"
            );
            assert!(!message.contains('\n'), "one line");
            assert!(message.contains("%0Afix: "), "{message}");
        }
    }
    let out = blazes(
        &["check", "--format", "github", "cases/wordcount.yaml"],
        None,
    );
    assert!(
        stdout(&out).starts_with("::error file=cases/wordcount.yaml,line=7,endLine=7,col=9,endColumn=72,title=blazes/run%3A sink `db` is Run"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn several_files_exit_with_the_worst_status() {
    let ok = blazes(
        &[
            "check",
            "cases/ad_thresh.yaml",
            "cases/wordcount_sealed.yaml",
        ],
        None,
    );
    assert_eq!(ok.status.code(), Some(0));
    let text = stdout(&ok);
    assert!(
        text.contains("cases/ad_thresh.yaml: requires")
            && text.contains("cases/wordcount_sealed.yaml: requires"),
        "{text}"
    );
    let violated = blazes(
        &["check", "cases/ad_thresh.yaml", "cases/wordcount.yaml"],
        None,
    );
    assert_eq!(violated.status.code(), Some(1));
    let invalid = blazes(
        &["check", "cases/wordcount.yaml", "no/such/file.yaml"],
        None,
    );
    assert_eq!(invalid.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("cannot read no/such/file.yaml"));
    assert!(
        stdout(&invalid).contains("sink `db` is Run"),
        "the readable file is still reported"
    );
}

#[test]
fn standard_input_is_read_for_a_dash() {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cases/wordcount.yaml"),
    )
    .expect("case");
    let out = blazes(&["check", "--color", "never", "-"], Some(&text));
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert!(report.contains("<stdin>:7:9"), "{report}");
}

#[test]
fn colour_follows_the_color_option() {
    let always = blazes(
        &["check", "--color", "always", "cases/wordcount.yaml"],
        None,
    );
    assert!(stdout(&always).contains('\u{1b}'), "ANSI escapes");
    let never = blazes(&["check", "--color", "never", "cases/wordcount.yaml"], None);
    assert!(!stdout(&never).contains('\u{1b}'));
    // Not a terminal: `auto` does not colour.
    let auto = blazes(&["check", "cases/wordcount.yaml"], None);
    assert!(!stdout(&auto).contains('\u{1b}'));
}

#[test]
fn explain_over_several_files_names_each_file() {
    let out = blazes(
        &[
            "check",
            "--explain",
            "answers",
            "cases/ad_poor.yaml",
            "cases/ad_thresh.yaml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "the worst of the files");
    let text = stdout(&out);
    let poor = text.find("== cases/ad_poor.yaml\n").expect("first file");
    let thresh = text.find("== cases/ad_thresh.yaml\n").expect("second file");
    assert!(poor < thresh, "{text}");
    assert!(text[poor..thresh].contains("answers = Diverge"), "{text}");
    assert!(text[thresh..].contains("answers = Async"), "{text}");
    let missing = blazes(
        &["check", "--explain", "answers", "cases/wordcount.yaml"],
        None,
    );
    assert_eq!(missing.status.code(), Some(2));
}

/// A front end that reads grey-box files and warns about the seal on
/// `clicks` (a stand-in for a front end with warnings; the reader has none).
fn warning_front_end(
    name: &str,
    text: &str,
) -> Result<blazes::report::Read, blazes::report::LoadError> {
    let mut read: blazes::report::Read = blazes::greybox::parse_located(name, text)?.into();
    let at = read.locations.stream("clicks->Report.click").cloned();
    let mut warning =
        blazes::warnings::Warning::new("unused-attribute", "`campaign` appears in no gate")
            .note("a seal protects a path whose gate it is compatible with");
    warning.at = at;
    read.warnings.push(warning);
    Ok(read)
}

#[test]
fn warnings_reach_every_format_without_changing_the_status() {
    use blazes::report::{Format, Options, Status, check, print};
    let outcomes = [check("cases/ad_thresh_sealed.yaml", warning_front_end)];
    let options = |format| Options {
        format,
        ..Options::default()
    };

    let text = print(&outcomes, &options(Format::Text));
    assert_eq!(text.status, Status::Ok);
    assert!(
        text.stdout
            .contains("warning[blazes/unused-attribute]: `campaign` appears in no gate"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("cases/ad_thresh_sealed.yaml:14:5"),
        "{}",
        text.stdout
    );

    let sarif = print(&outcomes, &options(Format::Sarif));
    let log: Value = serde_json::from_str(&sarif.stdout).expect("SARIF is JSON");
    assert_valid(
        &validator("sarif-schema-2.1.0.json"),
        &log,
        "SARIF with a warning",
    );
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["level"], "warning");
    assert_eq!(result["ruleId"], "blazes/unused-attribute");
    let rule = &log["runs"][0]["tool"]["driver"]["rules"]
        [result["ruleIndex"].as_u64().expect("index") as usize];
    assert_eq!(rule["id"], "blazes/unused-attribute");
    assert_eq!(rule["defaultConfiguration"]["level"], "warning");

    let json = print(&outcomes, &options(Format::Json));
    let v: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_valid(
        &validator("check-result.schema.json"),
        &v,
        "JSON with a warning",
    );
    assert_eq!(v["ok"], true);
    assert_eq!(v["warnings"][0]["rule"], "blazes/unused-attribute");
    assert_eq!(v["warnings"][0]["location"]["line"], 14);

    let github = print(&outcomes, &options(Format::Github));
    assert!(
        github
            .stdout
            .starts_with("::warning file=cases/ad_thresh_sealed.yaml,line=14,"),
        "{}",
        github.stdout
    );
}
