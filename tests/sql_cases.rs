//! The SQL white box on the files of `cases/sql/` (issue 12): each file says,
//! in `-- expect:` lines, the annotation derived for every path, the label
//! of every sink, the FDs lineage gives, and what the notes say:
//!
//! - `path VIEW <- INPUT: OW[a,b]` (every path of the dataflow needs one);
//! - `sink NAME: Async`, or `sink NAME: Run or worse` (every sink needs one);
//! - `fd a -> b injective|plain` (the file's FDs are exactly these);
//! - `note VIEW <- INPUT: text` (the path's located note contains `text`).

mod sql_support;

use std::collections::{BTreeMap, BTreeSet};

use blazes::{Label, Origin, analyze};
use sql_support::{Case, cases, directives};

/// What one case file expects.
#[derive(Default)]
struct Expected {
    paths: BTreeMap<(String, String), String>,
    sinks: BTreeMap<String, (Label, bool)>,
    fds: BTreeSet<(String, String, bool)>,
    notes: Vec<((String, String), String)>,
}

fn path_key(text: &str, case: &str) -> (String, String) {
    let (view, input) = text
        .split_once("<-")
        .unwrap_or_else(|| panic!("{case}: `{text}` should read `VIEW <- INPUT`"));
    (view.trim().to_string(), input.trim().to_string())
}

fn expected(case: &Case) -> Expected {
    let mut e = Expected::default();
    for line in directives(&case.text, "expect") {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "path" => {
                let (key, annotation) = rest.rsplit_once(':').expect("path VIEW <- INPUT: A");
                let key = path_key(key, &case.name);
                assert!(
                    e.paths
                        .insert(key.clone(), annotation.trim().to_string())
                        .is_none(),
                    "{}: path {key:?} expected twice",
                    case.name
                );
            }
            "sink" => {
                let (sink, label) = rest.split_once(':').expect("sink NAME: LABEL");
                let label = label.trim();
                let (label, or_worse) = match label.strip_suffix("or worse") {
                    Some(l) => (l.trim(), true),
                    None => (label, false),
                };
                let label = Label::parse(label)
                    .unwrap_or_else(|| panic!("{}: no label `{label}`", case.name));
                e.sinks.insert(sink.trim().to_string(), (label, or_worse));
            }
            "fd" => {
                let words: Vec<&str> = rest.split_whitespace().collect();
                let [from, "->", to, kind] = words.as_slice() else {
                    panic!(
                        "{}: `fd {rest}` should read `fd a -> b injective|plain`",
                        case.name
                    );
                };
                e.fds
                    .insert((from.to_string(), to.to_string(), *kind == "injective"));
            }
            "note" => {
                let (key, text) = rest.split_once(':').expect("note VIEW <- INPUT: text");
                e.notes
                    .push((path_key(key, &case.name), text.trim().to_string()));
            }
            other => panic!("{}: unknown expectation `{other}`", case.name),
        }
    }
    e
}

fn check(case: &Case) {
    let e = expected(case);
    assert!(
        !e.paths.is_empty() && !e.sinks.is_empty(),
        "{}: a case states its paths and sinks",
        case.name
    );
    let (dataflow, locations) = blazes::sql::parse(&case.name, &case.text)
        .unwrap_or_else(|errors| panic!("{}", errors.render()));
    let mut derived = BTreeMap::new();
    for component in &dataflow.components {
        for path in &component.paths {
            derived.insert(
                (component.name.clone(), path.from.clone()),
                path.annotation.to_string(),
            );
            let origin = Origin::Path {
                component: component.name.clone(),
                from: path.from.clone(),
                to: path.to.clone(),
            };
            let at = locations
                .path(&origin)
                .unwrap_or_else(|| panic!("{}: path {origin:?} is not located", case.name));
            let note = at.note.as_deref().unwrap_or_default();
            assert!(
                note.starts_with(&path.annotation.to_string()),
                "{}: the note of {origin:?} should start with its annotation: {note}",
                case.name
            );
        }
    }
    assert_eq!(derived, e.paths, "{}: derived path annotations", case.name);

    let analysis = analyze(&dataflow).expect("a derived dataflow is valid");
    let sinks: BTreeSet<&String> = analysis.sinks.keys().collect();
    assert_eq!(
        sinks,
        e.sinks.keys().collect(),
        "{}: every sink has an expectation",
        case.name
    );
    for (sink, (label, or_worse)) in &e.sinks {
        let got = &analysis.sinks[sink];
        if *or_worse {
            assert!(
                got.severity() >= label.severity(),
                "{}: sink {sink} is {got}, expected {label} or worse",
                case.name
            );
        } else {
            assert_eq!(got, label, "{}: sink {sink}", case.name);
        }
    }

    let fds: BTreeSet<(String, String, bool)> = dataflow
        .fds
        .iter()
        .map(|fd| {
            let from: Vec<&str> = fd.from.iter().map(String::as_str).collect();
            (from.join(","), fd.to.clone(), fd.injective)
        })
        .collect();
    assert_eq!(fds, e.fds, "{}: functional dependencies", case.name);

    for ((view, input), text) in &e.notes {
        let origin = Origin::Path {
            component: view.clone(),
            from: input.clone(),
            to: view.clone(),
        };
        let note = locations
            .path(&origin)
            .and_then(|at| at.note.clone())
            .unwrap_or_default();
        assert!(
            note.contains(text.as_str()),
            "{}: the note of {view} <- {input} should contain `{text}`; it is: {note}",
            case.name
        );
    }
}

