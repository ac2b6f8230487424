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
if [ $# -eq 0 ]; then
  echo "test: the example Cronyx plugins' own tests (go test, cargo test)..."
  (cd examples/go-plugin && CGO_ENABLED=0 GOTOOLCHAIN=local go test ./...)
  (cd examples/rust-plugin && cargo test --quiet)
fi
