/**
 * The workflow code a worker runs: the prebuilt bundle `npm run build` writes next to the
 * compiled workflows (as Temporal's production sample does), or, where there is none or it is
 * stale (development, Jest running from `src/`, other interceptor modules), the workflows
 * bundled with webpack in this process, once. Node-only.
 *
 * Bundling costs a worker over 100 MB of RSS and seconds of start-up; the prebuilt bundle is one
 * file read. `CASCADENCE_WORKFLOW_BUNDLE=off` ignores it (the benchmarks' baseline).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { WorkflowBundleOption, WorkflowBundlePath, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { CascadenceError, rootMessage } from '../core/errors';

const cached = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/** Path of the single workflows module (works from `src/` under Jest and from `dist/`). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Where `npm run build` writes the prebuilt bundles and their manifest: `dist/`, beside `dist/workflows`. */
export const PREBUILT_DIR = resolve(__dirname, '..');

/** The manifest of the prebuilt bundles, in {@link PREBUILT_DIR}. */
export const MANIFEST_FILE = 'workflow-bundle.json';

/**
 * The interceptor module of tracing (`src/tracing`), bundled as a second prebuilt variant so a
 * traced worker does not bundle at start either.
 */
export const TRACING_WORKFLOW_MODULE = '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';

/** The prebuilt variants `npm run build` writes: plain, and with tracing's workflow interceptors. */
export const PREBUILT_VARIANTS: ReadonlyArray<{ file: string; interceptorModules: readonly string[] }> = [
  { file: 'workflow-bundle.js', interceptorModules: [] },
  { file: 'workflow-bundle-tracing.js', interceptorModules: [TRACING_WORKFLOW_MODULE] },
];

/**
 * What a prebuilt bundle was built from, so a worker can tell whether it still matches the
 * compiled workflows: a sha256 over every project file it was bundled from (the compiled
 * workflows and the workflow-safe helpers they import), and the version of every package it took
 * code from (read from the bundle's source map).
 */
export interface BundleManifest {
  version: 1;
  /** The workflows module, relative to the manifest's directory. */
  workflows: string;
  /** The project files in the bundles, relative to the manifest's directory, sorted. */
  files: string[];
  /** sha256 (hex) over `files`: each relative path, a NUL, its content, a NUL. */
  sha256: string;
  /** Packages the bundles took code from, with the version built against. */
  packages: Record<string, string>;
  /** The bundles: a file beside the manifest and the interceptor modules bundled into it (as given). */
  variants: Array<{ file: string; interceptorModules: string[] }>;
}

/** Where a worker's workflow code comes from: a prebuilt file, or why that was not usable. */
export type PrebuiltLookup = { ok: true; bundle: WorkflowBundlePath } | { ok: false; reason: string };

/**
 * The bundled workflow code, built on first use and shared by every worker and replayer in the
 * process; `interceptorModules` (e.g. tracing's) are bundled in as workflow interceptors.
 * Always bundles in process; workers take {@link resolveWorkflowBundle}, which prefers the prebuilt one.
 */
export function getWorkflowBundle(interceptorModules: readonly string[] = []): Promise<WorkflowBundleWithSourceMap> {
  const key = interceptorModules.join('\n');
  let bundle = cached.get(key);
  if (!bundle) {
    bundle = bundleWorkflows(WORKFLOWS_PATH, interceptorModules).catch((err: unknown) => {
      cached.delete(key);
      throw err;
    });
    cached.set(key, bundle);
  }
  return bundle;
}

/**
 * The workflow code for a worker or replayer: the prebuilt bundle when it matches the compiled
 * workflows and `interceptorModules`, else {@link getWorkflowBundle} (bundled in process).
 */
export async function resolveWorkflowBundle(interceptorModules: readonly string[] = []): Promise<WorkflowBundleOption> {
  const prebuilt = findPrebuiltBundle(interceptorModules);
  return prebuilt.ok ? prebuilt.bundle : getWorkflowBundle(interceptorModules);
}

/**
 * The prebuilt bundle in `dir` for `interceptorModules`, if its manifest matches the workflows at
 * `workflowsPath` as they are now: the same project files byte for byte, the same package
 * versions. Cheap: it hashes the few compiled files the bundle was built from (no webpack).
 * `CASCADENCE_WORKFLOW_BUNDLE=off` in `env` disables it.
 */
