//! The `blazes` binary: exit status (0 ok, 1 requirement violated, 2 invalid
//! input), the three formats, and `--explain`.

use std::path::PathBuf;
use std::process::{Command, Output};

fn blazes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blazes"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the blazes binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` to a fresh file under the test's scratch directory.
fn scratch(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}.yaml"));
    std::fs::write(&path, text).expect("scratch file written");
    path
}

#[test]
fn exit_status_follows_the_requirement_for_every_case() {
    let expected = [
        ("wordcount", 1),
        ("wordcount_sealed", 0),
        ("ad_thresh", 0),
        ("ad_poor", 1),
        ("ad_poor_seal_campaign", 1),
        ("ad_campaign_sealed", 0),
        ("ad_window_sealed", 0),
        ("ad_campaign", 1),
        ("ad_campaign_seal_window", 1),
        ("ad_thresh_sealed", 0),
    ];
    for (case, code) in expected {
        let out = blazes(&["check", &format!("cases/{case}.yaml")]);
        assert_eq!(out.status.code(), Some(code), "{case}: {}", stdout(&out));
    }
}

#[test]
fn json_output_has_the_fields_of_spec_section_7() {
    let out = blazes(&["check", "cases/ad_poor.yaml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["outputs"]["Report.response"], "Inst");
    assert_eq!(v["sinks"]["answers"], "Diverge");
    assert_eq!(v["residual"]["answers"], "Diverge");
    assert_eq!(v["ok"], false);
    assert_eq!(v["coordination"][0]["component"], "Report");
    assert_eq!(v["coordination"][0]["strategy"], "order");
    assert_eq!(v["coordination"][0]["kind"], "dynamic");
    assert_eq!(v["coordination"][0]["applied"], false);

    let out = blazes(&["check", "cases/wordcount_sealed.yaml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["outputs"]["Splitter.words"], "Seal[batch]");
    assert_eq!(v["coordination"][0]["key"], serde_json::json!(["batch"]));
    assert_eq!(v["coordination"][0]["vote"], "unanimous");
    assert_eq!(v["ok"], true);
}

#[test]
fn text_report_names_labels_plan_and_fixes() {
    let out = blazes(&["check", "cases/wordcount.yaml"]);
    let text = stdout(&out);
    assert!(text.contains("Count.counts    Run"), "{text}");
    assert!(
        text.contains("(R2)  Async  OW[batch,word]  =>  Taint"),
        "{text}"
    );
    assert!(text.contains("sink `db` is Run"), "{text}");
    assert!(text.contains("`seal: [batch]`"), "{text}");
    assert!(text.contains("accept ordering at Count"), "{text}");
}

#[test]
fn dot_output_colours_streams_and_marks_coordination() {
    let out = blazes(&["check", "cases/ad_campaign_sealed.yaml", "--format", "dot"]);
    assert_eq!(out.status.code(), Some(0));
    let dot = stdout(&out);
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.contains("seal buffer [campaign] (unanimous)"), "{dot}");
    assert!(dot.contains("color=forestgreen"), "{dot}");
}

#[test]
fn explain_prints_the_derivation_of_one_stream() {
    let out = blazes(&["check", "cases/ad_poor.yaml", "--explain", "answers"]);
    let text = stdout(&out);
    assert!(text.contains("Report.response = Inst"), "{text}");
    assert!(
        text.contains("reconcile: Taint, rep  =>  Diverge"),
        "{text}"
    );
    let out = blazes(&["check", "cases/ad_poor.yaml", "--explain", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no stream, output, sink or source named `nowhere`"));
}

/// One malformed file of each kind issue 2 lists, with the line:column the
/// message must point at and a phrase it must contain.
const MALFORMED: &[(&str, &str, &str, &str)] = &[
    ("syntax", "components: {Splitter: [\n", ":2:", "error"),
    (
        "duplicate_component",
        "Splitter:\n  annotation: { from: a, to: b, label: CR }\nSplitter:\n  rep: true\n",
        ":3:1",
        "Splitter",
    ),
    (
        "duplicate_path_key",
        "Splitter:\n  annotation: { from: a, from: c, to: b, label: CR }\n",
        ":2:",
        "from",
    ),
    (
        "unknown_label",
        "Splitter:\n  annotation: { from: a, to: b, label: XX }\n",
        ":2:40",
        "CR, CW, OR, OW",
    ),
    (
        "missing_from",
        "Splitter:\n  annotation: { to: b, label: CR }\n",
        ":2:",
        "from",
    ),
    (
        "missing_to",
        "Splitter:\n  annotation: { from: a, label: CR }\n",
        ":2:",
        "to",
    ),
    (
        "missing_label",
        "Splitter:\n  annotation: { from: a, to: b }\n",
        ":2:",
        "label",
    ),
    (
        "gate_on_confluent_path",
        "Splitter:\n  annotation: { from: a, to: b, label: CR, gate: [k] }\n",
        ":2:",
        "confluent",
    ),
    (
        "conflicting_paths",
        "Splitter:\n  annotation:\n    - { from: a, to: b, label: CR }\n    - { from: a, to: b, label: OW }\n",
        ":4:",
        "annotated twice",
    ),
    (
        "unknown_component",
        "components:\n  A:\n    annotation: { from: i, to: o, label: CR }\nstreams:\n  - { from: s, to: B.i }\n",
        ":5:",
        "unknown component `B`",
    ),
    (
        "unknown_interface",
        "components:\n  A:\n    annotation: { from: i, to: o, label: CR }\nstreams:\n  - { from: s, to: A.x }\n",
        ":5:",
        "no input interface `x`",
    ),
    (
        "wrong_type_label",
        "Splitter:\n  annotation: { from: a, to: b, label: 3 }\n",
        ":2:",
        "label",
    ),
    (
        "wrong_type_rep",
        "Splitter:\n  rep: often\n  annotation: { from: a, to: b, label: CR }\n",
        ":2:",
        "rep",
    ),
    (
        "wrong_type_seal",
        "components:\n  A:\n    annotation: { from: i, to: o, label: CR }\nstreams:\n  - { from: s, to: A.i, seal: { k: 1 } }\n",
        ":5:",
        "seal",
    ),
    (
        "empty_seal",
        "components:\n  A:\n    annotation: { from: i, to: o, label: CR }\nstreams:\n  - { from: s, to: A.i, seal: [] }\n",
        ":5:",
        "seal",
    ),
    (
        "empty_fd",
        "fds:\n  - { from: [], to: symbol }\ncomponents:\n  A:\n    annotation: { from: i, to: o, label: CR }\n",
        ":2:",
        "from",
    ),
    ("empty_file", "", "cli-empty_file.yaml", "empty"),
    (
        "billion_laughs",
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
         c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
         e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
        ":5:",
        "alias",
    ),
];

#[test]
fn every_kind_of_malformed_file_exits_2_with_a_located_message() {
    for (name, text, location, phrase) in MALFORMED {
        let path = scratch(name, text);
        let out = blazes(&["check", path.to_str().expect("utf-8 path")]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        let file = format!("cli-{name}.yaml");
        assert!(err.contains(&file), "{name}: no file name in {err}");
        assert!(
            err.contains(location),
            "{name}: expected `{location}` in {err}"
        );
        assert!(
            err.to_lowercase().contains(&phrase.to_lowercase()),
            "{name}: expected `{phrase}` in {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn an_unreadable_file_exits_2() {
    let out = blazes(&["check", "no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read no/such/file.yaml"));
}
