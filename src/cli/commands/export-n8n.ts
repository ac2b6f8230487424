import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class ExportN8n extends BaseCommand<typeof ExportN8n> {
  static override summary = 'Write the registered tasks as an n8n 2.x workflow that runs them through the HTTP API.';
  static override description =
    'One HTTP Request node per task (POST /tasks/{name}/run), started by a Manual Trigger, and a Schedule Trigger with the cron of each scheduled task. Import it with File › Import or `n8n import:workflow --input FILE`. The bearer token is a reference to an n8n Header Auth credential (Name `Authorization`, Value `Bearer <token>`), never written to the file; X-User-ID and X-Group-ID are n8n expressions reading CASCADENCE_USER_ID and CASCADENCE_GROUP_ID from n8n Variables ($vars) or, with --identity env, from the n8n process environment ($env, which n8n 2.x blocks unless N8N_BLOCK_ENV_ACCESS_IN_NODE=false), so raw ids never reach the file.';
  static override examples = [
    '<%= config.bin %> export-n8n workflow.json',
    '<%= config.bin %> export-n8n workflow.json --api-url https://cascadence.example.com --identity env --wait',
  ];
  static override args = {
    file: Args.string({ description: 'Where to write the workflow JSON.', required: true }),
  };
  static override flags = {
    'api-url': Flags.string({
      description: "Cascadence's API as n8n reaches it.",
      default: 'http://127.0.0.1:8000',
    }),
    identity: Flags.string({
      description: 'Where n8n reads CASCADENCE_USER_ID and CASCADENCE_GROUP_ID: n8n Variables or its environment.',
      options: ['vars', 'env'],
      default: 'vars',
    }),
    credential: Flags.string({ description: 'Name of the n8n Header Auth credential holding the bearer token.' }),
    wait: Flags.boolean({
      description: 'Each request waits for the run’s result (200) instead of returning once it has started (202).',
      default: false,
    }),
    name: Flags.string({ description: 'Workflow name (default: Cascadence tasks).' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(ExportN8n);
    const [{ exportN8nWorkflow }, { writeOutputFile }] = await Promise.all([
      import('../../services/n8n-export'),
      import('../output-file'),
    ]);
    const result = await this.withBackend((backend) =>
      exportN8nWorkflow(backend, {
        apiUrl: this.flags['api-url'],
        identity: this.flags.identity as 'vars' | 'env',
        wait: this.flags.wait,
        ...(this.flags.credential === undefined ? {} : { credentialName: this.flags.credential }),
        ...(this.flags.name === undefined ? {} : { name: this.flags.name }),
      }),
    );
    await writeOutputFile(args.file, `${JSON.stringify(result.workflow, null, 2)}\n`);
    const { workflow, ...summary } = result;
    if (this.flags.json)
      return this.printJson({ file: args.file, id: workflow.id, nodes: workflow.nodes.length, ...summary });
    for (const s of result.skipped) process.stderr.write(`skipped: ${s.what} ${s.task}: ${s.reason}\n`);
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    this.log(
      `workflow written to ${args.file}: ${result.tasks.length} task(s), ${result.schedules.length} schedule trigger(s)`,
    );
  }
}
