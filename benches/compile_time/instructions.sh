#!/usr/bin/env bash
# The steady measure of benches/compile_time: the instructions of the one
# `rustc` invocation of an incremental `cargo check` of a generated crate
# (valgrind's cachegrind, no cache simulation), the source touched before
# each check, as in run.sh.
#
# Usage (after run.sh generated the crates):
#   benches/compile_time/instructions.sh [CRATE..]
#   CRATE   a crate directory under BENCH_DIR (default: bench_annotated
#           bench_plain, then the same two with the recommended profile,
#           bench_annotated_recommended bench_plain_recommended)
# Environment: BENCH_DIR (default: target/compile-time-bench in the repo),
# the one run.sh used. Prints one line per crate: its name and the
# instructions of the second of two measured re-checks (the first after a
# plain re-check that brings the incremental cache up to date).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bench_dir="${BENCH_DIR:-$repo/target/compile-time-bench}"
export CARGO_TARGET_DIR="$bench_dir/target"
command -v valgrind > /dev/null || { echo "instructions.sh needs valgrind" >&2; exit 1; }
(($# > 0)) || set -- bench_annotated bench_plain bench_annotated_recommended bench_plain_recommended

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A RUSTC_WRAPPER that runs the generated crate's rustc under cachegrind
# and every other rustc (none, once the dependencies are built) as it is.
cat > "$work/wrapper.sh" <<'WRAPPER'
#!/usr/bin/env bash
rustc="$1"; shift
case " $* " in
    *" --crate-name $BLAZES_CT_CRATE "*)
        exec valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
            --log-file="$BLAZES_CT_LOG" "$rustc" "$@" ;;
    *) exec "$rustc" "$@" ;;
esac
WRAPPER
chmod +x "$work/wrapper.sh"

for crate in "$@"; do
    dir="$bench_dir/$crate"
    [[ -f "$dir/Cargo.toml" ]] || { echo "no crate $dir (run run.sh first)" >&2; exit 1; }
    name="$(sed -n 's/^name = "\(.*\)"$/\1/p' "$dir/Cargo.toml" | head -n 1)"
    touch "$dir/src/lib.rs"
    cargo check --quiet --manifest-path "$dir/Cargo.toml"
    for _ in 1 2; do
        touch "$dir/src/lib.rs"
        BLAZES_CT_CRATE="${name//-/_}" BLAZES_CT_LOG="$work/log" RUSTC_WRAPPER="$work/wrapper.sh" \
            cargo check --quiet --manifest-path "$dir/Cargo.toml"
    done
    refs="$(sed -n 's/.*I *refs: *//p' "$work/log" | tr -d ,)"
    awk -v c="$crate" -v r="$refs" 'BEGIN { printf "%s %.4f G\n", c, r / 1e9 }'
done
