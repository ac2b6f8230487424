#!/usr/bin/env bash
# The full reliability suite (README, "Reliability"): the fault and fuzz tests of the
# integration project at full size. `npm test` runs the same files trimmed.
#   npm run test:reliability
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/prepare.sh
export CASCADENCE_FUZZ_RUNS="${CASCADENCE_FUZZ_RUNS:-10000}" CASCADENCE_RELIABILITY=full
npx jest test/unit/fuzz test/unit/schedules/cron.test.ts test/unit/schedules/file.test.ts \
  test/unit/core/condition.test.ts test/unit/core/context.test.ts test/unit/core/duration.test.ts \
  test/integration/fuzz-api.test.ts test/integration/events-faults.test.ts test/integration/worker-crash.test.ts \
  test/integration/worker-heartbeat.test.ts test/integration/worker-kill-random.test.ts \
  test/integration/server-restart.test.ts test/integration/cronyx-outage.test.ts "$@"
