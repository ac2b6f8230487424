/**
 * `task dag validate|run|diagram` and `task diagram` through the built CLI (base backend: no
 * server), with DAG files on disk.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';

const dir = join(tmpdir(), `cascadence-cli-dag-${randomUUID()}`);
mkdirSync(join(dir, 'dags'), { recursive: true });
const env = {
  CASCADENCE_TASK_MODULES: join(dir, 'tasks.js'),
  CASCADENCE_DAGS_PATH: join(dir, 'dags'),
  CASCADENCE_AUDIT_PATH: join(dir, 'audit.jsonl'),
  CASCADENCE_STATE_PATH: join(dir, 'state.json'),
};
writeFileSync(
  env.CASCADENCE_TASK_MODULES,
  `exports.tasks = {
    source: { run: () => ({ rows: 3 }) },
    double: { run: (ctx) => ({ rows: ctx.upstream.source.rows * 2 }) },
    broken: { options: { retry: { maximumAttempts: 1 } }, run: () => { throw new Error('broken on purpose'); } },
  };`,
);
writeFileSync(
  join(dir, 'dags', 'pair.yml'),
  [
    'name: pair',
    'nodes:',
    '  source: { task: source }',
    '  double: { task: double, dependsOn: [source], condition: "source.rows > 0" }',
    '',
  ].join('\n'),
);
writeFileSync(
  join(dir, 'dags', 'failing.yml'),
  ['name: failing', 'nodes:', '  boom: { task: broken }', '  after: { task: source, dependsOn: [boom] }', ''].join(
    '\n',
  ),
);
writeFileSync(
  join(dir, 'bad.yml'),
  [
    'name: bad',
    'nodes:',
    '  a: { task: source, dependsOn: [c] }',
    '  b: { task: nope, dependsOn: [a] }',
    '  c: { task: source, dependsOn: [a], colour: red }',
    '',
  ].join('\n'),
);
writeFileSync(
  join(dir, 'cycle.yml'),
  ['name: cycle', 'nodes:', '  a: { task: source, dependsOn: [b] }', '  b: { task: source, dependsOn: [a] }', ''].join(
    '\n',
  ),
);
writeFileSync(join(dir, 'broken-yaml.yml'), 'name: x\nnodes:\n  a: { task: source\n');

it('validates a DAG by name, printing its order; exit 0', async () => {
  const res = await runCli(['dag', 'validate', 'pair'], env);
  expect(res.stderr).toBe('');
  expect(res.stdout).toBe('pair: valid, 2 node(s); order: source, double\n');
  const json = JSON.parse((await runCli(['dag', 'validate', 'pair', '--json'], env)).stdout) as { order: string[] };
  expect(json.order).toEqual(['source', 'double']);
});

it.each([
  ['bad.yml', [/bad\.yml: nodes\.c: unknown key "colour"/]],
  ['cycle.yml', [/^error: .*cycle\.yml: cycle: (a -> b -> a|b -> a -> b)/]],
  ['broken-yaml.yml', [/^error: .*broken-yaml\.yml:4:1: not valid YAML/]],
])('rejects %s with exit 2, one line per problem', async (file, patterns) => {
  const res = await runCli(['dag', 'validate', join(dir, file)], env);
  expect(res.code).toBe(2);
  expect(res.stdout).toBe('');
  for (const p of patterns) expect(res.stderr).toMatch(p);
  for (const line of res.stderr.trim().split('\n')) expect(line).toMatch(/^error: /);
});

it('runs a DAG on the base backend, printing each node', async () => {
  const res = await runCli(['dag', 'run', 'pair', '--backend', 'base', '--user-id', 'u', '--group-id', 'g'], env);
  expect(res.stderr).toBe('');
  const lines = res.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^run-id\t[0-9a-f-]{36}$/);
  expect(lines.slice(1)).toEqual(['source\tsuccess\t{"rows":3}', 'double\tsuccess\t{"rows":6}', 'result\tcompleted']);
});

it('a failing node prints the node table and exits 5', async () => {
  const res = await runCli(['dag', 'run', 'failing', '--backend', 'base', '--user-id', 'u', '--group-id', 'g'], env);
  expect(res.code).toBe(5);
  expect(res.stdout).toMatch(/boom\tfailed\t.*broken on purpose/);
  expect(res.stdout).toMatch(/after\tskipped\tan earlier node failed \(fail-fast\)/);
  expect(res.stdout).toMatch(/result\tfailed/);
  expect(res.stderr).toMatch(/^error: dag failing: boom/);
});

it('draws DAGs and pipelines as Mermaid and as DOT that Graphviz accepts', async () => {
  const mermaid = await runCli(['dag', 'diagram', 'pair'], env);
  expect(mermaid.stdout).toMatch(/^flowchart LR\n/);
  expect(mermaid.stdout).toMatch(/source --.*--> double/);
  const dot = await runCli(['dag', 'diagram', 'pair', '--format', 'dot'], env);
  expect(dot.stdout).toMatch(/^digraph "pair" \{/);
  const pipeline = await runCli(['diagram', 'example', '--format', 'dot'], env);
  expect(pipeline.stdout).toMatch(/"intake" -> "research"/);
  // Graphviz itself renders what we print (scripts/test.sh installs it when missing).
  for (const text of [dot.stdout, pipeline.stdout]) {
    expect(execFileSync('dot', ['-Tsvg'], { input: text, encoding: 'utf8' })).toMatch(/<svg/);
  }
});

it('task validate checks every task, the schedules file and every DAG file', async () => {
  const schedules = join(dir, 'schedules.yml');
  writeFileSync(schedules, 'source:\n  expr: "*/5 * * * *"\n  user_hash: u\n  group_hash: g\n');
  const ok = await runCli(['validate', '--json'], { ...env, CASCADENCE_SCHEDULES_PATH: schedules });
  expect(ok.code).toBe(0);
  const report = JSON.parse(ok.stdout) as {
    valid: boolean;
    checks: Array<{ kind: string; name: string; ok: boolean }>;
  };
  expect(report.valid).toBe(true);
  expect(report.checks.map((c) => c.kind)).toEqual(expect.arrayContaining(['task', 'schedules', 'dag']));
  writeFileSync(join(dir, 'dags', 'zz-broken.yml'), 'name: broken\nnodes:\n  a: { task: missing-task }\n');
  const bad = await runCli(['validate'], { ...env, CASCADENCE_SCHEDULES_PATH: schedules });
  expect(bad.code).toBe(2);
  expect(bad.stdout).toMatch(/dag\t.*zz-broken\.yml\t.*node a: unknown task "missing-task"/);
  expect(bad.stderr).toMatch(/^error: 1 of \d+ item\(s\) are invalid/);
});
