import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command';

export default class Init extends BaseCommand<typeof Init> {
  static override summary = 'Create a starter project: a task module, its config, tests and a README.';
  static override description =
    'Writes DIR/package.json, DIR/cascadence.yml (task_modules: [tasks/hello.js]), DIR/tasks/hello.js (a `hello` task with intake, plan, run and verify), DIR/test/hello.test.js (node:test: runs hello in process, and on Temporal through the CLI when TEMPORAL_ADDRESS is set) and DIR/README.md. DIR must be new or empty unless --force.';
  static override examples = [
    '<%= config.bin %> init my-tasks',
    '<%= config.bin %> init . --force',
    '<%= config.bin %> init my-tasks --json',
  ];
  static override args = { dir: Args.string({ description: 'Folder of the new project.', required: true }) };
  static override flags = {
    force: Flags.boolean({ description: 'Write into a folder that is not empty (same-named files are replaced).' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Init);
    const [{ initProject, PACKAGE_ROOT }, { relative }] = await Promise.all([
      import('../scaffold'),
      import('node:path'),
    ]);
    const { dir, files } = await initProject(args.dir, { force: this.flags.force });
    const rel = relative(process.cwd(), dir) || '.';
    const next = [
      ...(rel === '.' ? [] : [`cd ${rel}`]),
      `export CASCADENCE_HOME=${PACKAGE_ROOT}    # or: npm link cascadence`,
      'CASCADENCE_CONFIG=cascadence.yml task dev    # server, Web UI and a worker with your tasks',
      'CASCADENCE_CONFIG=cascadence.yml task run hello --user-id alice --group-id team-a    # in another terminal',
      'npm test',
    ];
    if (this.flags.json) return this.printJson({ dir, files, next_steps: next });
    this.log(`created ${rel}/`);
    for (const file of files) this.log(`  ${file}`);
    this.log('next steps:');
    for (const step of next) this.log(`  ${step}`);
  }
}
