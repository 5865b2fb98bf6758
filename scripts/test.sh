#!/usr/bin/env bash
# The project's test command (README, "Set-up"): formatting, lints, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# A one-shot check: no incremental caches, and debug info reduced to line
# tables (backtraces keep their file and line). A clean run then peaks at
# about 10 GB of disk (9.7 GB measured); with full debug info and incremental
# caches a CI run ran out of disk.
export CARGO_INCREMENTAL=0
export CARGO_PROFILE_DEV_DEBUG=line-tables-only
# The distributed tests start nats-server and ZooKeeper (installed if missing).
bash scripts/install-servers.sh
cargo fmt --all -- --check
# A library user compiles what they use: no NATS, ZooKeeper or clap by
# default, and each server's client builds without the other's.
cargo clippy -p blazes --lib --no-default-features -- -D warnings
cargo clippy -p blazes --lib --no-default-features --features nats -- -D warnings
cargo clippy -p blazes --lib --no-default-features --features zookeeper -- -D warnings
if cargo tree -p blazes -e normal --no-default-features | grep -E 'async-nats|zookeeper-client|clap|sqlparser'; then
    echo "the default build of the library depends on a server client, clap or sqlparser" >&2
    exit 1
fi
# Everything else (the CLI, the distributed tests, examples and benches)
# with every feature.
cargo clippy --workspace --all-targets --all-features -- -D warnings
# The rustdoc of every crate, its links checked.
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --all-features
cargo test --workspace --all-features
# The library without its optional features (e.g. a `.sql` file refused
# with the feature to enable, not misread as YAML).
cargo test -p blazes --lib --no-default-features -- report::