export function findPrebuiltBundle(
  interceptorModules: readonly string[] = [],
  options: { dir?: string; workflowsPath?: string; env?: NodeJS.ProcessEnv } = {},
): PrebuiltLookup {
  const dir = options.dir ?? PREBUILT_DIR;
  const workflowsPath = options.workflowsPath ?? WORKFLOWS_PATH;
  if ((options.env ?? process.env).CASCADENCE_WORKFLOW_BUNDLE === 'off')
    return { ok: false, reason: 'disabled by CASCADENCE_WORKFLOW_BUNDLE=off' };
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as BundleManifest;
  } catch {
    return { ok: false, reason: `no prebuilt bundle in ${dir}` };
  }
  const wellFormed =
    manifest?.version === 1 &&
    typeof manifest.workflows === 'string' &&
    typeof manifest.sha256 === 'string' &&
    Array.isArray(manifest.files) &&
    Array.isArray(manifest.variants) &&
    typeof manifest.packages === 'object' &&
    manifest.packages !== null;
  if (!wellFormed) return { ok: false, reason: `${join(dir, MANIFEST_FILE)} is not a bundle manifest` };
  if (resolve(dir, manifest.workflows) !== workflowsPath)
    return { ok: false, reason: 'the prebuilt bundle was built from other workflows' };
  const wanted = interceptorModules.map((m) => resolveModule(m, workflowsPath));
  const variant = manifest.variants.find(
    (v) =>
      v.interceptorModules.length === wanted.length &&
      v.interceptorModules.every((m, i) => resolveModule(m, workflowsPath) === wanted[i]),
  );
  if (!variant) return { ok: false, reason: 'no prebuilt bundle has these workflow interceptor modules' };
  const codePath = join(dir, variant.file);
  if (!existsSync(codePath)) return { ok: false, reason: `${codePath} is missing` };
  for (const [name, version] of Object.entries(manifest.packages)) {
    if (packageVersion(name, workflowsPath) !== version)
      return { ok: false, reason: `the prebuilt bundle was built with ${name}@${version}` };
  }
  const hash = hashFiles(dir, manifest.files);
  if (hash !== manifest.sha256) return { ok: false, reason: 'the workflows changed since the bundle was built' };
  return { ok: true, bundle: { codePath } };
}

/**
 * Writes the prebuilt bundles of `variants` and their manifest into `dir` (what `npm run build`
 * runs, through scripts/build-workflow-bundle.js). The manifest is written last: a build
 * interrupted half-way leaves no manifest that claims a bundle.
 * @throws CascadenceError INTERNAL when the workflows do not bundle.
 */
