# Sourced by the scripts that run the six-process deployment on this machine: fresh databases
# and a fresh RabbitMQ vhost per run, one `boxoffice` process per service, stopped on exit.
# Reads BIN, PG, RUN, TAG and DB_PARAMS; leaves the processes running with KEEP=1.

pids=()
stop_distributed() {
  if [ "${KEEP:-0}" != 1 ]; then
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for s in users cinema payments booking notifications; do
      psql "$PG/postgres" -qc "drop database if exists ${TAG}_$s with (force)" >/dev/null 2>&1 || true
    done
    rabbitmqctl -q delete_vhost "$TAG" >/dev/null 2>&1 || true
  fi
}

start_distributed() {
  export PGOPTIONS="-c client_min_messages=warning"
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
  export BOXOFFICE_LOG_FORMAT=json RUST_LOG=${RUST_LOG:-warn}
  for s in users cinema payments booking notifications; do
    export "BOXOFFICE_$(echo "$s" | tr a-z A-Z)__DATABASE_URL=$PG/${TAG}_$s$DB_PARAMS"
  done
  export BOXOFFICE_NOTIFICATIONS__EMAIL__KIND=file BOXOFFICE_NOTIFICATIONS__EMAIL__DIR=$RUN/email-outbox

  for s in users cinema payments booking notifications gateway; do
    "$BIN" "$s" >"$RUN/$s.log" 2>&1 &
    pids+=($!)
  done
  for port in 8101 8102 8103 8104 8105 8000; do
    local ready=0
    for _ in $(seq 1 150); do
      if curl -fs "http://127.0.0.1:$port/readyz" >/dev/null; then ready=1; break; fi
      sleep 0.2
    done
    if [ "$ready" != 1 ]; then
      echo "the service on port $port did not become ready; logs in $RUN" >&2
      tail -n 20 "$RUN"/*.log >&2
      return 1
    fi
  done
}
