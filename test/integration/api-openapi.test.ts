/**
 * The OpenAPI document matches the server: every registered route is documented, every
 * documented route answers a real `task api` (no route-level 404), and the document is valid
 * OpenAPI 3 (@apidevtools/swagger-parser).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startApi, type ApiProcess } from '../helpers/api';
import { serverAddress, uniqueQueue } from '../helpers/temporal';

const HELPERS = join(__dirname, '..', 'helpers');
const NOT_API = (url: string): boolean =>
  ['/healthz', '/metrics', '/openapi.json', '/', '/login', '/logout'].includes(url) ||
  ['/docs', '/webhook', '/ui', '/assets'].some((p) => url.startsWith(p));

let api: ApiProcess;
beforeAll(async () => {
  api = await startApi(['--address', serverAddress(), '--task-queue', uniqueQueue('openapi')], {
    CASCADENCE_TASK_MODULES: '',
  });
});
afterAll(async () => {
  await api?.stop();
});

/** `/tasks/:name` -> `/tasks/{name}` (the document's form). */
const openApiPath = (url: string): string => url.replace(/:([A-Za-z_]+)/g, '{$1}');

test('every API route is documented and every documented route answers; the document is valid OpenAPI 3', async () => {
  const built = spawnSync(process.execPath, [join(HELPERS, 'api-routes.js')], { encoding: 'utf8' });
  expect(built.stderr).toBe('');
  const { routes, doc } = JSON.parse(built.stdout) as {
    routes: Array<{ method: string; url: string }>;
    doc: { openapi: string; paths: Record<string, Record<string, unknown>> };
  };
  expect(doc.openapi).toMatch(/^3\./);
  const check = spawnSync(process.execPath, [join(HELPERS, 'validate-openapi.mjs')], {
    input: JSON.stringify(doc),
    encoding: 'utf8',
  });
  expect(check.stdout.trim()).toBe('valid');
  // The served document is the same one (plus /metrics, which `task api` serves with its registry).
  const served = (await (await fetch(`${api.url}/openapi.json`)).json()) as typeof doc;
  expect(
    Object.keys(served.paths)
      .filter((p) => p !== '/metrics')
      .sort(),
  ).toEqual(Object.keys(doc.paths).sort());

  const documented = new Set(
    Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
  );
  const apiRoutes = routes.filter((r) => !NOT_API(r.url));
  expect(apiRoutes.length).toBeGreaterThan(20);
  expect(apiRoutes.map((r) => `${r.method} ${openApiPath(r.url)}`).filter((k) => !documented.has(k))).toEqual([]);

  // Each documented operation is routed: whatever it answers, it is not "no such route".
  const headers = { 'x-user-id': 'alice', 'x-group-id': 'team-a', 'content-type': 'application/json' };
  for (const key of documented) {
    const [method, path] = key.split(' ') as [string, string];
    const res = await fetch(api.url + path.replace(/\{[^}]+\}/g, 'probe'), {
      method,
      headers,
      ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
    });
    const text = await res.text();
    const code = text.startsWith('{') ? (JSON.parse(text) as { error?: { code?: string } }).error?.code : undefined;
    expect({ key, code }).not.toEqual({ key, code: 'NOT_FOUND' });
  }
});
