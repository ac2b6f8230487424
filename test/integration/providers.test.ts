/**
 * The built-in research and planning providers, configured in YAML (`research_url`,
 * `plan_command`), for tasks without `research` and `plan`: a run on a real worker of the suite's
 * dev server sends its query and hashed ids to a local HTTP research server, hands the answer to
 * a real planning command (a Node script reading stdin) with the user's ideas as hints, and runs
 * the plan it prints; a failing endpoint, a failing command and an invalid plan fail the run
 * clearly. The built `task` CLI reads the same file (`task ai-idea`, then a run on `base`).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type CascadenceConfig } from '../../src/config/config';
import { hashId } from '../../src/events/hash';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { createProviders, type PlanRequest, type ResearchRequest } from '../../src/plugins/providers';
import { loadTaskModules } from '../../src/plugins/task-modules';
import { addIdea } from '../../src/services/ideas';
import { IdeaStore } from '../../src/stores/idea-store';
import { runCli } from '../helpers/cli';
import { connect, startTestWorker, type TestConnections } from '../helpers/temporal';

const SECRET = `providers-${randomUUID()}`;

/** Tasks without research or plan: `trip` runs its planned subtasks (`book`) and reports what it got. */
const TASKS = `'use strict';
exports.tasks = {
  trip: {
    description: 'Plans a trip through the providers',
    options: { retry: { maximumAttempts: 1 } },
    run: (ctx) => ({ research: ctx.research, plan: ctx.plan, results: ctx.results }),
  },
  book: { run: (ctx) => 'booked ' + ctx.input.what + ' (' + ctx.input.hints + ' hints)' },
};
`;

/**
 * The planning command: logs the request it read (one JSON line in the log file it is given)
 * and prints a plan for \`trip\`: one \`book\` subtask, an unknown task, or a failure, as the
 * input asks. The subtask has no plan method either, so the command is asked for its plan too:
 * it answers \`null\` (no plan) for any other task.
 */
const PLANNER = `'use strict';
const { appendFileSync } = require('node:fs');
let text = '';
process.stdin.on('data', (c) => (text += c));
process.stdin.on('end', () => {
  appendFileSync(process.argv[2], text);
  const req = JSON.parse(text);
  if (req.task !== 'trip') return console.log('null');
  const mode = req.input && req.input.mode;
  if (mode === 'crash') { console.error('no planner today'); process.exit(7); }
  if (mode === 'unknown') return console.log(JSON.stringify([{ task: 'no-such-task' }]));
  const what = typeof req.research === 'object' && req.research ? req.research.answer : String(req.research);
  console.log(JSON.stringify([{ task: 'book', input: { what, hints: req.hints.length } }]));
});
`;

let dir = '';
let configFile = '';
let planLog = '';
let research: Server;
let researchUrl = '';
const asked: Array<{ url: string; contentType: string; raw: string; body: ResearchRequest }> = [];
let config: CascadenceConfig;
let conns: TestConnections;
let worker: Awaited<ReturnType<typeof startTestWorker>>;

const alice = hashId('alice', SECRET);
const family = hashId('family', SECRET);

/** The requests the planning command has read so far. */
const planned = (): PlanRequest[] =>
  readFileSync(planLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PlanRequest);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cascadence-providers-'));
  writeFileSync(join(dir, 'tasks.js'), TASKS);
  writeFileSync(join(dir, 'planner.js'), PLANNER);
  planLog = join(dir, 'plans.jsonl');
  writeFileSync(planLog, '');

  research = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as ResearchRequest;
      asked.push({ url: req.url ?? '', contentType: req.headers['content-type'] ?? '', raw, body });
      if (body.query === 'down') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('index rebuilding');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ answer: `a ${body.query}` }));
    });
  });
  await new Promise<void>((resolve) => research.listen(0, '127.0.0.1', resolve));
  researchUrl = `http://127.0.0.1:${(research.address() as AddressInfo).port}/research`;

  // The plan command as one string: split into words without a shell (the quotes keep paths whole).
  configFile = join(dir, 'cascadence.yml');
  writeFileSync(
    configFile,
    [
      `research_url: ${researchUrl}`,
      `plan_command: "'${process.execPath}' '${join(dir, 'planner.js')}' '${planLog}'"`,
      `ideas_path: ${join(dir, 'ideas.yml')}`,
      `hash_secret: ${SECRET}`,
      `state_path: ${join(dir, 'state.json')}`,
      `audit_path: ${join(dir, 'audit.jsonl')}`,
      `task_modules: [${join(dir, 'tasks.js')}]`,
      '',
    ].join('\n'),
  );
  config = loadConfig({ config: configFile }, {});

  const store = new IdeaStore(config.ideasPath);
  const deps = { store, hashSecret: SECRET };
  await addIdea(deps, { text: 'trains over planes', userId: 'alice' });
  await addIdea(deps, { text: 'a museum on Sunday', userId: 'alice', groupId: 'family' });
  await addIdea(deps, { text: 'bob likes hiking', userId: 'bob', groupId: 'family' });
  await addIdea(deps, { text: 'the quarterly report', userId: 'alice', groupId: 'work' });

  const registry = loadTaskModules(createDefaultRegistry(createProviders(config)), config.taskModules);
  conns = await connect();
  worker = await startTestWorker(conns, registry, { prefix: 'providers', hashSecret: SECRET });
});

