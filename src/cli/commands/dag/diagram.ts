import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command';
import { dagArg } from '../../dag-ref';
import type { NodeState } from '../../../core';

export default class DagDiagram extends BaseCommand<typeof DagDiagram> {
  static override summary =
    'Draw a DAG as Mermaid or Graphviz DOT; with --run-id, coloured by each node’s state in that run.';
  static override examples = [
    '<%= config.bin %> dag diagram examples/etl/etl.yml --format mermaid',
    '<%= config.bin %> dag diagram etl --format dot --run-id 6584aac0-d4c9-4a9d-8983-925f08f49bd2 | dot -Tsvg > etl.svg',
  ];
  static override args = { dag: dagArg };
  static override flags = {
    format: Flags.string({ description: 'Output format.', options: ['mermaid', 'dot'], default: 'mermaid' }),
    'run-id': Flags.string({ description: 'Colour the nodes by their state in this run (temporal backend).' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(DagDiagram);
    const dag = await this.loadDag(args.dag);
    let states: Record<string, NodeState> | undefined;
    const runId = this.flags['run-id'];
    if (runId) {
      states = await this.withBackend(async (b) => (await import('../../../services/runs')).dagNodeStates(b, runId));
    }
    const { dagToDot, dagToMermaid } = await import('../../../core/diagram');
    const text = this.flags.format === 'dot' ? dagToDot(dag.definition, states) : dagToMermaid(dag.definition, states);
    this.log(text.trimEnd());
  }
}
