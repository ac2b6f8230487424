// Prints {routes, doc} as JSON: every route the built API server registers (method and URL) and
// its OpenAPI document, from a plain Node process (the server's plugins load ES modules, which
// Jest's CommonJS runtime cannot). Uses the built dist/ and an in-process (base) backend.
'use strict';

const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
// Every fastify instance made from here on records its routes as they are added (the test wraps
// the factory the server module calls, before loading it).
const make = require('fastify');
const routes = [];
const recording = Object.assign((...args) => {
  const app = make(...args);
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD' && m !== 'OPTIONS') routes.push({ method: m, url: r.url });
  });
  return app;
}, make);
recording.default = recording;
require.cache[require.resolve('fastify')].exports = recording;
const { buildServer } = require('../../dist/api/server');
const { createBackend } = require('../../dist/backends');
const { loadConfig } = require('../../dist/config/config');
const { createDefaultRegistry } = require('../../dist/plugins/builtin');

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-routes-'));
  const config = {
    ...loadConfig({}, {}),
    backend: 'base',
    statePath: join(dir, 'state.json'),
    auditPath: join(dir, 'audit.jsonl'),
    pointersPath: join(dir, 'pointers.yml'),
    ideasPath: join(dir, 'ideas.yml'),
    tasksPath: join(dir, 'tasks.yml'),
  };
  const registry = createDefaultRegistry();
  const backend = await createBackend(config, registry);
  const app = await buildServer({ config, registry, backend }, { rateLimit: false });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  await backend.close();
  process.stdout.write(JSON.stringify({ routes, doc }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
