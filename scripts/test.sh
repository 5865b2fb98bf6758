#!/usr/bin/env bash
# The project's test command (README, "Set-up"): formatting, lints, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# The distributed tests start nats-server and ZooKeeper (installed if missing).
bash scripts/install-servers.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
