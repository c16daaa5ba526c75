#!/usr/bin/env bash
# Runs every test from a fresh clone: dependencies, local services, build, typecheck,
# lint (eslint + circular imports), then one jest run over all apps, packages and the
# system tests. Ends with the line "N passed, N failed".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
bash scripts/services.sh up

# Where the tests find the local services (scripts/services.sh ports).
PG_PORT="${VECRON_PG_PORT:-25432}"
export VECRON_TEST_PG_ADMIN_URL="${VECRON_TEST_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:$PG_PORT/postgres}"
export VECRON_TEST_DATABASE_URL="${VECRON_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:$PG_PORT/vecron_test}"
export VECRON_TEST_S3_PORT="${VECRON_TEST_S3_PORT:-${VECRON_S3_PORT:-29000}}"
export VECRON_TEST_S3_ENDPOINT="${VECRON_TEST_S3_ENDPOINT:-http://127.0.0.1:$VECRON_TEST_S3_PORT}"
export VECRON_TEST_MYSQL_URL="${VECRON_TEST_MYSQL_URL:-mysql://vecron:vecron@127.0.0.1:${VECRON_MYSQL_PORT:-23306}/vecron_target_test}"
export VECRON_TEST_SFTP_PORT="${VECRON_TEST_SFTP_PORT:-${VECRON_SFTP_PORT:-22222}}"
export VECRON_TEST_SFTP_DIR="${VECRON_TEST_SFTP_DIR:-${VECRON_DATA_DIR:-$ROOT/.data}/sshd}"
if [ -n "${VECRON_REDIS_PORT:-}" ]; then export VECRON_TEST_REDIS_URL="${VECRON_TEST_REDIS_URL:-redis://127.0.0.1:$VECRON_REDIS_PORT/1}"; fi

echo "[test] build, typecheck, lint"
pnpm exec turbo run build typecheck lint --output-logs=errors-only
if ! pnpm exec madge --circular --extensions ts apps/*/src packages/*/src >/dev/null 2>&1; then
  echo "circular imports found:"
  pnpm exec madge --circular --extensions ts apps/*/src packages/*/src
  exit 1
fi

echo "[test] jest"
mkdir -p .data
rm -f .data/jest-results.json
set +e
# --forceExit: a leaked handle must never hang CI; results are already written by then.
pnpm exec jest --ci --forceExit --json --outputFile=.data/jest-results.json "$@"
code=$?
set -e
node scripts/jest-summary.js .data/jest-results.json
exit $code
