/**
 * The prebuilt workflow bundle (`npm run build`, src/worker/bundle.ts): a worker takes it while
 * its manifest matches the files and packages it was built from, and bundles in process otherwise;
 * the bundle file itself replays saved histories as the in-process bundle does.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import {
  MANIFEST_FILE,
  WORKFLOWS_PATH,
  findPrebuiltBundle,
  resolveWorkflowBundle,
  writePrebuiltBundles,
  type BundleManifest,
} from '../../src/worker/bundle';
import { auditSinks } from '../../src/worker/create-worker';
import { installRuntime } from '../../src/cli/worker-process';

const ROOT = join(__dirname, '..', '..');
const WORKFLOW_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules', '@temporalio', 'workflow', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

// Inside the project, so the probe resolves @temporalio/workflow as dist/workflows does.
const probeDir = (): string => join(ROOT, '.cascadence', `prebuilt-probe-${randomUUID()}`);

describe('a prebuilt bundle of a small compiled workflows module', () => {
  const dir = probeDir();
  const workflowsPath = join(dir, 'workflows', 'index.js');
  const helper = join(dir, 'workflows', 'helper.js');
  const helperSource = 'exports.greeting = (name) => `hello ${name}`;\n';
  let manifest: BundleManifest;
  const lookup = (interceptors: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    findPrebuiltBundle(interceptors, { dir, workflowsPath, env });

  beforeAll(async () => {
    mkdirSync(join(dir, 'workflows'), { recursive: true });
    writeFileSync(
      workflowsPath,
      "const { greeting } = require('./helper');\nexports.greetWorkflow = async function greetWorkflow(name) {\n  return greeting(name);\n};\n",
    );
    writeFileSync(helper, helperSource);
    writeFileSync(join(dir, 'workflows', 'unused.js'), 'exports.unused = 1;\n');
    manifest = await writePrebuiltBundles({
      dir,
      workflowsPath,
      variants: [{ file: 'bundle.js', interceptorModules: [] }],
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the bundle and a manifest of the files and packages it was built from', () => {
    expect(readFileSync(join(dir, 'bundle.js'), 'utf8')).toContain('greetWorkflow');
    expect(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'))).toEqual(manifest);
    expect(manifest.workflows).toBe(join('workflows', 'index.js'));
    // Only what the workflows import: not the module nobody requires.
    expect(manifest.files).toEqual([join('workflows', 'helper.js'), join('workflows', 'index.js')]);
    expect(manifest.packages['@temporalio/workflow']).toBe(WORKFLOW_VERSION);
    expect(manifest.variants).toEqual([{ file: 'bundle.js', interceptorModules: [] }]);
  });

  it('is used while it matches, even after the files are rewritten with the same content', () => {
    expect(lookup()).toEqual({ ok: true, bundle: { codePath: join(dir, 'bundle.js') } });
    writeFileSync(helper, helperSource);
    utimesSync(helper, new Date(), new Date(Date.now() + 60_000));
    expect(lookup()).toMatchObject({ ok: true });
  });

  it('is stale once a file it was built from changes, and fresh again when it is restored', () => {
    writeFileSync(helper, 'exports.greeting = (name) => `hi ${name}`;\n');
    expect(lookup()).toEqual({ ok: false, reason: 'the workflows changed since the bundle was built' });
    writeFileSync(helper, helperSource);
    expect(lookup()).toMatchObject({ ok: true });
  });

  it('is not used for other interceptor modules, other workflows, or when disabled', () => {
    expect(lookup([join(dir, 'workflows', 'unused.js')])).toEqual({
      ok: false,
      reason: 'no prebuilt bundle has these workflow interceptor modules',
    });
    expect(findPrebuiltBundle([], { dir, workflowsPath: helper, env: {} })).toMatchObject({ ok: false });
    expect(lookup([], { CASCADENCE_WORKFLOW_BUNDLE: 'off' })).toEqual({
      ok: false,
      reason: 'disabled by CASCADENCE_WORKFLOW_BUNDLE=off',
    });
  });

  it('is stale when built with another version of a package', () => {
    const other = probeDir();
    mkdirSync(join(other, 'workflows'), { recursive: true });
    try {
      for (const file of ['bundle.js', join('workflows', 'index.js'), join('workflows', 'helper.js')])
        writeFileSync(join(other, file), readFileSync(join(dir, file)));
      const edited = { ...manifest, packages: { ...manifest.packages, '@temporalio/workflow': '0.0.1' } };
      writeFileSync(join(other, MANIFEST_FILE), JSON.stringify(edited));
      const otherWorkflows = join(other, 'workflows', 'index.js');
      expect(findPrebuiltBundle([], { dir: other, workflowsPath: otherWorkflows, env: {} })).toEqual({
        ok: false,
        reason: 'the prebuilt bundle was built with @temporalio/workflow@0.0.1',
      });
      // The same copy with the true manifest is fresh: nothing in it names the directory it was built in.
      writeFileSync(join(other, MANIFEST_FILE), JSON.stringify(manifest));
      expect(findPrebuiltBundle([], { dir: other, workflowsPath: otherWorkflows, env: {} })).toMatchObject({
        ok: true,
      });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('is not used when the manifest is not one', () => {
    const other = probeDir();
    mkdirSync(other, { recursive: true });
    try {
      writeFileSync(join(other, MANIFEST_FILE), JSON.stringify({ version: 1, workflows: 'workflows/index.js' }));
      expect(
        findPrebuiltBundle([], { dir: other, workflowsPath: join(other, 'workflows', 'index.js'), env: {} }),
      ).toEqual({
        ok: false,
        reason: `${join(other, MANIFEST_FILE)} is not a bundle manifest`,
      });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('is missing when there is no manifest, and then the worker bundles in process', async () => {
    // Under Jest the workflows are src/workflows, beside which `npm run build` writes nothing.
    expect(findPrebuiltBundle([], { env: {} })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^no prebuilt bundle in /),
    });
    const bundle = await resolveWorkflowBundle();
    expect('code' in bundle && bundle.code).toContain('pipelineWorkflow');
  });
});

it('the prebuilt bundle of the real workflows replays a saved history from its file', async () => {
  installRuntime();
  const dir = probeDir();
  mkdirSync(dir, { recursive: true });
  try {
    const manifest = await writePrebuiltBundles({
      dir,
      variants: [{ file: 'workflow-bundle.js', interceptorModules: [] }],
    });
    expect(manifest.files).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/workflows[/\\]pipeline\.ts$/),
        expect.stringMatching(/core[/\\]/),
      ]),
    );
    const lookup = findPrebuiltBundle([], { dir, env: {} });
    expect(lookup).toEqual({ ok: true, bundle: { codePath: join(dir, 'workflow-bundle.js') } });
    const history: unknown = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'example-basic.json'), 'utf8'));
    await Worker.runReplayHistory(
      { workflowBundle: lookup.ok ? lookup.bundle : { codePath: '' }, sinks: auditSinks(undefined) },
      history,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(WORKFLOWS_PATH).toMatch(/src[/\\]workflows[/\\]index\.ts$/);
});
