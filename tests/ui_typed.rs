//! Compile-time behaviour of typed dataflows (issue 11): records, typed
//! outputs, components named by path. Regenerate the expected `.stderr`
//! files with `TRYBUILD=overwrite`.

#[test]
fn ui_typed() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/typed/fail/*.rs");
    cases.pass("tests/ui/typed/pass/*.rs");
}
