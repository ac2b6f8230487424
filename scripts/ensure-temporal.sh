#!/usr/bin/env bash
# Finds a Temporal CLI (which bundles the dev server and Web UI) or builds the pinned one.
# Order: $TEMPORAL_CLI_PATH, `temporal` on PATH, <repo>/.tools/bin/temporal, else
# `go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION` into .tools/bin.
# Progress goes to stderr; the binary's path is the only line on stdout.
set -euo pipefail

VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_BIN="$ROOT/.tools/bin"

log() { printf 'ensure-temporal: %s\n' "$*" >&2; }

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
  if works "$TEMPORAL_CLI_PATH"; then echo "$TEMPORAL_CLI_PATH"; exit 0; fi
  log "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH does not run; set it to a Temporal CLI binary or unset it"
  exit 1
fi
if command -v temporal >/dev/null 2>&1 && works "$(command -v temporal)"; then
  command -v temporal
  exit 0
fi
if works "$TOOLS_BIN/temporal"; then
  echo "$TOOLS_BIN/temporal"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "no Temporal CLI found and Go is not installed, so it cannot be built."
  log "install Go 1.23+ (https://go.dev/doc/install) or put a Temporal CLI on PATH (or in TEMPORAL_CLI_PATH), then retry."
  exit 1
fi

mkdir -p "$TOOLS_BIN"
log "building the Temporal CLI $VERSION from its Go module into $TOOLS_BIN (takes a few minutes, once)..."
if ! CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN="$TOOLS_BIN" go install "github.com/temporalio/cli/cmd/temporal@$VERSION" >&2; then
  log "go install github.com/temporalio/cli/cmd/temporal@$VERSION failed (see above)"
  exit 1
fi
if ! works "$TOOLS_BIN/temporal"; then
  log "built $TOOLS_BIN/temporal but it does not run"
  exit 1
fi
log "built $("$TOOLS_BIN/temporal" --version)"
echo "$TOOLS_BIN/temporal"
