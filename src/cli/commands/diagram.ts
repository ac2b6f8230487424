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
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Diagram);
    const registry = await this.loadRegistry();
    const description = registry.describe(args.task);
    const { pipelineToDot, pipelineToMermaid } = await import('../../core/diagram');
    this.log((this.flags.format === 'dot' ? pipelineToDot(description) : pipelineToMermaid(description)).trimEnd());
  }
}
