//! `--emit yaml` round trip (issue 12, point 4): for every SQL file of
//! `cases/sql/`, the grey-box file the white box emits reads back into the
//! same dataflow, and its analysis equals the analysis of the SQL.

mod sql_support;

use blazes::{Analysis, analyze};
use sql_support::cases;

/// Everything an analysis reports, in a comparable form.
fn summary(a: &Analysis) -> String {
    format!(
        "outputs {:?}\ninputs {:?}\nsinks {:?}\nsources {:?}\nstreams {:?}\ncoordination {:?}\nresidual {:?}\nviolations {:?}",
        a.outputs,
        a.inputs,
        a.sinks,
        a.sources,
        a.streams,
        a.coordination,
        a.residual,
        a.violations
    )
}

#[test]
fn the_emitted_yaml_of_every_sql_case_analyses_like_the_sql() {
    let all = cases("cases/sql");
    assert!(!all.is_empty());
    for case in &all {
        let (dataflow, locations) =
            blazes::sql::parse(&case.name, &case.text).unwrap_or_else(|e| panic!("{}", e.render()));
        let yaml = blazes::sql::emit::yaml(&dataflow, &locations);
        let reread = blazes::greybox::parse("emitted.yaml", &yaml).unwrap_or_else(|d| {
            panic!(
                "{}: the emitted YAML does not read:\n{}\n{yaml}",
                case.name,
                d.render()
            )
        });
        assert_eq!(
            reread, dataflow,
            "{}: the emitted YAML reads into another dataflow:\n{yaml}",
            case.name
        );
        let from_sql = analyze(&dataflow).expect("valid");
        let from_yaml = analyze(&reread).expect("valid");
        assert_eq!(summary(&from_yaml), summary(&from_sql), "{}", case.name);
    }
}

#[test]
fn the_emitted_yaml_says_why_above_each_path() {
    let text = "CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campaign');\n\
                CREATE VIEW poor AS SELECT id FROM clicks GROUP BY id HAVING COUNT(*) < 100;\n";
    let (dataflow, locations) = blazes::sql::parse("poor.sql", text).expect("valid");
    let yaml = blazes::sql::emit::yaml(&dataflow, &locations);
    let lines: Vec<&str> = yaml.lines().collect();
    let path = lines
        .iter()
        .position(|l| l.contains("label: OW"))
        .expect("the path is emitted");
    assert!(
        lines[path - 1].contains(
            "# line 2: OW[id]: order-sensitive because of `HAVING COUNT(*) < 100` at line 2"
        ),
        "{yaml}"
    );
    assert!(
        yaml.contains("# line 1: `clicks` is sealed on [campaign]"),
        "{yaml}"
    );
    assert!(
        yaml.contains("- { from: clicks, to: poor.clicks, seal: [campaign] }"),
        "{yaml}"
    );
    assert!(yaml.contains("- { from: poor.poor, to: poor }"), "{yaml}");
}
