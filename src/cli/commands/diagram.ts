import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';
import type { TemporalBackend } from '../../backends/temporal';
import type { DiagramPlan } from '../../core/diagram';

export default class Diagram extends BaseCommand<typeof Diagram> {
  static override summary = "Draw a task's pipeline (its stages, precheck gate and plan) as Mermaid or Graphviz DOT.";
  static override examples = [
    '<%= config.bin %> diagram example',
    '<%= config.bin %> diagram example --format dot | dot -Tsvg > example.svg',
  ];
  static override args = { task: Args.string({ description: 'Registered task name.', required: true }) };
  static override flags = {
    format: Flags.string({ description: 'Output format.', options: ['mermaid', 'dot'], default: 'mermaid' }),
    'run-id': Flags.string({ description: 'Also draw the plan this run made (temporal backend).' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Diagram);
    const registry = await this.loadRegistry();
    const description = registry.describe(args.task);
    const runId = this.flags['run-id'];
    const plan = runId
      ? await this.withTemporal(
          'history',
          (b) => plannedSubtasks(b, args.task, runId),
          "a run's plan is read from Temporal",
        )
      : undefined;
    const { pipelineToDot, pipelineToMermaid } = await import('../../core/diagram');
    const text = this.flags.format === 'dot' ? pipelineToDot(description, plan) : pipelineToMermaid(description, plan);
    this.log(text.trimEnd());
  }
}

/**
 * The subtasks a run planned, from its child workflows (`<run>/<index>-<task>`): in plan order,
 * parallel when one started before the previous one closed.
 */
async function plannedSubtasks(
  backend: TemporalBackend,
  task: string,
  runId: string,
): Promise<DiagramPlan | undefined> {
  const { pipelineWorkflowId } = await import('../../core/ids');
  const parent = pipelineWorkflowId(task, runId);
  const children: Array<{ index: number; task: string; start: number; close: number }> = [];
  for await (const wf of backend.client.workflow.list({ query: `CascadenceRunId = '${runId.replace(/'/g, "\\'")}'` })) {
    const m = /^(\d+)-(.+)$/.exec(wf.workflowId.startsWith(`${parent}/`) ? wf.workflowId.slice(parent.length + 1) : '');
    if (!m || m[2]?.includes('/')) continue;
    children.push({
      index: Number(m[1]),
      task: m[2] as string,
      start: wf.startTime.getTime(),
      close: wf.closeTime?.getTime() ?? Number.POSITIVE_INFINITY,
    });
  }
  if (children.length === 0) return undefined;
  children.sort((a, b) => a.index - b.index);
  const parallel = children.some((c, i) => i > 0 && c.start < (children[i - 1] as { close: number }).close);
  return { kind: parallel ? 'parallel' : 'sequence', tasks: children.map((c) => ({ task: c.task })) };
}
