//! Compile-time behaviour of the macros: what fails the build, with which
//! message and span, and what compiles cleanly under `#![deny(warnings)]`.
//! Regenerate the expected `.stderr` files with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
