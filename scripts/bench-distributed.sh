#!/usr/bin/env bash
# Starts the distributed deployment (six `boxoffice` processes on PostgreSQL, RabbitMQ and Redis,
# fresh databases and a fresh vhost each run) and runs one `boxoffice bench` scenario against its
# gateway, then the audit of the five databases. Usage:
#   scripts/bench-distributed.sh single --users 8 --duration 20 --json /tmp/single.json
# BIN (default target/release/boxoffice), PG (postgres://postgres@127.0.0.1), RUN (a scratch dir)
# and KEEP=1 (leave the services running) adjust it. Rate limits are off: the bench measures
# the booking path, not the limiter.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/boxoffice}
PG=${PG:-postgres://postgres@127.0.0.1}
RUN=${RUN:-$(mktemp -d /tmp/bo-bench.XXXXXX)}
TAG=bo_bench_$$
mkdir -p "$RUN"
ADMIN_EMAIL=bench-admin@example.com
# PostgreSQL runs on this machine: TLS on loopback would only measure encryption. Set
# DB_PARAMS="" (or "?sslmode=require") to measure with it.
DB_PARAMS=${DB_PARAMS-?sslmode=disable}
ADMIN_PASSWORD="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"

# shellcheck source=lib/distributed.sh
. "$(dirname "$0")/lib/distributed.sh"
trap stop_distributed EXIT
export BOXOFFICE_GATEWAY__RATE_LIMIT__ENABLED=false
start_distributed
echo "$ADMIN_PASSWORD" | "$BIN" users create-admin --email "$ADMIN_EMAIL" --password-stdin >/dev/null

scenario=$1
shift
BOXOFFICE_BENCH_ADMIN_PASSWORD=$ADMIN_PASSWORD "$BIN" bench "$scenario" \
  --url http://127.0.0.1:8000 --admin-email "$ADMIN_EMAIL" "$@"
"$BIN" audit
echo "logs and data: $RUN"