#[test]
fn every_sql_case_derives_what_it_expects() {
    let all = cases("cases/sql");
    assert!(
        all.len() >= 25,
        "at least 25 SQL cases, found {}",
        all.len()
    );
    let mut failures = Vec::new();
    for case in &all {
        if let Err(panic) = std::panic::catch_unwind(|| check(case)) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_blazes"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the blazes binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_cli_tells_a_violation_in_the_sql_and_names_the_seal_to_add() {
    let (code, stdout, stderr) = run(&["check", "cases/sql/fig6_poor.sql"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stdout.contains("--> cases/sql/fig6_poor.sql:12:3"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "poor.poor becomes Run here: OW[id]: order-sensitive because of `HAVING COUNT(*) < 100` at line 12"
        ),
        "{stdout}"
    );
    // Said once, in the error: no summary after it repeats the fix.
    let fix = "fix: add 'blazes.seal' = 'id' to the WITH (...) of CREATE TABLE clicks (line 7): a seal compatible with the gate [id]";
    assert_eq!(stdout.matches(fix).count(), 1, "{stdout}");
    assert!(!stdout.contains("in the SQL"), "{stdout}");
    let (code, stdout, _) = run(&["check", "cases/sql/fig6_window_sealed.sql"]);
    assert_eq!(code, Some(0));
    assert!(
        !stdout.contains("in the SQL"),
        "no advice when ok: {stdout}"
    );
}

/// Two order-sensitive views in a row, the tables sealed on `day`: the
/// first view consumes the seals, and SQL cannot make it punctuate, so the
/// advice must not send the reader to seal tables that already are.
#[test]
fn no_table_seal_is_advised_behind_an_order_sensitive_view() {
    let text = "CREATE TABLE orders (id BIGINT, region TEXT, day INT, amount BIGINT) \
                  WITH ('blazes.seal' = 'day');
                CREATE VIEW net AS SELECT region, day, SUM(amount) AS revenue \
                  FROM orders GROUP BY region, day;
                CREATE VIEW leader WITH ('blazes.rep' = 'true') AS \
                  SELECT day, region, revenue FROM (SELECT day, region, revenue, \
                  ROW_NUMBER() OVER (PARTITION BY day ORDER BY revenue DESC) AS rn FROM net) r \
                  WHERE rn = 1;";
    let (dataflow, locations) = blazes::sql::parse("leader.sql", text).expect("valid SQL");
    let analysis = analyze(&dataflow).expect("valid dataflow");
    assert!(!analysis.violations.is_empty(), "leader diverges");
    let advice = blazes::sql::advice(&analysis, &dataflow, &locations);
    assert!(
        advice.contains("view `net` is order-sensitive (OW[day,region])"),
        "{advice}"
    );
    assert!(
        advice.contains("so no 'blazes.seal' on a table reaches the gate [day]"),
        "{advice}"
    );
    assert!(!advice.contains("seal the tables"), "{advice}");
}

/// Payments are already sealed, on a key the daily totals' gate does not
/// cover; and alerts read a join of payments with rules, whose seals merge
/// only on one key, and the one column they share is not in alerts' gate.
#[test]
fn seal_advice_names_columns_that_work_and_says_when_none_does() {
    let text = "CREATE TABLE payments (account TEXT, merchant TEXT, region TEXT, day INT, \
                  amount BIGINT) WITH ('blazes.seal' = 'region,day');
                CREATE TABLE rules (region TEXT, threshold BIGINT) \
                  WITH ('blazes.seal' = 'region');
                CREATE VIEW scored AS SELECT p.account, p.region, p.day, p.amount, \
                  p.amount > r.threshold AS flagged \
                  FROM payments p JOIN rules r ON p.region = r.region;
                CREATE VIEW daily AS SELECT merchant, day, SUM(amount) AS total \
                  FROM payments GROUP BY merchant, day;
                CREATE VIEW alerts AS SELECT account, day, COUNT(*) AS alerts \
                  FROM scored WHERE flagged GROUP BY account, day;";
    let (dataflow, locations) = blazes::sql::parse("fraud.sql", text).expect("valid SQL");
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let advice = blazes::sql::advice(&analysis, &dataflow, &locations);
    assert!(
        advice.contains(
            "fix: change 'blazes.seal' = 'day,region' in the WITH (...) of CREATE TABLE payments \
             (line 1) to 'merchant' or 'day': a seal compatible with the gate [day,merchant]"
        ),
        "{advice}"
    );
    assert!(
        advice.contains(
            "payments and rules all reach the gate [account,day], and their seals merge only on \
             one and the same key: no column they share is compatible with the gate"
        ),
        "{advice}"
    );
    assert!(!advice.contains("add 'blazes.seal'"), "{advice}");
    assert!(!advice.contains("<columns>"), "{advice}");
}

#[test]
fn the_cli_emits_the_derived_grey_box_file() {
    let (code, stdout, stderr) = run(&["check", "cases/sql/alias_lineage.sql", "--emit", "yaml"]);
    assert_eq!(code, Some(0), "{stderr}");
    let reread = blazes::greybox::parse("emitted.yaml", &stdout).expect("the emitted file reads");
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/sql/alias_lineage.sql"),
    )
    .expect("the case file");
    let (dataflow, _) = blazes::sql::parse("alias_lineage.sql", &text).expect("valid");
    assert_eq!(reread, dataflow);
    assert!(
        stdout.contains("- { from: [campaign], to: c, injective: true }"),
        "{stdout}"
    );
    let (code, _, stderr) = run(&["check", "cases/sql/errors/cte.sql", "--emit", "yaml"]);
    assert_eq!(
        code,
        Some(2),
        "invalid SQL is refused with --emit too: {stderr}"
    );
}

/// The gate (or confluence) derived for each Fig. 6 query is the one the
/// paper writes by hand for the Report's query path (`cases/ad_*.yaml`).
#[test]
fn the_fig6_gates_are_the_papers() {
    let paper_gate = |file: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("cases")
            .join(file);
        let text = std::fs::read_to_string(&path).expect("a paper case");
        let dataflow = blazes::greybox::parse(file, &text).expect("valid");
        let report = dataflow
            .find_component("Report")
            .expect("the Report component");
        let query = report
            .paths
            .iter()
            .find(|p| p.from == "request")
            .expect("the query path");
        (
            query.annotation.kind.is_order_sensitive(),
            query.annotation.gates.clone(),
        )
    };
    let derived_gate = |file: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("cases/sql")
            .join(file);
        let text = std::fs::read_to_string(&path).expect("a SQL case");
        let (dataflow, _) = blazes::sql::parse(file, &text).expect("valid");
        let path = &dataflow.components[0].paths[0];
        (
            path.annotation.kind.is_order_sensitive(),
            path.annotation.gates.clone(),
        )
    };
    for (paper, sql) in [
        ("ad_thresh.yaml", "fig6_thresh.sql"),
        ("ad_poor.yaml", "fig6_poor.sql"),
        ("ad_window_sealed.yaml", "fig6_window_sealed.sql"),
        ("ad_campaign.yaml", "fig6_campaign_rep.sql"),
    ] {
        assert_eq!(
            derived_gate(sql),
            paper_gate(paper),
            "{sql} against {paper}"
        );
    }
}

