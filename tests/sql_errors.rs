//! Malformed and unsupported SQL (issue 12, point 3): each file of
//! `cases/sql/errors/` makes `blazes check` exit 2 with a message located at
//! the construct, as its `-- error: LINE:COLUMN: text` line says; and no
//! mutation of the case files makes the white box panic.

mod sql_support;

use std::process::Command;

use proptest::prelude::*;
use sql_support::{cases, directives};

#[test]
fn every_error_case_exits_2_with_a_located_message() {
    let all = cases("cases/sql/errors");
    assert!(
        all.len() >= 10,
        "at least 10 error cases, found {}",
        all.len()
    );
    for case in &all {
        let [expected] = directives(&case.text, "error")[..] else {
            panic!("{}: one `-- error: LINE:COLUMN: text` line", case.name);
        };
        let (position, message) = expected
            .split_once(": ")
            .unwrap_or_else(|| panic!("{}: `{expected}`", case.name));
        let output = Command::new(env!("CARGO_BIN_EXE_blazes"))
            .arg("check")
            .arg(&case.path)
            .output()
            .expect("the blazes binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{}: {stderr}", case.name);
        assert!(output.stdout.is_empty(), "{}: nothing on stdout", case.name);
        let header = format!("error: {message}");
        assert!(
            stderr
                .lines()
                .next()
                .is_some_and(|l| l.starts_with(&header)),
            "{}: the report should open with `{header}`:\n{stderr}",
            case.name
        );
        let located = format!("--> {}:{position}\n", case.path.display());
        assert!(
            stderr.contains(&located),
            "{}: the report should point at `{located}`:\n{stderr}",
            case.name
        );
        // The library says the same, without the binary.
        let errors = blazes::sql::parse(&case.name, &case.text).expect_err("invalid");
        let first = &errors.errors()[0];
        assert_eq!(
            format!("{}:{}", first.line(), first.column()),
            position,
            "{}",
            case.name
        );
    }
}

#[test]
fn a_hint_says_what_to_write_instead() {
    let text = "CREATE TABLE t (a INT);\nCREATE VIEW v AS SELECT a FROM t NATURAL JOIN t AS u;\n";
    let errors = blazes::sql::parse("natural.sql", text).expect_err("NATURAL JOIN is refused");
    let report = errors.render();
    assert!(
        report.contains("= write the join condition with ON"),
        "{report}"
    );
}

/// Every case file, valid or not.
fn corpus() -> Vec<String> {
    cases("cases/sql")
        .into_iter()
        .chain(cases("cases/sql/errors"))
        .map(|c| c.text)
        .collect()
}

/// Words that steer a mutation into the constructs the derivation reads.
const WORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP BY",
    "HAVING",
    "NOT",
    "IN",
    "EXISTS",
    "(",
    ")",
    ",",
    ";",
    "'",
    "\"",
    "JOIN",
    "ON",
    "UNION",
    "EXCEPT",
    "OVER (PARTITION BY",
    "COUNT(*)",
    "LIMIT 1",
    "TUMBLE(",
    "WITH ('blazes.seal' = '",
    "CREATE VIEW",
    "AS",
    "é",
    "\n",
    "DISTINCT ON (",
    ".",
    "SUM(",
    "> 10",
    "< 3",
    "x.",
    "LATERAL",
    "*",
];

#[derive(Clone, Debug)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, word: usize },
    Duplicate { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..WORDS.len()).prop_map(|(at, word)| Mutation::Insert { at, word }),
        (any::<usize>(), 1usize..60).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

/// Applies a mutation at a character boundary.
fn apply(text: &mut String, m: &Mutation) {
    let boundary = |text: &str, at: usize| {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match m {
        Mutation::Delete { at, len } => {
            let start = boundary(text, *at);
            let end = boundary(text, (start + len).min(text.len()));
            text.replace_range(start..end.max(start), "");
        }
        Mutation::Insert { at, word } => {
            let at = boundary(text, *at);
            text.insert_str(at, &format!(" {} ", WORDS[*word]));
        }
        Mutation::Duplicate { at, len } => {
            let start = boundary(text, *at);
            let end = boundary(text, (start + len).min(text.len()));
            let piece = text[start..end.max(start)].to_string();
            text.insert_str(start, &piece);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Mutated SQL is read, analysed and emitted, or refused with located
    /// errors; never a panic.
    #[test]
    fn mutated_sql_never_panics(
        case in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let corpus = corpus();
        let mut text = corpus[case.index(corpus.len())].clone();
        for m in &mutations {
            apply(&mut text, m);
        }
        match blazes::sql::parse("mutated.sql", &text) {
            Ok((dataflow, locations)) => {
                let analysis = blazes::analyze(&dataflow);
                prop_assert!(analysis.is_ok(), "a derived dataflow is valid");
                let yaml = blazes::sql::emit::yaml(&dataflow, &locations);
                let reread = blazes::greybox::parse("emitted.yaml", &yaml);
                prop_assert!(reread.is_ok(), "the emitted YAML reads back:\n{}\n{}", text, yaml);
                prop_assert_eq!(reread.ok(), Some(dataflow));
            }
            Err(errors) => {
                prop_assert!(!errors.errors().is_empty());
                for e in errors.errors() {
                    prop_assert!(e.line() >= 1 && e.column() >= 1);
                    prop_assert!(e.at.bytes.end <= text.len());
                }
                let report = errors.render();
                prop_assert!(report.contains("error"));
            }
        }
    }
}

#[test]
fn every_broken_view_is_reported_and_a_view_reading_one_adds_nothing() {
    let text = "CREATE TABLE t (a INT, b INT);\n\
                CREATE VIEW v AS SELECT nope FROM t;\n\
                CREATE VIEW w AS SELECT a FROM v;\n\
                CREATE VIEW x AS SELECT a FROM t WHERE (SELECT 1 FROM t) = 1;\n\
                CREATE VIEW y AS SELECT a FROM t;\n";
    let errors = blazes::sql::parse("two.sql", text).expect_err("two broken views");
    let found: Vec<(usize, String)> = errors
        .errors()
        .iter()
        .map(|e| (e.line(), e.kind.to_string()))
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, 2);
    assert!(found[0].1.contains("unknown column `nope`"));
    assert_eq!(found[1].0, 4);
    assert!(found[1].1.contains("scalar subquery"));
    assert!(errors.render().ends_with("2 errors in two.sql\n"));
}
