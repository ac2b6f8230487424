#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing (node_modules, the
# Temporal CLI), builds, type-checks, lints, then runs the unit, replay and integration
# projects. The integration project starts its own Temporal dev server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/prepare.sh
echo "test: type-checking and linting..."
npx tsc --noEmit
npx eslint .
npx jest "$@"
