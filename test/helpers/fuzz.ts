/**
 * How many cases a fast-check property runs: its trimmed count in `npm test`, 10,000 in the full
 * reliability suite (`npm run test:reliability` sets CASCADENCE_RELIABILITY=full).
 */
export function fuzzRuns(trimmed: number): number {
  return process.env.CASCADENCE_RELIABILITY === 'full' ? 10_000 : trimmed;
}
