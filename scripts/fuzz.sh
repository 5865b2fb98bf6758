#!/usr/bin/env bash
# Runs every fuzz target for a fixed time (default 60 s each; first argument
# to change it) from the kept seeds. Needs cargo-fuzz and a nightly toolchain:
#   rustup toolchain install nightly && cargo install cargo-fuzz
# New inputs go to fuzz/corpus/ (not kept); a crash is written to
# fuzz/artifacts/<target>/ and stops the script. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
# The case files are seeds too (tests/fuzz_seeds.rs replays the same folders).
declare -A cases=([wire_frame]="" [greybox_yaml]="../cases" [sql_text]="../cases/sql ../cases/sql/errors")
for target in wire_frame greybox_yaml sql_text; do
    mkdir -p "corpus/$target"
    # shellcheck disable=SC2086 # the case folders are separate arguments
    cargo +nightly fuzz run -O "$target" "corpus/$target" "seeds/$target" ${cases[$target]} -- \
        -max_total_time="$seconds" -max_len=4096 -print_final_stats=1
done
