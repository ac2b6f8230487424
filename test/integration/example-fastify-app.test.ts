/**
 * examples/fastify-app: Cascadence's API mounted in someone's own fastify app under
 * /cascadence, and one task as a route of that app, against the suite's dev server and a worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createDefaultRegistry } from '../../src/plugins/builtin';
import { connect, serverAddress, startTestWorker, type TestConnections } from '../helpers/temporal';

const SERVER = join(__dirname, '..', '..', 'examples', 'fastify-app', 'server.js');
let conns: TestConnections;
let env: Awaited<ReturnType<typeof startTestWorker>>;
let child: ChildProcess;
let base: string;
const headers = { 'x-user-id': 'alice', 'x-group-id': 'team-a' };

beforeAll(async () => {
  conns = await connect();
  env = await startTestWorker(conns, createDefaultRegistry(), { prefix: 'example-app', hashSecret: 'shop' });
  child = spawn(process.execPath, [SERVER], {
    env: {
      ...process.env,
      PORT: '0',
      TEMPORAL_ADDRESS: serverAddress(),
      CASCADENCE_TASK_QUEUE: env.taskQueue,
      CASCADENCE_HASH_SECRET: 'shop',
      CASCADENCE_TASK_MODULES: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => reject(new Error(`the example exited ${code}: ${err}`)));
  });
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await env?.close();
  await conns?.close();
});

test('the app keeps its own routes and serves the Cascadence API under /cascadence', async () => {
  expect(await (await fetch(`${base}/`)).json()).toEqual({ app: 'my shop', cascadence: '/cascadence' });
  const tasks = await fetch(`${base}/cascadence/tasks`, { headers });
  expect(tasks.status).toBe(200);
  expect(JSON.stringify(await tasks.json())).toContain('"example"');
  const noIdentity = await fetch(`${base}/cascadence/tasks`);
  expect(noIdentity.status).toBe(400);
});

test('one task as a route of the app: POST /greet/:name runs it and answers with its result', async () => {
  const res = await fetch(`${base}/greet/Ada`, { method: 'POST', headers });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { run_id: string; result: { greeting: string } };
  expect(body.result.greeting).toBe('Hello, Ada!');
  const run = await fetch(`${base}/cascadence/runs/${body.run_id}`, { headers });
  expect(run.status).toBe(200);
  expect(((await run.json()) as { state: string }).state).toBe('completed');
});
