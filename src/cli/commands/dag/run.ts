import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command';
import { dagArg } from '../../dag-ref';
import type { DagResult } from '../../../core';

export default class DagRunCommand extends BaseCommand<typeof DagRunCommand> {
  static override summary = 'Run a DAG: each node starts as soon as its dependencies have finished.';
  static override description =
    'Validates first (nothing starts if the DAG is invalid), then runs it on the configured backend (a `dagWorkflow` on Temporal, in process with --backend base) and prints each node’s state and output. A failed node makes the exit code 5.';
  static override examples = [
    'CASCADENCE_TASK_MODULES=examples/etl/tasks.js <%= config.bin %> dag run examples/etl/etl.yml --user-id demo --group-id demo --backend base',
    '<%= config.bin %> dag run etl --user-id alice --group-id team-a --json',
  ];
  static override args = { dag: dagArg };
  static override flags = {
    'user-id': Flags.string({ description: 'User the run is for (hashed before use).', required: true }),
    'group-id': Flags.string({ description: 'Group the run is for (hashed before use).', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(DagRunCommand);
    const dag = await this.loadDag(args.dag);
    let result: DagResult;
    let failure: unknown;
    try {
      result = await this.withCapability('dag', (b) =>
        b.runDag({ definition: dag.definition, userId: this.flags['user-id'], groupId: this.flags['group-id'] }),
      );
    } catch (err) {
      const data = (err as { data?: unknown }).data as DagResult | undefined;
      if (!data || typeof data !== 'object' || !('nodes' in data)) throw err;
      result = data;
      failure = err;
    }
    if (this.flags.json) this.printJson(result);
    else {
      this.log(`run-id\t${result.runId}`);
      for (const id of dag.order) {
        const node = result.nodes[id];
        const output = id in result.outputs ? JSON.stringify(result.outputs[id]) : (node?.reason ?? '');
        this.log(`${id}\t${node?.state ?? 'pending'}\t${output}`.trimEnd());
      }
      this.log(`result\t${result.state}`);
    }
    if (failure) throw failure;
  }
}
