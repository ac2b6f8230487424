/**
 * Live progress of a run on a terminal (`task run`, `task watch`): the stages (or DAG nodes) in
 * pipeline order in aligned columns, each printed once it is done, the running one redrawn in
 * place with its elapsed time, and the subtask or node counts on their own line below it.
 */
import type { DagStatus, PipelineStatus } from '../core';

const DONE = new Set(['success', 'error', 'skipped', 'failed', 'cancelled']);
const CLEAR_LINE = '\r\x1b[2K';
const UP = '\x1b[1A';

/** Renders successive statuses of one run on a terminal stream. */
export class TerminalProgress {
  private readonly printed = new Set<string>();
  /** Lines drawn in place below the finished ones (erased before each redraw). */
  private liveLines = 0;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly now: () => number = Date.now,
    private readonly indent = '  ',
  ) {}

  /** Draws `status`: newly finished stages for good, the running ones and the counts in place. */
  render(status: PipelineStatus | DagStatus): void {
    const entries: Array<[string, { state: string; startedAt?: string; durationMs?: number; reason?: string }]> =
      'nodes' in status
        ? Object.entries(status.nodes).map(([id, n]) => [id, n])
        : Object.entries(status.steps).map(([step, s]) => [step, { ...s, state: s.status }]);
    const width = Math.max(...entries.map(([name]) => name.length), 8) + 2;
    const line = (name: string, text: string): string => `${this.indent}${name.padEnd(width)}${text}`;
    let text = this.erase();
    for (const [name, s] of entries) {
      if (!DONE.has(s.state) || this.printed.has(name)) continue;
      this.printed.add(name);
      const time = s.durationMs === undefined ? '' : ` ${s.durationMs}ms`;
      text += `${line(name, `${s.state}${time}`)}${s.reason ? `  ${s.reason}` : ''}\n`;
    }
    const live: string[] = [];
    for (const [name, s] of entries) {
      if (s.state !== 'running') continue;
      const elapsed = s.startedAt ? ` ${((this.now() - Date.parse(s.startedAt)) / 1000).toFixed(1)}s` : '';
      live.push(line(name, `running${elapsed}`));
    }
    if (status.paused) live.push(line('', 'paused'));
    const counts = countsOf(status);
    if (counts) live.push(line(counts[0], counts[1]));
    text += live.join('\n');
    this.liveLines = live.length;
    this.out.write(text);
  }

  /** Erases the lines drawn in place (before the result is printed). */
  finish(): void {
    this.out.write(this.erase());
    this.liveLines = 0;
  }

  private erase(): string {
    if (this.liveLines === 0) return '';
    return CLEAR_LINE + `${UP}${CLEAR_LINE}`.repeat(this.liveLines - 1);
  }
}

/** The subtask counts of a pipeline, or the node counts of a DAG, as a label and a text. */
function countsOf(status: PipelineStatus | DagStatus): [string, string] | undefined {
  if ('nodes' in status) {
    const c = status.counts;
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    return [
      'nodes',
      `${c.success}/${total} done${c.failed ? `, ${c.failed} failed` : ''}${c.running ? `, ${c.running} running` : ''}`,
    ];
  }
  const s = status.subtasks;
  if (s.total === 0) return undefined;
  return ['subtasks', `${s.completed}/${s.total} done${s.failed ? `, ${s.failed} failed` : ''}`];
}
