#!/usr/bin/env bash
# Generates every secret the compose deployment (compose.yaml) reads, into ./secrets/ (or the
# directory given as the first argument), which is gitignored. Existing files are kept, so
# running it again never changes a password a volume already holds; delete the directory (and
# `docker compose down -v`) to start over. Needs openssl for the Ed25519 signing key.
#
# The directory is 0700 so that other users of this host cannot read it; the files inside are
# 0644 because compose bind-mounts them into containers whose users (postgres, the nonroot
# boxoffice user, Prometheus's nobody) are not the operator.
set -euo pipefail
dir=${1:-"$(cd "$(dirname "$0")/.." && pwd)/secrets"}
mkdir -p "$dir"
chmod 0700 "$dir"

services=(users cinema payments booking notifications)

random() { openssl rand -hex 24; }

# write NAME CONTENT: creates $dir/NAME unless it exists.
write() {
  local path="$dir/$1"
  if [ ! -e "$path" ]; then
    (umask 022 && printf '%s\n' "$2" >"$path.tmp" && mv "$path.tmp" "$path")
  fi
}

# value NAME: a generated value, stable across runs (kept in its own file).
value() {
  write "$1" "$(random)"
  tr -d '\n' <"$dir/$1"
}

write postgres-password "$(random)"
for s in "${services[@]}"; do value "db-password-$s" >/dev/null; done
amqp_password=$(value amqp-password)
redis_password=$(value redis-password)
value payments-service-token >/dev/null
value cinema-service-token >/dev/null
value gateway-metrics-token >/dev/null
value grafana-admin-password >/dev/null
value pgadmin-password >/dev/null

if [ ! -e "$dir/users-signing-key" ]; then
  (umask 022 && openssl genpkey -algorithm ed25519 -out "$dir/users-signing-key.tmp" \
    && chmod 0644 "$dir/users-signing-key.tmp" \
    && mv "$dir/users-signing-key.tmp" "$dir/users-signing-key")
fi

write rabbitmq.conf "default_user = boxoffice
default_pass = $amqp_password
default_vhost = boxoffice"
write redis.conf "requirepass $redis_password"
write redis-commander.env "REDIS_HOST=redis
REDIS_PORT=6379
REDIS_PASSWORD=$redis_password"

# One settings file per service (`boxoffice --config`): the URLs that carry a password.
amqp_url="amqp://boxoffice:$amqp_password@rabbitmq:5672/boxoffice"
redis_url="redis://:$redis_password@redis:6379"
for s in "${services[@]}"; do
  db_password=$(tr -d '\n' <"$dir/db-password-$s")
  write "$s.toml" "amqp_url = \"$amqp_url\"
redis_url = \"$redis_url\"

[$s]
database_url = \"postgres://$s:$db_password@postgres:5432/$s?sslmode=disable\""
done
write gateway.toml "redis_url = \"$redis_url\""

echo "secrets in $dir"
