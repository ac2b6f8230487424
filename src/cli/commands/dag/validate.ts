import { BaseCommand } from '../../base-command';
import { dagArg } from '../../dag-ref';

export default class DagValidate extends BaseCommand<typeof DagValidate> {
  static override summary = 'Check a DAG: schema, unknown tasks and dependencies, conditions, cycles.';
  static override description =
    'Exit 0 when valid (printing its execution order), 2 with one line per problem otherwise.';
  static override examples = [
    '<%= config.bin %> dag validate examples/etl/etl.yml',
    '<%= config.bin %> dag validate etl --json',
  ];
  static override args = { dag: dagArg };

  async run(): Promise<void> {
    const { args } = await this.parse(DagValidate);
    const dag = await this.loadDag(args.dag);
    const { name } = dag.definition;
    if (this.flags.json) return this.printJson({ dag: name, valid: true, nodes: dag.order.length, order: dag.order });
    this.log(`${name}: valid, ${dag.order.length} node(s); order: ${dag.order.join(', ')}`);
  }
}
