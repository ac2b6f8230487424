#!/usr/bin/env bash
# The quick start: install dependencies, find or build the Temporal CLI, build, then start a
# dev server with its Web UI and a worker, run the example pipeline and print its result and
# the Web UI link to the run. Keeps running until Ctrl+C (pass --exit to stop after the run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/prepare.sh
exec node bin/run.js dev --run-example "$@"
