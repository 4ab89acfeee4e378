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
export PGOPTIONS="-c client_min_messages=warning"
ADMIN_EMAIL=bench-admin@example.com
# PostgreSQL runs on this machine: TLS on loopback would only measure encryption. Set
# DB_PARAMS="" (or "?sslmode=require") to measure with it.
DB_PARAMS=${DB_PARAMS-?sslmode=disable}
ADMIN_PASSWORD="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"

pids=()
cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
  fi
}
trap cleanup EXIT

for s in users cinema payments booking notifications; do
  psql "$PG/postgres" -qc "drop database if exists ${TAG}_$s with (force)" >/dev/null
  psql "$PG/postgres" -qc "create database ${TAG}_$s" >/dev/null
  if [ "${LOG_STATEMENTS:-0}" = 1 ]; then
    # Every statement with its duration in the server log: for counting round trips per booking.
    psql "$PG/postgres" -qc "alter database ${TAG}_$s set log_min_duration_statement = 0" >/dev/null
  fi
done
rabbitmqctl -q add_vhost "$TAG" >/dev/null
rabbitmqctl -q set_permissions -p "$TAG" guest '.*' '.*' '.*' >/dev/null

export BOXOFFICE_DATA_DIR=$RUN
export BOXOFFICE_AMQP_URL="amqp://guest:guest@127.0.0.1:5672/$TAG"
export BOXOFFICE_REDIS_URL=redis://127.0.0.1:6379
export BOXOFFICE_GATEWAY__RATE_LIMIT__ENABLED=false
export BOXOFFICE_LOG_FORMAT=json RUST_LOG=${RUST_LOG:-warn}
for s in users cinema payments booking notifications; do
  export "BOXOFFICE_$(echo "$s" | tr a-z A-Z)__DATABASE_URL=$PG/${TAG}_$s$DB_PARAMS"
done
export BOXOFFICE_NOTIFICATIONS__EMAIL__KIND=file BOXOFFICE_NOTIFICATIONS__EMAIL__DIR=$RUN/email

for s in users cinema payments booking notifications gateway; do
  "$BIN" "$s" >"$RUN/$s.log" 2>&1 &
  pids+=($!)
done
for port in 8101 8102 8103 8104 8105 8000; do
  for _ in $(seq 1 100); do
    if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null; then break; fi
    sleep 0.2
  done
done
echo "$ADMIN_PASSWORD" | "$BIN" users create-admin --email "$ADMIN_EMAIL" --password-stdin >/dev/null

scenario=$1
shift
BOXOFFICE_BENCH_ADMIN_PASSWORD=$ADMIN_PASSWORD "$BIN" bench "$scenario" \
  --url http://127.0.0.1:8000 --admin-email "$ADMIN_EMAIL" "$@"
"$BIN" audit
echo "logs and data: $RUN"
