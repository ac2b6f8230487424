#!/usr/bin/env bash
# Shared by the quick start and the tests: installs dependencies from the lock file when they
# are missing or stale, finds or builds the Temporal CLI, and builds the project.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "prepare: installing dependencies (npm install, from the lock file)..."
  npm install --no-audit --no-fund
fi
bash scripts/ensure-temporal.sh >/dev/null
npm run --silent build
