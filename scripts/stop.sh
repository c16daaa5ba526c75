#!/usr/bin/env bash
# Stops api, scheduler and worker started by scripts/start.sh (by PID file);
# with --services also stops the local PostgreSQL, Redis and S3 endpoint.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="$ROOT/.data/run"
for name in api scheduler worker; do
  pidfile="$RUN/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    pid=$(cat "$pidfile")
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "[stop] $name stopped"
  fi
  rm -f "$pidfile"
done
if [ "${1:-}" = "--services" ]; then bash "$ROOT/scripts/services.sh" down; fi
