//! Attribute names in what blazes tells the user (issue 10; spec §1, §3):
//! every fix names only attributes that the dataflow declares (or a
//! placeholder), for every case of `cases/` and in each report format; and
//! `blazes check` prints the attribute warnings of a valid file on stderr.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};

use blazes::Dataflow;
use blazes::explain::ATTRIBUTE_PLACEHOLDER;
use blazes::greybox::parse;

/// Every attribute the dataflow declares: gates, seal and seq keys, FDs.
fn declared(dataflow: &Dataflow) -> BTreeSet<String> {
    let gates = dataflow
        .components
        .iter()
        .flat_map(|c| &c.paths)
        .flat_map(|p| p.annotation.gates.iter().flatten());
    let keys = dataflow.streams.iter().flat_map(|s| {
        let a = &s.annotation;
        a.seal.iter().chain(a.seq.iter()).flatten()
    });
    let fds = dataflow
        .fds
        .iter()
        .flat_map(|fd| fd.from.iter().chain(std::iter::once(&fd.to)));
    gates.chain(keys).chain(fds).cloned().collect()
}

/// The names inside every `seal: [..]` and `seq: [..]` of `text`.
fn named_in_fixes(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for key in ["seal: [", "seq: ["] {
        for (at, _) in text.match_indices(key) {
            let rest = &text[at + key.len()..];
            let list = &rest[..rest.find(']').unwrap_or(rest.len())];
            names.extend(list.split(',').map(|n| n.trim().to_string()));
        }
    }
    names
}

fn case_files() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/cases");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("cases/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable");
            (p.display().to_string(), text)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn fixes_name_only_declared_attributes_in_every_case_and_format() {
    let mut checked = 0;
    for (file, text) in case_files() {
        let dataflow = parse(&file, &text).unwrap_or_else(|d| panic!("{}", d.render()));
        let known = declared(&dataflow);
        let stdout = |format: &str| {
            let out = blazes(&["check", &file, "--format", format]);
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let reports = [stdout("text"), stdout("json")];
        for report in reports {
            for name in named_in_fixes(&report) {
                assert!(
                    known.contains(&name) || name == ATTRIBUTE_PLACEHOLDER,
                    "{file}: a fix names `{name}`, which the dataflow does not declare \
                     (it declares {known:?}):\n{report}"
                );
                checked += 1;
            }
        }
    }
    // The check looked at fixes at all: the failing cases have several.
    assert!(checked >= 10, "only {checked} attribute names seen");
}

#[test]
fn the_ad_network_is_never_told_to_sequence_on_batch() {
    // Before issue 10, every `seq` fix said `seq: [batch]`.
    let out = blazes(&["check", "cases/ad_poor.yaml"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("`seq: [id]`"), "{report}");
    assert!(!report.contains("batch"), "{report}");
}

fn blazes(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blazes"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the blazes binary runs")
}

#[test]
fn check_reports_attribute_warnings_in_text_and_json() {
    let text = include_str!("../cases/ad_campaign_sealed.yaml")
        .replace("seal: [campaign]", "seal: [campain]");
    assert!(
        text.contains("campain"),
        "the case seals clicks on campaign"
    );
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("names-campain.yaml");
    std::fs::write(&path, &text).expect("scratch file written");
    let path = path.display().to_string();

    let out = blazes(&["check", &path]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "warning[blazes/seal-matches-no-gate]: seal attribute `campain` appears in no gate"
        ),
        "{text}"
    );
    assert!(text.contains("did you mean `campaign`?"), "{text}");
    let out = blazes(&["check", &path, "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(json["ok"], false, "the misspelt seal protects nothing");
    assert!(json["warnings"].to_string().contains("campain"), "{json}");

    let clean = blazes(&["check", "cases/ad_campaign_sealed.yaml"]);
    assert_eq!(clean.status.code(), Some(0));
    assert!(
        !String::from_utf8_lossy(&clean.stdout).contains("warning"),
        "no warning for a well-spelt file"
    );
}
