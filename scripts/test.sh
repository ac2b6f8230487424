#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing (node_modules, the
# Temporal CLI), builds, type-checks, lints, then runs the unit, replay and integration
# projects. The integration project starts its own Temporal dev server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "test: installing dependencies (npm install, from the lock file)..."
  npm install --no-audit --no-fund
fi
bash scripts/ensure-temporal.sh >/dev/null
echo "test: building, type-checking and linting..."
npm run --silent build
npx tsc --noEmit
npx eslint .
npx jest "$@"
