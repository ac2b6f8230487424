#!/usr/bin/env bash
# The benchmarks (bench/README.md): installs what is missing (node_modules, the Temporal CLI),
# builds, then runs each benchmark in its own Node process. Each prints tables and writes
# bench/results/<name>.json. Targets are printed as information; nothing here fails on time.
#   npm run bench                       # all of them
#   npm run bench -- pipeline-base      # only the named ones (pipeline-temporal, pipeline-base, cli-startup, dag, events-nats, api-run, worker-memory)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ALL=(pipeline-temporal pipeline-base cli-startup dag events-nats api-run worker-memory)
if [ "$#" -gt 0 ]; then SELECTED=("$@"); else SELECTED=("${ALL[@]}"); fi
for name in "${SELECTED[@]}"; do
  if [ ! -f "bench/$name.ts" ]; then
    echo "bench: no benchmark named $name (have: ${ALL[*]})" >&2
    exit 2
  fi
done

# node_modules (npm ci when missing or stale), the Temporal CLI, then the build.
bash scripts/prepare.sh
# events-nats publishes to a real nats-server (Debian's, with JetStream).
if [[ " ${SELECTED[*]} " == *" events-nats "* ]] && ! command -v nats-server >/dev/null 2>&1; then
  echo "bench: installing nats-server (apt-get)..."
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq nats-server >/dev/null
fi

started=$SECONDS
for name in "${SELECTED[@]}"; do
  echo
  echo "=== $name ==="
  t0=$SECONDS
  # --expose-gc: pipeline-base samples memory after a full collection.
  node --expose-gc -r ts-node/register/transpile-only "bench/$name.ts"
  echo "($name took $((SECONDS - t0)) s)"
done
echo
echo "=== report ==="
# One table of every figure with its baseline and target; bench/results/latest.json and latest.svg.
node -r ts-node/register/transpile-only bench/report.ts
echo "bench: done in $((SECONDS - started)) s; results in bench/results/"
