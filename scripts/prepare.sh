#!/usr/bin/env bash
# Shared by the quick start and the tests: installs dependencies from the lock file when they
# are missing or stale, finds or builds the Temporal CLI, and builds the project.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# `npm ci` installs exactly the lock (which holds every platform's optional packages, so it works on
# Linux, macOS and in the Docker build alike); `npm install` only when there is no lock to follow.
if [ ! -f package-lock.json ]; then
  echo "prepare: no package-lock.json; installing with npm install..."
  npm install --no-audit --no-fund
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "prepare: installing dependencies (npm ci, from the lock file)..."
  npm ci --no-audit --no-fund
fi
bash scripts/ensure-temporal.sh >/dev/null
npm run --silent build
