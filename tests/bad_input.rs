//! Malformed grey-box files: each is rejected with an error that says where
//! (line, column) and what (a key phrase of the message), and no input makes
//! the reader panic or run away.

use blazes::greybox::{Diagnostics, Error, MAX_DEPTH, parse};
use proptest::prelude::*;

/// The lines joined into a file.
fn file(lines: &[&str]) -> String {
    lines.join("\n") + "\n"
}

/// Parses a file that must be rejected.
fn reject(lines: &[&str]) -> Diagnostics {
    match parse("bad.yaml", &file(lines)) {
        Ok(d) => panic!("accepted a bad file: {d:?}"),
        Err(diagnostics) => diagnostics,
    }
}

/// The one error of a file that must be rejected for exactly one reason.
fn only_error(lines: &[&str]) -> Error {
    let d = reject(lines);
    assert_eq!(d.errors().len(), 1, "expected one error:\n{}", d.render());
    d.errors()[0].clone()
}

/// Asserts that the error is at `line:column` and says `phrase`.
fn assert_at(error: &Error, line: usize, column: usize, phrase: &str) {
    assert_eq!(
        (error.line(), error.column()),
        (line, column),
        "wrong place for: {error}"
    );
    assert!(
        error.message().contains(phrase),
        "`{}` does not say `{phrase}`",
        error.message()
    );
}

/// Asserts that some error is at `line:column` and says `phrase`.
fn assert_has(d: &Diagnostics, line: usize, column: usize, phrase: &str) {
    assert!(
        d.errors()
            .iter()
            .any(|e| e.line() == line && e.column() == column && e.message().contains(phrase)),
        "no error at {line}:{column} saying `{phrase}`:\n{}",
        d.render()
    );
}

const COUNT: &str = "Count: { annotation: { from: a, to: b, label: CR } }";

#[test]
fn a_yaml_syntax_error_is_located_by_the_scanner() {
    let e = only_error(&["Count:", "  annotation: from: a"]);
    assert_at(
        &e,
        2,
        19,
        "YAML syntax error: mapping values are not allowed",
    );
}

#[test]
fn a_duplicate_component_is_reported_at_the_second_key() {
    let e = only_error(&[
        "Count:",
        "  annotation: { from: a, to: b, label: CR }",
        "Count:",
        "  annotation: { from: b, to: c, label: CR }",
    ]);
    assert_at(
        &e,
        3,
        1,
        "duplicate key `Count`: it is already given on line 1",
    );
}

#[test]
fn a_duplicate_path_field_is_reported_at_the_second_key() {
    let e = only_error(&[
        "Count:",
        "  annotation: { from: a, from: b, to: c, label: CR }",
    ]);
    assert_at(
        &e,
        2,
        26,
        "duplicate key `from`: it is already given on line 2",
    );
}

#[test]
fn a_duplicate_top_level_key_is_reported_at_the_second_key() {
    let e = only_error(&[COUNT, "requires: deterministic", "requires: convergent"]);
    assert_at(&e, 3, 1, "duplicate key `requires`");
}

#[test]
fn an_unknown_label_lists_the_allowed_labels() {
    let e = only_error(&["Count: { annotation: { from: a, to: b, label: XW } }"]);
    assert_at(
        &e,
        1,
        47,
        "should be one of CR, CW, OR, OW; found the string `XW`",
    );
}

#[test]
fn a_path_without_from_is_reported_at_the_path() {
    let e = only_error(&["Count:", "  annotation:", "    - { to: counts, label: CW }"]);
    assert_at(&e, 3, 7, "is missing `from` (its input interface)");
}

#[test]
fn a_path_without_to_is_reported_at_the_path() {
    let e = only_error(&[
        "Count:",
        "  annotation:",
        "    - { from: words, label: CW }",
    ]);
    assert_at(&e, 3, 7, "is missing `to` (its output interface)");
}

#[test]
fn a_path_without_label_is_reported_with_the_allowed_labels() {
    let e = only_error(&[
        "Count:",
        "  annotation:",
        "    - { from: words, to: counts }",
    ]);
    assert_at(&e, 3, 7, "is missing `label`");
    assert!(e.notes().iter().any(|n| n.contains("CR, CW, OR, OW")));
}

