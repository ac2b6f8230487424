/**
 * The hand-written minimal baseline of `bench/pipeline-temporal.ts`: one workflow calling five
 * no-op activities in sequence, with the same timeout and retry defaults as Cascadence's
 * stages, and nothing else (no local activity, no queries, no sinks, no search attributes).
 * Workflow-safe: imports only `@temporalio/workflow` and activity types.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './activities';

const { intake, research, plan, run, verify } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '5m',
  retry: { maximumAttempts: 3, initialInterval: 1000, backoffCoefficient: 2 },
});

/** Five activities in sequence; returns verify's result. */
export async function baselineWorkflow(input: unknown): Promise<string> {
  await intake({ step: 'intake', input });
  await research({ step: 'research', input });
  await plan({ step: 'plan', input });
  await run({ step: 'run', input });
  return verify({ step: 'verify', input });
}