#[test]
fn explain_names_the_clause_behind_each_path_upstream() {
    let (code, stdout, stderr) =
        run(&["check", "cases/sql/alias_lineage.sql", "--explain", "per_c"]);
    assert_eq!(code, Some(0), "{stderr}");
    let renamed = stdout
        .find("view `renamed` reading `clicks` is CW")
        .unwrap_or_else(|| panic!("{stdout}"));
    let per_c = stdout
        .find("cases/sql/alias_lineage.sql:13:63: view `per_c` reading `renamed` is OW[c,id]: order-sensitive because of `HAVING COUNT(*) < 5` at line 13")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(renamed < per_c, "upstream first: {stdout}");
    let (_, stdout, _) = run(&["check", "cases/sql/fig6_poor.sql", "--explain", "poor.poor"]);
    assert!(
        stdout.contains("is OW[id]: order-sensitive because of `HAVING COUNT(*) < 100` at line 12"),
        "{stdout}"
    );
}

/// An anti-join of two tables: sealing `refunds` on `id` is proposed once
/// (two rules propose it), and the static order names both tables in one
/// line, since stamping one of them alone orders nothing.
#[test]
fn a_fix_is_said_once_and_a_static_order_names_every_table_it_needs() {
    let (code, stdout, stderr) = run(&["check", "cases/sql/anti_join_two_tables.sql"]);
    assert_eq!(code, Some(1), "{stderr}");
    let seal = "= fix: add 'blazes.seal' = 'id' to the WITH (...) of CREATE TABLE refunds";
    assert_eq!(stdout.matches(seal).count(), 1, "{stdout}");
    assert!(
        stdout.contains(
            "= fix: or add 'blazes.seq' = 'id' to the WITH (...) of each of CREATE TABLE orders \
             (line 9) and CREATE TABLE refunds (line 11)"
        ),
        "{stdout}"
    );
    assert_eq!(stdout.matches("'blazes.seq'").count(), 1, "{stdout}");
}

