#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing (node_modules, the
# Temporal CLI), builds, type-checks, lints, runs the example Cronyx plugins' own tests, then
# the unit, replay and integration projects (the integration project starts its own Temporal
# dev server and builds the plugins it drives). Ends with one `N passed, N failed` line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/prepare.sh
# Tools some tests drive for real: Graphviz renders the DOT diagrams, tmux is the terminal of the TTY test,
# Compose validates docker-compose.yml, nats-server (JetStream) receives the events, Chromium
# renders the dashboard.
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
# Compose checks docker-compose.yml (`docker compose config`); Debian's docker-compose when the plugin is absent.
{ docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; } || missing+=(docker-compose)
# The dashboard's browser test drives Debian's Chromium through playwright-core (nothing is downloaded).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test: installing ${missing[*]} (apt-get)..."
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "test: type-checking and linting..."
npx tsc --noEmit
npx eslint .
if [ $# -eq 0 ]; then
  echo "test: the example Cronyx plugins' own tests (go test, cargo test)..."
  (cd examples/go-plugin && CGO_ENABLED=0 GOTOOLCHAIN=local go test ./...)
  (cd examples/rust-plugin && cargo test --quiet)
fi
mkdir -p .cascadence
results=.cascadence/jest-results.json
# A failing global teardown (the replay gate over the suite's histories) leaves no results: never report an old run's.
rm -f "$results"
status=0
npx jest --json --outputFile="$results" "$@" || status=$?
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  ' "$PWD/$results" || true
else
  echo "jest: no results (a global setup or teardown failed: see above)"
fi
exit "$status"