#[test]
fn a_gate_on_a_confluent_path_is_reported_at_the_gate() {
    let e = only_error(&[
        "Count:",
        "  annotation:",
        "    - { from: a, to: b, label: CR, subscript: [id] }",
    ]);
    assert_at(&e, 3, 47, "a gate on a confluent path (CR)");
}

#[test]
fn conflicting_annotations_of_one_path_are_reported_at_the_second() {
    let e = only_error(&[
        "Count:",
        "  annotation:",
        "    - { from: a, to: b, label: OW, subscript: [k] }",
        "    - { from: a, to: b, label: OR, gate: k }",
    ]);
    assert_at(&e, 4, 7, "annotated twice, as OW[k] and as OR[k]");
}

#[test]
fn a_duplicate_path_is_reported_at_the_second() {
    let e = only_error(&[
        "Count:",
        "  annotation:",
        "    - { from: a, to: b, label: OW, subscript: [k] }",
        "    - { from: a, to: b, label: OW_gate, gate: [k] }",
    ]);
    assert_at(&e, 4, 7, "path `a` -> `b` is declared twice");
}

#[test]
fn an_unknown_component_in_streams_is_reported_at_the_endpoint() {
    let e = only_error(&[
        COUNT,
        "streams:",
        "  - { from: src, to: Count.a }",
        "  - { from: Cuont.b, to: out }",
    ]);
    assert_at(
        &e,
        4,
        13,
        "this stream's `from` end names unknown component `Cuont`",
    );
    let rendered = reject(&[
        COUNT,
        "streams:",
        "  - { from: src, to: Count.a }",
        "  - { from: Cuont.b, to: out }",
    ])
    .render();
    assert!(
        rendered.contains("unknown component; did you mean `Count`?"),
        "{rendered}"
    );
    assert!(
        rendered.contains("the file's components: Count"),
        "{rendered}"
    );
}

#[test]
fn an_unknown_interface_in_streams_lists_the_known_ones() {
    let e = only_error(&[
        COUNT,
        "streams:",
        "  - { from: src, to: Count.a }",
        "  - { from: Count.b, to: Count.x }",
    ]);
    assert_at(
        &e,
        4,
        26,
        "component `Count` has no input interface `x` (its inputs: a)",
    );
}

#[test]
fn values_of_the_wrong_type_are_each_reported() {
    let d = reject(&[
        "Count:",
        "  rep: \"yes\"",
        "  annotation: { from: a, to: b, label: 42 }",
        "streams:",
        "  - { from: src, to: Count.a, seal: { k: 1 } }",
    ]);
    assert_eq!(d.errors().len(), 3, "{}", d.render());
    assert_has(
        &d,
        2,
        8,
        "should be `true` or `false`; found the string `yes`",
    );
    assert_has(&d, 3, 40, "found the number `42`");
    assert_has(
        &d,
        5,
        37,
        "should be a list of attribute names, like `[a, b]`; found a map",
    );
}

#[test]
fn an_empty_seal_is_reported_at_the_seal() {
    let e = only_error(&[
        COUNT,
        "streams:",
        "  - { from: src, to: Count.a, seal: [] }",
    ]);
    assert_at(&e, 3, 37, "`seal` needs at least one attribute");
}

#[test]
fn an_empty_seal_in_the_map_form_is_reported_at_the_seal() {
    let e = only_error(&[COUNT, "streams: { a: { seal: [] } }"]);
    assert_at(&e, 2, 23, "`seal` needs at least one attribute");
}

#[test]
fn an_fd_without_from_attributes_is_reported_at_from() {
    let e = only_error(&[COUNT, "fds:", "  - { from: [], to: symbol }"]);
    assert_at(&e, 3, 13, "a functional dependency needs `from` attributes");
}

#[test]
fn an_empty_file_is_rejected() {
    for text in ["", "# only a comment\n", "---\n", "~\n"] {
        let d = parse("empty.yaml", text).expect_err("empty");
        assert_eq!(d.errors().len(), 1);
        assert_at(&d.errors()[0], 1, 1, "the file is empty");
    }
    let d = parse("empty.yaml", "# nothing yet\n---\nnull\n").expect_err("empty");
    assert_at(&d.errors()[0], 3, 1, "the file is empty");
}

