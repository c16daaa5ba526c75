#!/usr/bin/env bash
# Local services for development and tests: PostgreSQL, Redis and an S3 endpoint,
# each as this project's own process on a loopback port, all data under .data/.
#
#   scripts/services.sh up       install what is missing (apt/npm), start what is not running
#   scripts/services.sh up --core  only what the system itself needs (PostgreSQL, Redis, S3), not
#                                  the step types' test servers and tools (scripts/services.d)
#   scripts/services.sh down     stop exactly what `up` started (by PID file)
#   scripts/services.sh status   say what runs where
#
# Ports can be moved with VECRON_PG_PORT, VECRON_REDIS_PORT, VECRON_S3_PORT. The defaults sit
# below Linux's ephemeral range (32768-60999), so outgoing connections never hold them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${VECRON_DATA_DIR:-$ROOT/.data}"
RUN="$DATA/run"
LOGS="$DATA/logs"
PG_PORT="${VECRON_PG_PORT:-25432}"
REDIS_PORT="${VECRON_REDIS_PORT:-26379}"
S3_PORT="${VECRON_S3_PORT:-29000}"
PG_DATABASES="${VECRON_PG_DATABASES:-vecron vecron_test}"

log() { printf '[services] %s\n' "$*"; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt)"
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pg_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$dir" ] || die "PostgreSQL binaries not found under /usr/lib/postgresql"
  echo "$dir"
}

alive() { [ -f "$1" ] && kill -0 "$(head -1 "$1")" 2>/dev/null; }

# Run a command as the postgres system user when we are root (initdb refuses root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port PORT NAME [PIDFILE]: waits for the port; stops early when the process died.
wait_port() {
  local port=$1 name=$2 pidfile=${3:-} i
  for i in $(seq 1 300); do
    port_open "$port" && return 0
    if [ -n "$pidfile" ] && ! alive "$pidfile"; then
      die "$name exited before opening port $port (is the port taken?): $(tail -3 "$LOGS/$name.log" 2>/dev/null | tr '\n' ' ')"
    fi
    sleep 0.1
  done
  die "$name did not open port $port (see $LOGS)"
}

postgres_up() {
  apt_install postgresql
  local bin pgdata="$DATA/postgres"
  bin="$(pg_bin)"
  mkdir -p "$pgdata" "$RUN/pg"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$pgdata" "$RUN/pg"; chmod 700 "$pgdata"; fi
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    log "initialising PostgreSQL in $pgdata"
    as_pg "$bin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$LOGS/postgres-init.log" 2>&1 \
      || die "initdb failed, see $LOGS/postgres-init.log"
  fi
  if [ -f "$pgdata/postmaster.pid" ] && kill -0 "$(head -1 "$pgdata/postmaster.pid")" 2>/dev/null; then
    log "postgres already running (pid $(head -1 "$pgdata/postmaster.pid"))"
  else
    touch "$LOGS/postgres.log"; [ "$(id -u)" = 0 ] && chown postgres "$LOGS/postgres.log"
    as_pg "$bin/pg_ctl" -D "$pgdata" -l "$LOGS/postgres.log" -w -t 60 start \
      -o "-p $PG_PORT -k $RUN/pg -c listen_addresses=127.0.0.1 -c max_connections=300 ${VECRON_PG_OPTIONS:-}" >/dev/null \
      || die "postgres did not start, see $LOGS/postgres.log"
    log "postgres started on 127.0.0.1:$PG_PORT"
  fi
  head -1 "$pgdata/postmaster.pid" >"$RUN/postgres.pid"
  for db in $PG_DATABASES; do
    if ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "select 1 from pg_database where datname='$db'" | grep -q 1; then
      psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "create database \"$db\"" >/dev/null
      log "created database $db"
    fi
  done
}

postgres_down() {
  local pgdata="$DATA/postgres"
  if [ -f "$pgdata/postmaster.pid" ] && kill -0 "$(head -1 "$pgdata/postmaster.pid")" 2>/dev/null; then
    as_pg "$(pg_bin)/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null && log "postgres stopped"
  fi
  rm -f "$RUN/postgres.pid"
}