export async function writePrebuiltBundles(
  options: {
    dir?: string;
    workflowsPath?: string;
    variants?: ReadonlyArray<{ file: string; interceptorModules: readonly string[] }>;
  } = {},
): Promise<BundleManifest> {
  const dir = options.dir ?? PREBUILT_DIR;
  const workflowsPath = options.workflowsPath ?? WORKFLOWS_PATH;
  const variants = options.variants ?? PREBUILT_VARIANTS;
  const files = new Set<string>();
  const packages: Record<string, string> = {};
  for (const variant of variants) {
    const modules = variant.interceptorModules.map((m) => resolveModule(m, workflowsPath));
    const { code } = await bundleWorkflows(workflowsPath, modules);
    // Packages from the bundle's source map (transitive ones too); project files by following the
    // compiled requires, since the source map names the TypeScript sources, not the files bundled.
    for (const source of sourcesOf(code)) {
      const pkg = packageOf(source);
      if (pkg) packages[pkg.name] ??= pkg.version;
    }
    for (const file of projectFiles([workflowsPath, ...modules])) files.add(relative(dir, file));
    writeAtomically(join(dir, variant.file), code);
  }
  const sorted = [...files].sort();
  const manifest: BundleManifest = {
    version: 1,
    workflows: relative(dir, workflowsPath),
    files: sorted,
    sha256: hashFiles(dir, sorted),
    packages: Object.fromEntries(Object.entries(packages).sort(([a], [b]) => a.localeCompare(b))),
    variants: variants.map((v) => ({ file: v.file, interceptorModules: [...v.interceptorModules] })),
  };
  writeAtomically(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Writes via a temporary file and a rename, so a worker starting meanwhile reads the old file or the new one. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** sha256 over `files` (relative to `dir`); a missing file gives a hash no manifest holds. */
function hashFiles(dir: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file).update('\0');
    try {
      hash.update(readFileSync(join(dir, file)));
    } catch {
      hash.update('\0missing');
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * The project files (outside node_modules) reachable from `entries` through relative imports: the
 * compiled `require("./x")` of CommonJS output, and `import ... from './x'` of sources. What
 * webpack bundles of the project; an import added later changes a listed file, so the hash.
 */
export function projectFiles(entries: readonly string[]): string[] {
  const seen = new Set<string>();
  const queue = entries.filter((e) => !e.includes(`${sep}node_modules${sep}`));
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(
      /(?:\brequire\(\s*|\bfrom\s+|\bimport\s+|\bimport\(\s*)(["'])(\.{1,2}\/[^"']*|\.{1,2})\1/g,
    )) {
      const target = resolveRelative(resolve(dirname(file), m[2] as string));
      if (target) queue.push(target);
    }
  }
  return [...seen].sort();
}

/** A relative import's file, as Node (and webpack) would find it: as is, with `.js`/`.ts`, or its index. */
function resolveRelative(base: string): string | undefined {
  for (const candidate of [base, `${base}.js`, `${base}.ts`, join(base, 'index.js'), join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** The files on disk a bundle was built from, from its inline source map (webpack's runtime left out). */
function sourcesOf(code: string): string[] {
  const at = code.lastIndexOf('//# sourceMappingURL=data:');
  const base64 = at < 0 ? -1 : code.indexOf('base64,', at);
  if (base64 < 0) throw new CascadenceError('INTERNAL', 'the workflow bundle has no inline source map');
  const map = JSON.parse(Buffer.from(code.slice(base64 + 'base64,'.length).trim(), 'base64').toString()) as {
    sources?: string[];
  };
  return (map.sources ?? [])
    .map((s) => s.replace(/^webpack:\/\/\/?/, '').replace(/\?.*$/, ''))
    .filter((s) => isAbsolute(s) && existsSync(s));
}

/** The package a bundled file belongs to, with its version, when it is under node_modules. */
function packageOf(file: string): { name: string; version: string } | undefined {
  const marker = `${sep}node_modules${sep}`;
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const parts = file.slice(at + marker.length).split(sep);
  const name = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? '');
  const root = file.slice(0, at + marker.length) + name.split('/').join(sep);
  try {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
    return { name, version: version ?? '' };
  } catch {
    return { name, version: '' };
  }
}

/** The installed version of package `name` as seen from `from` (Node's lookup: each ancestor's node_modules). */
function packageVersion(name: string, from: string): string | undefined {
  for (let d = dirname(from); ; d = dirname(d)) {
    const file = join(d, 'node_modules', name, 'package.json');
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '';
      } catch {
        return undefined;
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

/** A module specifier or path as an absolute file path (resolved from the workflows' directory). */
function resolveModule(specifier: string, workflowsPath: string): string {
  try {
    return require.resolve(specifier, { paths: [dirname(workflowsPath)] });
  } catch {
    return resolve(specifier);
  }
}

/**
 * Bundles the workflows at `workflowsPath` for the sandbox. Loads webpack (through the SDK's
 * bundler) on first use only.
 * @throws CascadenceError INTERNAL naming the imports the sandbox refuses (Node built-ins, I/O packages).
 */
export async function bundleWorkflows(
  workflowsPath: string,
  interceptorModules: readonly string[] = [],
): Promise<WorkflowBundleWithSourceMap> {
  const errors: string[] = [];
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  try {
    return await bundleWorkflowCode({
      workflowsPath,
      ...(interceptorModules.length > 0 ? { workflowInterceptorModules: [...interceptorModules] } : {}),
      logger: { ...quietLogger, error: (m: string) => errors.push(m) },
    });
  } catch (err) {
    const log = [rootMessage(err), ...errors].join('\n');
    const refused = new Set<string>();
    for (const m of log.matchAll(/^ERROR in (\S+)|Can't resolve '([^']+)'|^\s+- '([^']+)'/gm)) {
      const name = m[1] ?? m[2] ?? m[3];
      if (name && name !== 'main' && !name.startsWith('.')) refused.add(name);
    }
    const importer = /^ @ (\S+)/m.exec(log)?.[1];
    if (refused.size === 0) console.error(log);
    throw new CascadenceError(
      'INTERNAL',
      refused.size > 0
        ? `workflow code imports ${[...refused].map((m) => `'${m}'`).join(', ')}${importer ? ` (in ${importer})` : ''}, which the workflow sandbox refuses`
        : `cannot bundle the workflows at ${workflowsPath}: ${rootMessage(err).split('\n')[0]}`,
      {
        hint: 'workflows import only @temporalio/workflow, @temporalio/common, src/core and activity types',
        cause: err,
      },
    );
  }
}

const noop = (): void => undefined;
/** The bundler logs every build at info level; keep stdout for the CLI's own output (errors still reach stderr). */
export const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
  log: noop,
};
