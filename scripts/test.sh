#!/usr/bin/env bash
# The whole test suite: the workspace's Rust tests, then the shop and the back office in a real browser
# (Debian's Chromium driven by playwright-core, tests/web), then schemathesis against the OpenAPI
# document. Needs the servers the README names and, for the browser tests, /usr/bin/chromium and
# `npm ci` in tests/web; the deployment and API checks need the tools .ci/run installs (Debian's
# prometheus and docker-compose, kubectl, and the venv of .ci/tools-requirements.txt on PATH).
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

# The running system against its OpenAPI document (schemathesis and openapi-spec-validator from
# PyPI: .ci/run installs them, see .ci/tools-requirements.txt).
BIN="${CARGO_TARGET_DIR:-target}/debug/boxoffice" scripts/schemathesis.sh

# The back office again, against the six-process deployment on PostgreSQL, RabbitMQ and Redis.
BIN="${CARGO_TARGET_DIR:-target}/debug/boxoffice" scripts/web-distributed.sh admin.test.js