redis_up() {
  apt_install redis-server
  mkdir -p "$DATA/redis"
  if alive "$RUN/redis.pid"; then log "redis already running (pid $(cat "$RUN/redis.pid"))"; return; fi
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$DATA/redis" --daemonize yes \
    --pidfile "$RUN/redis.pid" --logfile "$LOGS/redis.log" --save 60 1000 --appendonly no >/dev/null
  wait_port "$REDIS_PORT" redis
  log "redis started on 127.0.0.1:$REDIS_PORT"
}

redis_down() {
  if alive "$RUN/redis.pid"; then kill "$(cat "$RUN/redis.pid")"; log "redis stopped"; fi
  rm -f "$RUN/redis.pid"
}

s3_up() {
  [ -d "$ROOT/node_modules/@20minutes/s3rver" ] || die "node modules missing: run 'pnpm install' first (scripts/bootstrap.sh does)"
  mkdir -p "$DATA/s3"
  if alive "$RUN/s3.pid"; then log "s3 endpoint already running (pid $(cat "$RUN/s3.pid"))"; return; fi
  S3_SERVER_PORT="$S3_PORT" S3_SERVER_DIR="$DATA/s3" nohup node "$ROOT/scripts/s3-server.js" >>"$LOGS/s3.log" 2>&1 &
  echo $! >"$RUN/s3.pid"
  wait_port "$S3_PORT" s3 "$RUN/s3.pid"
  log "s3 endpoint started on http://127.0.0.1:$S3_PORT (access key S3RVER)"
}

s3_down() {
  if alive "$RUN/s3.pid"; then kill "$(cat "$RUN/s3.pid")"; log "s3 endpoint stopped"; fi
  rm -f "$RUN/s3.pid"
}

status_line() {
  local name=$1 pidfile=$2 where=$3 port=$4
  if alive "$pidfile"; then
    if port_open "$port"; then printf '%-12s running  pid %-8s %s\n' "$name" "$(head -1 "$pidfile")" "$where"
    else printf '%-12s running  pid %-8s but not answering on port %s (started with other ports?)\n' "$name" "$(head -1 "$pidfile")" "$port"; fi
  else printf '%-12s stopped\n' "$name"; fi
}

# What the step types' integration tests need (servers, tools): one file NAME.sh each in
# scripts/services.d/, defining NAME_up, NAME_down and NAME_status.
EXTRA=()
for f in "$ROOT"/scripts/services.d/*.sh; do . "$f"; EXTRA+=("$(basename "$f" .sh)"); done
extra() { local n; for n in "${EXTRA[@]}"; do "${n}_$1"; done; }
extra_down() { local i; for ((i=${#EXTRA[@]}-1; i>=0; i--)); do "${EXTRA[$i]}_down"; done; }

mkdir -p "$RUN" "$LOGS"
chmod 755 "$DATA" "$LOGS" 2>/dev/null || true
case "${1:-}" in
  up) postgres_up; redis_up; s3_up; [ "${2:-}" = --core ] || extra up ;;
  down) extra_down; s3_down; redis_down; postgres_down ;;
  status)
    [ -f "$DATA/postgres/postmaster.pid" ] && head -1 "$DATA/postgres/postmaster.pid" >"$RUN/postgres.pid" 2>/dev/null || true
    status_line postgres "$RUN/postgres.pid" "postgres://postgres@127.0.0.1:$PG_PORT" "$PG_PORT"
    status_line redis "$RUN/redis.pid" "redis://127.0.0.1:$REDIS_PORT" "$REDIS_PORT"
    status_line s3 "$RUN/s3.pid" "http://127.0.0.1:$S3_PORT" "$S3_PORT"
    extra status ;;
  *) echo "usage: $0 up [--core]|down|status" >&2; exit 2 ;;
esac
