#!/usr/bin/env bash
# Starts the embedded deployment (`boxoffice all`: every service in one process on SQLite in a
# fresh data directory) as an operator runs it, runs one `boxoffice bench` scenario against its
# gateway from a separate process, then the audit. Reports the all-in-one process's peak
# resident memory (VmHWM) after start-up, after the bench's setup and at the end. Usage:
#   scripts/bench-embedded.sh rush --users 500 --duration 60 --json /tmp/rush.json
# BIN (default target/release/boxoffice), RUN (a scratch dir) and KEEP=1 (leave it running)
# adjust it. Rate limits are off: the bench measures the booking path, not the limiter.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/boxoffice}
RUN=${RUN:-$(mktemp -d /tmp/bo-embedded.XXXXXX)}
mkdir -p "$RUN"
ADMIN_EMAIL=bench-admin@example.com
ADMIN_PASSWORD="bench-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"

export BOXOFFICE_DATA_DIR=$RUN
export BOXOFFICE_GATEWAY__RATE_LIMIT__ENABLED=false
export BOXOFFICE_LOG_FORMAT=json RUST_LOG=${RUST_LOG:-warn}

"$BIN" all >"$RUN/all.log" 2>&1 &
pid=$!
cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then
    kill "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
  fi
}
trap cleanup EXIT
for _ in $(seq 1 200); do
  if curl -fs http://127.0.0.1:8000/readyz >/dev/null; then break; fi
  sleep 0.1
done
peak() { awk '/VmHWM|VmRSS/ {printf "%s %d MB  ", $1, $2/1024} /Threads/ {printf "%s %d", $1, $2}' "/proc/$pid/status"; echo; }
echo "after start-up: $(peak)"
echo "$ADMIN_PASSWORD" | "$BIN" users create-admin --email "$ADMIN_EMAIL" --password-stdin >/dev/null

scenario=$1
shift
BOXOFFICE_BENCH_ADMIN_PASSWORD=$ADMIN_PASSWORD "$BIN" bench "$scenario" \
  --url http://127.0.0.1:8000 --admin-email "$ADMIN_EMAIL" "$@" &
bench=$!
# One sample a second: the bench's setup (registrations, logins) comes first, then the timed
# run, so the samples tell the two apart.
while kill -0 "$bench" 2>/dev/null; do
  echo "$(date +%T) $(peak)" >>"$RUN/memory.log"
  sleep 1
done
wait "$bench"
echo "at the end: $(peak)"
"$BIN" audit
echo "memory samples: $RUN/memory.log; logs and data: $RUN"
