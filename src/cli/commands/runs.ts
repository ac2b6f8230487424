import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

const STATUSES = { running: 'Running', completed: 'Completed', failed: 'Failed', cancelled: 'Canceled' } as const;

export default class Runs extends BaseCommand<typeof Runs> {
  static override summary = "List recent runs from Temporal's visibility, newest first, each with its Web UI link.";
  static override examples = [
    '<%= config.bin %> runs',
    '<%= config.bin %> runs example --status failed --limit 5',
    '<%= config.bin %> runs --json',
  ];
  static override args = {
    name: Args.string({ description: 'Only runs of this task (or `dag:<name>` for DAG runs).' }),
  };
  static override flags = {
    status: Flags.string({ description: 'Only runs in this state.', options: Object.keys(STATUSES) }),
    limit: Flags.integer({ description: 'Most runs to list.', default: 20, min: 1 }),
    'ui-url': Flags.string({
      description: 'Base URL of the Temporal Web UI (default: $CASCADENCE_WEB_UI_URL, web_ui_url, or http://localhost:8233).',
    }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Runs);
    const runs = await this.withTemporal('status', async (backend, config) => {
      const ui = (this.flags['ui-url'] ?? config.webUiUrl).replace(/\/+$/, '');
      const quote = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
      const filters = ['CascadenceRunId IS NOT NULL'];
      if (args.name) filters.push(`CascadenceTask = ${quote(args.name)}`);
      if (this.flags.status)
        filters.push(`ExecutionStatus = '${STATUSES[this.flags.status as keyof typeof STATUSES]}'`);
      const out: Array<{ run_id: string; task: string; status: string; started: string; url: string }> = [];
      for await (const wf of backend.client.workflow.list({ query: filters.join(' AND ') })) {
        if (wf.workflowId.includes('/')) continue; // subtasks and DAG nodes belong to their parent run
        const task = String(wf.searchAttributes.CascadenceTask?.[0] ?? wf.type);
        out.push({
          run_id: String(wf.searchAttributes.CascadenceRunId?.[0] ?? wf.workflowId),
          task,
          status: wf.status.name.toLowerCase(),
          started: wf.startTime.toISOString(),
          url: `${ui}/namespaces/${config.namespace}/workflows/${encodeURIComponent(wf.workflowId)}`,
        });
        if (out.length >= this.flags.limit) break;
      }
      return out;
    });
    if (this.flags.json) return this.printJson(runs);
    for (const r of runs) this.log([r.run_id, r.task, r.status, r.started, r.url].join('\t'));
  }
}
