//! Fuzz target `sql_text`: see `fuzz/props.rs` for what it checks.
#![no_main]

#[path = "../props.rs"]
mod props;

libfuzzer_sys::fuzz_target!(|data: &[u8]| props::checked_file("fuzz.sql", data));
