import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

import type { RunFilter } from '../../backends/backend';

const STATUSES = ['running', 'completed', 'failed', 'cancelled'];

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
    status: Flags.string({ description: 'Only runs in this state.', options: STATUSES }),
    limit: Flags.integer({ description: 'Most runs to list.', default: 20, min: 1 }),
    'ui-url': Flags.string({
      description:
        'Base URL of the Temporal Web UI (default: $CASCADENCE_WEB_UI_URL, web_ui_url, or http://localhost:8233).',
    }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Runs);
    const runs = await this.withBackend(async (backend, config) => {
      const { listRuns } = await import('../../services/runs');
      const status = this.flags.status as RunFilter['status'];
      return listRuns(
        backend,
        { limit: this.flags.limit, ...(args.name ? { task: args.name } : {}), ...(status ? { status } : {}) },
        { uiUrl: this.flags['ui-url'] ?? config.webUiUrl, namespace: config.namespace },
      );
    });
    if (this.flags.json) return this.printJson(runs);
    for (const r of runs) this.log([r.run_id, r.task, r.status, r.started, r.url].join('\t'));
  }
}
