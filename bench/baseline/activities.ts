/**
 * The hand-written baseline's activities: five no-ops returning small constants, like the
 * stages of the benchmark's no-op task. Node-side; the baseline workflow imports them as types only.
 */

/** Input of each baseline activity: a small object, like a stage call's. */
export interface BaselineCall {
  step: string;
  input: unknown;
}

/** Creates the five no-op activities. */
export function createBaselineActivities() {
  return {
    async intake(_call: BaselineCall): Promise<string> {
      return 'intake';
    },
    async research(_call: BaselineCall): Promise<string> {
      return 'research';
    },
    async plan(_call: BaselineCall): Promise<string> {
      return 'plan';
    },
    async run(_call: BaselineCall): Promise<string> {
      return 'run';
    },
    async verify(_call: BaselineCall): Promise<string> {
      return 'ok';
    },
  };
}

/** The activities' type, for `proxyActivities`. */
export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
