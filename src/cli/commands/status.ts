import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command';
import type { DagStatus, PipelineStatus } from '../../core';

export default class Status extends BaseCommand<typeof Status> {
  static override summary =
    "Show a run's status: current stage, paused or not, each stage's outcome and time, subtasks.";
  static override examples = [
    '<%= config.bin %> status 6584aac0-d4c9-4a9d-8983-925f08f49bd2',
    '<%= config.bin %> status 6584aac0-d4c9-4a9d-8983-925f08f49bd2 --json',
  ];
  static override args = { 'run-id': Args.string({ description: 'Run id (or workflow id).', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Status);
    const status = await this.withCapability('operate', (b) => b.status(args['run-id']));
    if (this.flags.json) return this.printJson(status);
    // A DAG run answers the same query with its nodes.
    const lines = 'nodes' in status ? formatDagStatus(status as unknown as DagStatus) : formatStatus(status);
    for (const line of lines) this.log(line);
  }
}

/** Human-readable lines of a status. */
export function formatStatus(s: PipelineStatus): string[] {
  const lines = [
    `task\t${s.task}`,
    `run-id\t${s.runId}`,
    `state\t${s.state}${s.paused && s.state !== 'paused' ? ' (pause requested)' : ''}${s.reason ? `\t${s.reason}` : ''}`,
    `stage\t${s.currentStage ?? '-'}`,
  ];
  for (const [step, st] of Object.entries(s.steps)) {
    const time = st.durationMs === undefined ? '' : ` ${st.durationMs}ms`;
    const partial = st.partial === undefined ? '' : `\tpartial ${JSON.stringify(st.partial)}`;
    lines.push(`  ${step}\t${st.status}${time}${st.reason ? `\t${st.reason}` : ''}${partial}`);
  }
  if (s.subtasks.total > 0) {
    lines.push(
      `subtasks\t${s.subtasks.completed}/${s.subtasks.total} done${s.subtasks.failed ? `, ${s.subtasks.failed} failed` : ''}`,
    );
  }
  lines.push(`context\t${s.context.delivered} delivered, ${s.context.queued} queued`);
  return lines;
}

/** Human-readable lines of a DAG run's status. */
export function formatDagStatus(s: DagStatus): string[] {
  const lines = [`dag\t${s.dag}`, `run-id\t${s.runId}`, `state\t${s.state}`];
  for (const [id, n] of Object.entries(s.nodes)) lines.push(`  ${id}\t${n.state}${n.reason ? `\t${n.reason}` : ''}`);
  lines.push(
    `nodes\t${Object.entries(s.counts)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${n} ${state}`)
      .join(', ')}`,
  );
  return lines;
}
