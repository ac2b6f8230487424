/**
 * What the Temporal Web UI shows of a run: a one-line static summary (the task and its
 * description), static details (hashed user and group, run id, an input preview) and, while it
 * runs, current details (the stage, paused or not, subtasks). Written once here for clients
 * (top-level runs) and workflows (subtasks, DAG nodes). Hashed ids only. Workflow-safe.
 */
import type { PipelineStatus } from './pipeline/types';
import { preview } from './plan';

/** What a run's summary and details are made of. */
export interface RunCard {
  task: string;
  runId: string;
  userHash: string;
  groupHash: string;
  input?: unknown;
  /** Set for a subtask or DAG node: what it belongs to, e.g. `subtask 2 of example` or `node load of etl`. */
  role?: string;
}

const short = (hash: string): string => (hash ? `\`${hash.slice(0, 12)}…\`` : '—');

/** One line: `example: Example five-stage task` (a subtask: `subtask 1 of parent · child: …`). */
export function runSummary(card: { task: string; description?: string | undefined; role?: string }): string {
  const head = card.description ? `${card.task}: ${card.description}` : card.task;
  const line = card.role ? `${card.role} · ${head}` : head;
  return line.replace(/\s+/g, ' ').slice(0, 200);
}

/** Markdown lines: run id, hashed user and group, the input's preview. */
export function runDetails(card: RunCard): string {
  const input = preview(card.input, 200);
  return [
    `**run** ${card.runId}`,
    `**user** ${short(card.userHash)} · **group** ${short(card.groupHash)}`,
    ...(input === undefined ? [] : [`**input** \`${input.replace(/`/g, "'")}\``]),
  ].join('\n');
}

/** The run's current details: its state, the stage it is at, paused or not, subtasks. */
export function currentRunDetails(
  status: Pick<PipelineStatus, 'state' | 'paused' | 'currentStage' | 'subtasks'>,
): string {
  const lines = [
    status.state === 'running'
      ? `**stage** ${status.currentStage ?? 'starting'}${status.paused ? ' · **paused**' : ''}`
      : `**state** ${status.state}`,
  ];
  const { total, completed, failed } = status.subtasks;
  if (total > 0) lines.push(`**subtasks** ${completed}/${total} done${failed ? `, ${failed} failed` : ''}`);
  return lines.join('\n');
}
