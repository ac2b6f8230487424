import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

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
      ? await this.withBackend(async (b) => (await import('../../services/runs')).plannedSubtasks(b, args.task, runId))
      : undefined;
    const { pipelineToDot, pipelineToMermaid } = await import('../../core/diagram');
    const text = this.flags.format === 'dot' ? pipelineToDot(description, plan) : pipelineToMermaid(description, plan);
    this.log(text.trimEnd());
  }
}
