/**
 * `catalogueWorkflow`: the task catalogue of one task queue, as a long-lived entity workflow
 * (`cascadence-catalogue-<queue>`). It holds every task's flags (disabled, paused), changed by
 * the `setTaskFlags` update (which answers with the new flags) and read by the `catalogue`
 * query or, without a worker, from its memo, which every change rewrites in the same workflow
 * task as the update's answer. Pipeline workflows consult it when they start, so a run of a
 * disabled or paused task is skipped whoever started it (a Schedule, another machine, the API).
 * It also lists the plugin modules registered at run time (`registerPlugin`), which every worker
 * and API server of the queue loads when its own allowlist permits.
 * It continues as new, carrying its state, before its history grows large.
 */
import {
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  proxySinks,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { AuditRecord } from '../core/pipeline';
import {
  applyFlagsPatch,
  validateFlagsPatch,
  validatePluginRecord,
  type CatalogueSnapshot,
  type PluginRecord,
} from '../core/task-flags';
import { toWorkflowFailure } from './failure';
import {
  actionsQuery,
  catalogueQuery,
  recordActionUpdate,
  registerPluginUpdate,
  setTaskFlagsUpdate,
  type AuditSinks,
} from './messages';

const { audit } = proxySinks<AuditSinks>();

/** History length at which the catalogue continues as new (well under Temporal's limits). */
const MAX_HISTORY_EVENTS = 2_000;
/** Admin actions kept per task (the oldest go first). */
const MAX_ACTIONS_PER_TASK = 200;

/** What one catalogue run carries to the next. */
export interface CatalogueState extends CatalogueSnapshot {
  /** Admin actions by task, oldest first. */
  actions: Record<string, AuditRecord[]>;
  /** Admin actions recorded since the catalogue began: the place of the next one in its trail. */
  recorded?: number;
}

/** Runs the catalogue; `state` is what an earlier run carried over (empty at first). */
export async function catalogueWorkflow(state: Partial<CatalogueState> = {}): Promise<void> {
  const flags = { ...(state.flags ?? {}) };
  const actions: Record<string, AuditRecord[]> = { ...(state.actions ?? {}) };
  let version = state.version ?? 0;
  let recorded = state.recorded ?? 0;
  const plugins: PluginRecord[] = [...(state.plugins ?? [])];
  const snapshot = (): CatalogueSnapshot => ({
    version,
    flags: JSON.parse(JSON.stringify(flags)) as CatalogueSnapshot['flags'],
    ...(plugins.length > 0 ? { plugins: plugins.map((p) => ({ ...p })) } : {}),
  });

  setHandler(catalogueQuery, snapshot);
  setHandler(actionsQuery, (task) => [...(actions[task] ?? [])]);
  setHandler(recordActionUpdate, (record) => {
    const trail = (actions[record.task] ??= []);
    trail.push(record);
    // Published like a run's records: its place in the catalogue's trail makes its event id.
    audit.record(record, { workflowId: workflowInfo().workflowId, seq: recorded++ });
    if (trail.length > MAX_ACTIONS_PER_TASK) trail.splice(0, trail.length - MAX_ACTIONS_PER_TASK);
  });
  setHandler(
    registerPluginUpdate,
    (record) => {
      if (plugins.some((p) => p.module === record.module)) return { added: false };
      plugins.push({
        module: record.module,
        ...(record.by === undefined ? {} : { by: record.by }),
        registered_at: new Date().toISOString(),
      });
      upsertMemo({ plugins });
      return { added: true };
    },
    {
      validator: (record) => {
        try {
          validatePluginRecord(record);
        } catch (err) {
          throw toWorkflowFailure(err);
        }
      },
    },
  );
  setHandler(
    setTaskFlagsUpdate,
    (patch) => {
      const change = applyFlagsPatch(flags, patch);
      if (change.changed) {
        version++;
        upsertMemo({ flags, version });
      }
      return change;
    },
    {
      validator: (patch) => {
        try {
          validateFlagsPatch(patch);
        } catch (err) {
          throw toWorkflowFailure(err);
        }
      },
    },
  );

  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS);
  await condition(allHandlersFinished);
  // The next run starts with the flags in its memo too, so a read between the runs sees them.
  const carried = snapshot();
  await makeContinueAsNewFunc<typeof catalogueWorkflow>({ memo: { ...carried } })({ ...carried, actions, recorded });
}
