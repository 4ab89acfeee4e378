#!/usr/bin/env bash
# The whole test suite: the workspace's Rust tests, then the shop and the back office in a real browser
# (Debian's Chromium driven by playwright-core, tests/web). Needs the servers the README names
# and, for the browser tests, /usr/bin/chromium and `npm ci` in tests/web (.ci/run does both).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo nextest run --workspace --locked --no-fail-fast "$@"

# The browser tests drive the debug binary the Rust tests built.
cargo build --locked --bin boxoffice
if [ ! -x /usr/bin/chromium ] || [ ! -d tests/web/node_modules/playwright-core ]; then
  echo "browser tests need /usr/bin/chromium and 'npm ci' in tests/web (see .ci/run)" >&2
  exit 1
fi
npm --prefix tests/web test

# The back office again, against the six-process deployment on PostgreSQL, RabbitMQ and Redis.
BIN="${CARGO_TARGET_DIR:-target}/debug/boxoffice" scripts/web-distributed.sh admin.test.js
