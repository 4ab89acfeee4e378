#!/usr/bin/env bash
# The browser tests of the back office (tests/web/admin.test.js) against the six-process
# deployment instead of `boxoffice all`: PostgreSQL, RabbitMQ and Redis, fresh databases and
# vhost, the demo loaded through the gateway with `boxoffice seed demo`. Usage:
#   scripts/web-distributed.sh [test files, default admin.test.js]
# BIN (default target/debug/boxoffice), PG, RUN and KEEP=1 as in bench-distributed.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/debug/boxoffice}
PG=${PG:-postgres://postgres@127.0.0.1}
RUN=${RUN:-$(mktemp -d /tmp/bo-web.XXXXXX)}
TAG=bo_web_$$
DB_PARAMS=${DB_PARAMS-?sslmode=disable}
mkdir -p "$RUN"

# shellcheck source=lib/distributed.sh
. "$(dirname "$0")/lib/distributed.sh"
trap stop_distributed EXIT
start_distributed
"$BIN" seed demo --url http://127.0.0.1:8000 >/dev/null

files=("$@")
if [ ${#files[@]} -eq 0 ]; then files=(admin.test.js); fi
# support.js uses this deployment instead of starting `boxoffice all`.
BOXOFFICE_SHOP_URL=http://127.0.0.1:8000 BOXOFFICE_SHOP_DIR=$RUN BOXOFFICE_BIN=$BIN \
  npm --prefix tests/web test -- "${files[@]}"
"$BIN" audit
