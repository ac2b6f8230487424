// Cascadence inside your own fastify app: the whole REST API mounted under /cascadence, and one
// task (`example`) as a route of the app (`POST /greet/:name`), which starts a durable run on
// Temporal per request and answers with its result.
//
//   npm run build && TEMPORAL_ADDRESS=localhost:7233 node examples/fastify-app/server.js
//   curl -s -X POST localhost:3000/greet/Ada -H 'X-User-ID: alice' -H 'X-Group-ID: team-a'
//
// From a project that installs cascadence, require('cascadence') instead of '../../dist'.
'use strict';

const Fastify = require('fastify');
const {
  cascadence,
  cascadenceRoute,
  createBackend,
  createDefaultRegistry,
  loadConfig,
  loadTaskModules,
} = require('../../dist');

async function main() {
  const config = loadConfig();
  const registry = loadTaskModules(createDefaultRegistry(), config.taskModules);
  // One long-lived backend for the app: task flags are followed, not read per request.
  const backend = await createBackend(config, registry, { longLived: true });
  const app = Fastify();
  app.get('/', async () => ({ app: 'my shop', cascadence: '/cascadence' }));

  // Every Cascadence route (GET /cascadence/tasks, POST /cascadence/tasks/:name/run, ...).
  await app.register(cascadence, { prefix: '/cascadence', config, registry, backend });

  // One task as a route of this app; the input is built from the request.
  cascadenceRoute(app, '/greet/:name', 'example', (request) => ({ name: request.params.name }), {
    backend,
    hashSecret: config.hashSecret,
  });

  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
  const { port } = app.server.address();
  console.log(`listening on http://127.0.0.1:${port}`);
  const stop = async () => {
    await app.close();
    await backend.close();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`error: ${err.message}`);
  process.exit(1);
});