#[test]
fn a_file_that_is_only_a_scalar_or_a_list_is_rejected() {
    let e = only_error(&["hello"]);
    assert_at(&e, 1, 1, "should be a map of components");
    assert!(e.message().contains("found the string `hello`"));
    let e = only_error(&["", "- a", "- b"]);
    assert_at(&e, 2, 1, "found a list");
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let mut lines = vec!["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]".to_string()];
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        lines.push(format!("a{i}: &a{i} [{refs}]"));
    }
    let d = parse("lol.yaml", &lines.join("\n")).expect_err("refused");
    assert_eq!(d.errors().len(), 1, "{}", d.render());
    assert!(
        d.errors()[0]
            .message()
            .contains("aliases expand to more than")
    );
}

#[test]
fn aliases_within_the_budget_are_expanded() {
    let text = file(&[
        "Cache: &block",
        "  rep: true",
        "  annotation: { from: x, to: y, label: CR }",
        "Mirror: *block",
    ]);
    let d = parse("alias.yaml", &text).unwrap_or_else(|d| panic!("{}", d.render()));
    assert_eq!(d.components.len(), 2);
    assert_eq!(d.components[0].paths, d.components[1].paths);
    assert!(d.components[1].rep);
}

#[test]
fn deep_nesting_is_refused_at_the_level_past_the_limit() {
    let text = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
    let d = parse("deep.yaml", &text).expect_err("too deep");
    assert_eq!(d.errors().len(), 1, "{}", d.render());
    // The top-level map is the first level, so the limit is hit at bracket
    // number MAX_DEPTH, which starts at column 3 + MAX_DEPTH.
    assert_at(&d.errors()[0], 1, 3 + MAX_DEPTH, "nesting deeper than");
}

#[test]
fn an_unknown_top_level_key_lists_the_known_keys() {
    let e = only_error(&[
        "components:",
        "  Count: { annotation: { from: a, to: b, label: CR } }",
        "stream: []",
    ]);
    assert_at(&e, 3, 1, "unknown key `stream` in the top level");
    assert!(
        e.notes()
            .iter()
            .any(|n| n.contains("components, name, requires, coordinate, fds, streams"))
    );
}

#[test]
fn an_unknown_path_key_lists_the_known_keys() {
    let e = only_error(&["Count: { annotation: { from: a, to: b, label: CR, colour: red } }"]);
    assert_at(
        &e,
        1,
        51,
        "unknown key `colour` in a path of component `Count`",
    );
    assert!(
        e.notes()
            .iter()
            .any(|n| n.contains("from, to, label, subscript, gate"))
    );
}

#[test]
fn a_misspelt_top_level_key_without_components_is_a_component_with_a_hint() {
    let e = only_error(&[COUNT, "stream: []"]);
    assert_at(
        &e,
        2,
        9,
        "component `stream` should be a map with an `annotation`",
    );
    assert!(
        e.notes()
            .iter()
            .any(|n| n.contains("name, requires, coordinate, fds, streams"))
    );
}

#[test]
fn unknown_requires_and_coordinate_values_list_the_allowed_ones() {
    let d = reject(&[COUNT, "requires: always", "coordinate: everything"]);
    assert_eq!(d.errors().len(), 2, "{}", d.render());
    assert_has(
        &d,
        2,
        11,
        "`requires` should be one of deterministic, convergent",
    );
    assert_has(&d, 3, 13, "`coordinate` should be one of none, seal, auto");
}

#[test]
fn a_second_document_is_refused() {
    let e = only_error(&[COUNT, "---", COUNT]);
    assert_at(&e, 2, 1, "a second YAML document");
}

#[test]
fn a_custom_tag_is_refused() {
    let e = only_error(&["Count: !thing { annotation: { from: a, to: b, label: CR } }"]);
    assert_at(&e, 1, 15, "unsupported YAML tag `!thing`");
}

#[test]
fn a_key_that_is_not_a_name_is_refused() {
    let e = only_error(&[COUNT, "1: { annotation: { from: b, to: c, label: CR } }"]);
    assert_at(&e, 2, 1, "map keys must be names; found the number `1`");
}

#[test]
fn an_unknown_name_in_the_streams_map_lists_the_streams() {
    let e = only_error(&[COUNT, "streams: { c: { seal: [k] } }"]);
    assert_at(
        &e,
        2,
        12,
        "`streams` annotates `c`, which is neither a source nor an interface",
    );
    assert!(e.notes().iter().any(|n| n.contains("a, b")));
}