afterAll(async () => {
  await worker?.close();
  await conns?.close();
  await new Promise((resolve) => research?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const run = (task: string, input: unknown) => worker.backend.run({ task, userId: 'alice', groupId: 'family', input });

describe('on Temporal', () => {
  it('researches through research_url and plans through plan_command, with the ideas as hints', async () => {
    asked.length = 0;
    const before = planned().length;
    const { runId, result } = await run('trip', { query: 'weekend in Lyon' });

    // The subtask `book` has no research or plan method either: it is researched (its query is
    // its name) and planned (`null`) by the same providers.
    const who = { run_id: runId, user_hash: alice, group_hash: family };
    const sent = (body: ResearchRequest) => ({
      url: '/research',
      contentType: 'application/json',
      raw: expect.any(String),
      body,
    });
    expect(asked).toEqual([
      sent({ query: 'weekend in Lyon', task: 'trip', ...who }),
      sent({ query: 'book', task: 'book', ...who }),
    ]);
    const requests = planned().slice(before);
    const hints = ['trains over planes', 'a museum on Sunday'];
    expect(requests).toEqual([
      { task: 'trip', ...who, input: { query: 'weekend in Lyon' }, research: { answer: 'a weekend in Lyon' }, hints },
      { task: 'book', ...who, input: { what: 'a weekend in Lyon', hints: 2 }, research: { answer: 'a book' }, hints },
    ]);
    // Raw ids never leave: only their hashes.
    for (const text of [...asked.map((a) => a.raw), JSON.stringify(requests)]) {
      expect(text).not.toMatch(/alice|family/);
    }
    expect(result).toEqual({
      research: { answer: 'a weekend in Lyon' },
      plan: [{ task: 'book', input: { what: 'a weekend in Lyon', hints: 2 } }],
      results: ['booked a weekend in Lyon (2 hints)'],
    });
    const records = await worker.backend.audit('trip', runId);
    const stages = records.filter((r) => r.status === 'success').map((r) => r.stage);
    expect(stages).toEqual(expect.arrayContaining(['research', 'plan', 'run']));
  });

  it('leaves tasks with their own research and plan alone', async () => {
    asked.length = 0;
    const before = planned().length;
    await worker.backend.run({ task: 'example', userId: 'alice', groupId: 'family' });
    expect(asked).toEqual([]);
    expect(planned()).toHaveLength(before);
  });

  it('fails the run when the research endpoint fails, naming it', async () => {
    await expect(run('trip', { query: 'down' })).rejects.toThrow(
      `trip: stage research failed: research POST ${researchUrl} answered 503: index rebuilding`,
    );
  });

  it('fails the run when the planning command fails, naming it', async () => {
    await expect(run('trip', { query: 'x', mode: 'crash' })).rejects.toThrow(
      /trip: stage plan failed: plan command .*planner\.js .*plans\.jsonl exited with status 7: no planner today/,
    );
  });

  it('validates the printed plan like any plan: an unknown subtask is INVALID_PLAN', async () => {
    await expect(run('trip', { query: 'x', mode: 'unknown' })).rejects.toMatchObject({
      code: 'INVALID_PLAN',
      message: expect.stringMatching(/trip: plan names unknown task "no-such-task"/),
    });
  });
});

describe('the task CLI', () => {
  it('reads research_url and plan_command from the YAML file, and offers ideas from task ai-idea', async () => {
    const env = { CASCADENCE_CONFIG: configFile, CASCADENCE_SCHEDULER: '', CASCADENCE_EVENTS: '' };
    const idea = await runCli(['ai-idea', 'the night train', '--user-id', 'carol', '--group-id', 'friends'], env);
    expect({ code: idea.code, stderr: idea.stderr, stdout: idea.stdout }).toEqual({
      code: 0,
      stderr: '',
      stdout: 'idea stored\n',
    });
    asked.length = 0;
    const before = planned().length;
    const res = await runCli(
      ['run', 'trip', '--backend', 'base', '--user-id', 'carol', '--group-id', 'friends', '--input', '"by rail"'],
      env,
    );
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    expect(res.stdout.trimEnd().split('\n')[1]).toBe(
      'result\t{"research":{"answer":"a by rail"},"plan":[{"task":"book","input":{"what":"a by rail","hints":1}}],' +
        '"results":["booked a by rail (1 hints)"]}',
    );
    expect(asked.map((a) => a.body.user_hash)).toEqual([hashId('carol', SECRET), hashId('carol', SECRET)]);
    expect(
      planned()
        .slice(before)
        .map((r) => r.hints),
    ).toEqual([['the night train'], ['the night train']]);
  });
});