/// The fixes under a `.sql` file's diagnostics name `WITH (...)` options,
/// not grey-box keys, and a dependency that would make the table's own seal
/// do is offered as `blazes.fds`; declared, it makes the same view pass.
#[test]
fn a_sql_files_fixes_are_written_in_sql_and_offer_the_dependency() {
    let (code, stdout, stderr) = run(&["check", "cases/sql/table_fds_absent.sql"]);
    assert_eq!(code, Some(1), "{stderr}");
    let diagnostic = stdout
        .split("FAILED")
        .next()
        .expect("the report has a diagnostic before its verdict");
    assert!(
        diagnostic.contains(
            "= fix: change 'blazes.seal' = 'region' in the WITH (...) of CREATE TABLE payments \
             (line 7) to 'merchant': a seal compatible with the gate [merchant]; or keep the seal \
             and, if it is true of the data, declare 'merchant -> region'"
        ),
        "{diagnostic}"
    );
    assert!(
        diagnostic.contains("= fix: or add 'blazes.seq' = 'merchant' to the WITH (...)"),
        "{diagnostic}"
    );
    assert!(
        diagnostic.contains("SQL has no option for it: set it in the grey-box file"),
        "{diagnostic}"
    );
    assert!(!diagnostic.contains("e.g. `seal: ["), "{diagnostic}");
    assert!(!diagnostic.contains("stamp stream"), "{diagnostic}");
    // The machine formats carry the same words.
    let (_, sarif, _) = run(&[
        "check",
        "cases/sql/table_fds_absent.sql",
        "--format",
        "sarif",
    ]);
    assert!(sarif.contains("declare 'merchant -> region'"), "{sarif}");
    // A grey-box file keeps the grey-box keys.
    let (_, yaml_report, _) = run(&["check", "cases/ad_poor.yaml"]);
    assert!(yaml_report.contains("e.g. `seal: ["), "{yaml_report}");
    assert!(!yaml_report.contains("WITH (...)"), "{yaml_report}");
    let (code, _, stderr) = run(&["check", "cases/sql/table_fds.sql"]);
    assert_eq!(code, Some(0), "{stderr}");
}