#[test]
fn independent_without_seal_is_reported_at_independent() {
    let e = only_error(&[COUNT, "streams: { a: { independent: true } }"]);
    assert_at(&e, 2, 30, "`independent: true` needs a `seal`");
}

#[test]
fn positions_stay_right_after_non_ascii_block_scalars() {
    let e = only_error(&[
        "Count:",
        "  annotation: { from: a, to: b, label: CR }",
        "  inputs: |",
        "    ééééééééééééééééééééééééééééé",
        "  extra: 1",
    ]);
    assert_at(&e, 5, 3, "unknown key `extra`");
}

#[test]
fn positions_are_right_with_crlf_line_ends() {
    let text = "Count:\r\n  annotation: { from: a, to: b, label: CR }\r\n  extra: 1\r\n";
    let d = parse("crlf.yaml", text).expect_err("unknown key");
    assert_at(&d.errors()[0], 3, 3, "unknown key `extra`");
}

#[test]
fn one_bad_annotation_of_several_streams_is_reported_once() {
    let e = only_error(&[
        "A: { annotation: { from: i, to: x, label: CR } }",
        "B: { annotation: { from: x, to: b, label: CR } }",
        "C: { annotation: { from: x, to: c, label: CR } }",
        "streams: { x: { seal: [] } }",
    ]);
    assert_at(&e, 4, 23, "`seal` needs at least one attribute");
}

#[test]
fn errors_in_several_places_are_all_reported_without_cascades() {
    let d = reject(&[
        "Splitter:",
        "  annotation: { from: tweets, to: words, label: XR }",
        "Count:",
        "  annotation: { from: words, to: counts, label: OW, gate: [word], extra: 1 }",
        "streams:",
        "  - { from: tweets, to: Splitter.tweets }",
        "  - { from: Splitter.words, to: Count.words }",
    ]);
    // The streams name interfaces of the broken paths; they are not reported.
    assert_eq!(d.errors().len(), 2, "{}", d.render());
    assert_has(&d, 2, 49, "found the string `XR`");
    assert_has(&d, 4, 67, "unknown key `extra`");
}

#[test]
fn the_report_shows_file_position_snippet_and_hint_in_plain_text() {
    let d = reject(&[
        "Count:",
        "  annotation:",
        "    - { from: a, to: b, label: CR, subscript: [id] }",
    ]);
    let text = d.render();
    assert!(text.contains("bad.yaml:3:47"), "{text}");
    assert!(
        text.contains("    - { from: a, to: b, label: CR, subscript: [id] }"),
        "{text}"
    );
    assert!(text.contains("^^^^ gate on a confluent path"), "{text}");
    assert!(text.ends_with("1 error in bad.yaml\n"), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour codes: {text}");
}

const CASE_FILES: [&str; 4] = [
    include_str!("../cases/wordcount.yaml"),
    include_str!("../cases/wordcount_sealed.yaml"),
    include_str!("../cases/ad_campaign_sealed.yaml"),
    include_str!("../cases/ad_poor.yaml"),
];

/// Characters that matter to YAML, to splice into the case files.
const YAML_CHARS: [char; 22] = [
    ' ', '\n', '\t', '-', ':', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '"', '\'', '#',
    '?', '.', 'x', 'é',
];

/// Whatever `parse` returns, an error has a position and renders.
fn check_returns(text: &str) {
    if let Err(d) = parse("fuzz.yaml", text) {
        assert!(!d.errors().is_empty());
        assert!(d.errors().iter().all(|e| e.line() >= 1 && e.column() >= 1));
        assert!(d.render().contains("fuzz.yaml"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check_returns(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_case_files_never_panic(
        which in 0..CASE_FILES.len(),
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), 0..3u8, prop::sample::select(&YAML_CHARS[..])),
            1..10,
        ),
    ) {
        let mut chars: Vec<char> = CASE_FILES[which].chars().collect();
        for (at, op, c) in edits {
            if chars.is_empty() {
                chars.push(c);
                continue;
            }
            let i = at.index(chars.len());
            match op {
                0 => { chars.remove(i); }
                1 => chars.insert(i, c),
                _ => chars[i] = c,
            }
        }
        check_returns(&chars.into_iter().collect::<String>());
    }
}
