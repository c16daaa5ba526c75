#!/usr/bin/env bash
# Runs every test from a fresh clone: dependencies, local services, build, then one
# jest run over all apps and packages. Ends with the line "N passed, N failed".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
bash scripts/services.sh up
pnpm exec turbo run build lint --output-logs=errors-only
pnpm exec madge --circular --extensions ts --warning apps/*/src packages/*/src >/dev/null || { echo "circular imports found:"; pnpm exec madge --circular --extensions ts apps/*/src packages/*/src; exit 1; }
mkdir -p .data
set +e
pnpm exec jest --ci --json --outputFile=.data/jest-results.json "$@"
code=$?
set -e
node scripts/jest-summary.js .data/jest-results.json
exit $code
