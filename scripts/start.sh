#!/usr/bin/env bash
# Starts the whole system from a fresh clone: dependencies, local services
# (PostgreSQL, Redis, S3 endpoint), migrations, build, then api + scheduler + worker
# as background processes (logs and PID files under .data/). Stop with scripts/stop.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUN=.data/run
LOGS=.data/logs

bash scripts/bootstrap.sh
# The system's own servers; the step types' test servers (MariaDB, sshd) are for the tests.
bash scripts/services.sh up --core
echo "[start] building"
pnpm exec turbo run build --output-logs=errors-only >/dev/null
# The vecron CLI (apps/cli, built above) is the root's bin: `pnpm exec vecron`, or
# node_modules/.bin on the PATH. pnpm links it at install; relink if the link went missing.
if [ ! -x node_modules/.bin/vecron ]; then pnpm install --frozen-lockfile --offline >/dev/null; fi
if [ -f .env ]; then set -a; . ./.env; set +a; fi
# Apps follow the service ports of scripts/services.sh unless .env says otherwise.
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:${VECRON_PG_PORT:-25432}/vecron}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:${VECRON_REDIS_PORT:-26379}/0}"
export S3_PORT="${S3_PORT:-${VECRON_S3_PORT:-29000}}"
if [ -z "${VARIABLES_ENCRYPTION_KEYS:-}" ]; then
  # Local runs get their own key for sensitive variables (kept with the local data).
  if [ ! -f .data/variables.key ]; then
    node -e "process.stdout.write('local:' + require('crypto').randomBytes(32).toString('base64'))" > .data/variables.key
    chmod 600 .data/variables.key
  fi
  VARIABLES_ENCRYPTION_KEYS="$(cat .data/variables.key)"
  export VARIABLES_ENCRYPTION_KEYS
fi
# One api, scheduler and worker here: their metrics listeners get fixed local ports (.env wins).
export SCHEDULER_METRICS_PORT="${SCHEDULER_METRICS_PORT:-9464}" WORKER_METRICS_PORT="${WORKER_METRICS_PORT:-9465}"
echo "[start] applying migrations"
node apps/api/dist/cli.js migrate

mkdir -p "$RUN" "$LOGS"
start_app() {
  local name=$1
  shift # the rest: node options for this app
  local pidfile="$RUN/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "[start] $name already running (pid $(cat "$pidfile"))"
    return
  fi
  nohup node "$@" "apps/$name/dist/main.js" >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$pidfile"
  echo "[start] $name started (pid $!, log $LOGS/$name.log)"
}
start_app api
start_app scheduler
# The worker's V8 old space is capped (WORKER_MAX_OLD_SPACE_MB, default 192; empty: V8's own
# default): exceljs' XLSX reader makes garbage faster than V8 collects it by default, and the cap
# keeps the worker's peak RSS under 300 MB on large XLSX files (bench/README.md, "File step").
WORKER_MAX_OLD_SPACE_MB="${WORKER_MAX_OLD_SPACE_MB-192}"
start_app worker ${WORKER_MAX_OLD_SPACE_MB:+"--max-old-space-size=$WORKER_MAX_OLD_SPACE_MB"}

PORT="${PORT:-8080}"; HOST="${HOST:-127.0.0.1}"
for _ in $(seq 1 100); do
  if node -e "fetch(process.argv[1]).then(r => process.exit(r.status < 500 ? 0 : 1), () => process.exit(1))" "http://$HOST:$PORT/health"; then break; fi
  if ! kill -0 "$(cat "$RUN/api.pid")" 2>/dev/null; then echo "[start] api exited, see $LOGS/api.log"; tail -20 "$LOGS/api.log"; exit 1; fi
  sleep 0.3
done
for name in scheduler worker; do
  kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null || { echo "[start] $name exited, see $LOGS/$name.log"; tail -20 "$LOGS/$name.log"; exit 1; }
done
echo
echo "vecron is running: http://$HOST:$PORT  (API docs: http://$HOST:$PORT/api/docs, health: http://$HOST:$PORT/health)"
echo "metrics: http://$HOST:$PORT/metrics (api), http://127.0.0.1:$SCHEDULER_METRICS_PORT/metrics (scheduler), http://127.0.0.1:$WORKER_METRICS_PORT/metrics (worker)"
echo "stop it with: bash scripts/stop.sh   (add --services to stop PostgreSQL, Redis and S3 too)"
echo "CLI: pnpm exec vecron --help   (or: export PATH=\"$ROOT/node_modules/.bin:\$PATH\"; vecron login -u <user>)"
