// The original's staged mod installation as four tasks, each a real step on files under one
// work folder: download -> verify -> install -> configure (the DAG is setup.yml). Load it with
// `CASCADENCE_TASK_MODULES=examples/orchestrated-setup/tasks.js`. Every step writes through a
// temporary name and renames, so a retried or resumed step never sees half a file.
'use strict';

const { createHash } = require('node:crypto');
const {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} = require('node:fs');
const { tmpdir } = require('node:os');
const { basename, dirname, join, relative, resolve } = require('node:path');
const { packFolder, unpack } = require('./archive');

/** The archive's bytes do not match the expected checksum. Not retried: the same bytes fail again. */
class ChecksumMismatchError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ChecksumMismatchError';
  }
}

/** Writes `data` to `file` through a temporary name, so a reader never sees half a file. */
function writeAtomically(file, data) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.partial`, data);
  renameSync(`${file}.partial`, file);
}

/** Resolves after `ms`, or rejects once `signal` aborts (the run was cancelled). */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('cancelled'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(new Error('cancelled'));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Like {@link writeAtomically}, at most `bytesPerSecond` (a download manager's bandwidth limit),
 * in tenth-of-a-second chunks; without a limit, at once.
 */
async function writeThrottled(file, data, bytesPerSecond, signal) {
  if (!bytesPerSecond) return writeAtomically(file, data);
  mkdirSync(dirname(file), { recursive: true });
  const chunk = Math.max(1, Math.ceil(bytesPerSecond / 10));
  const fd = openSync(`${file}.partial`, 'w');
  try {
    for (let at = 0; at < data.length; at += chunk) {
      writeSync(fd, data.subarray(at, at + chunk));
      await sleep(100, signal);
    }
  } finally {
    closeSync(fd);
  }
  renameSync(`${file}.partial`, file);
}

/** The output of dependency `node`, or a clear error when the task runs outside the DAG. */
function upstream(ctx, node) {
  const value = ctx.upstream?.[node];
  if (value === undefined)
    throw new Error(`${ctx.task} needs the output of node ${node}: run it in examples/orchestrated-setup/setup.yml`);
  return value;
}

/** Hex SHA-256 of a file. */
function sha256Of(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A mod's manifest (`mod.json`): at least its name and version. */
function readManifest(dir) {
  const file = join(dir, 'mod.json');
  if (!existsSync(file)) throw new Error(`${dir} is not a mod folder: it has no mod.json`);
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  for (const key of ['name', 'version'])
    if (typeof manifest[key] !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(manifest[key]))
      throw new Error(`${file}: "${key}" must be letters, digits, ".", "_" or "-"`);
  return manifest;
}

/**
 * Download: fetches the mod from its source folder (standing in for a mirror; no network) as
 * `<workdir>/downloads/<name>-<version>.tar.gz`, next to the mirror's checksum file
 * `<archive>.sha256` (in `sha256sum` format). Input: `workdir` (default
 * `<tmpdir>/cascadence-setup-<run id>`), `source` (default: this example's `mod-source/`) and
 * `bytesPerSecond`, a bandwidth limit (default: none).
 */
const download = {
  description: 'Mod setup: fetch the mod archive and its checksum into <workdir>/downloads',
  async run(ctx) {
    const input = ctx.input ?? {};
    const workdir = resolve(input.workdir ?? join(tmpdir(), `cascadence-setup-${ctx.runId.replace(/[^\w.-]/g, '_')}`));
    const source = resolve(input.source ?? join(__dirname, 'mod-source'));
    const { name, version } = readManifest(source);
    const archive = join(workdir, 'downloads', `${name}-${version}.tar.gz`);
    const { files, data } = packFolder(source);
    await writeThrottled(archive, data, input.bytesPerSecond, ctx.signal);
    const sha256 = sha256Of(archive);
    writeAtomically(`${archive}.sha256`, `${sha256}  ${basename(archive)}\n`);
    return { workdir, mod: name, version, archive, sha256, files: files.length };
  },
};

/**
 * Verify: recomputes the archive's SHA-256 and compares it with the checksum file that came with
 * it (or with `input.sha256`, a digest pinned in the DAG). A mismatch fails the node, so
 * nothing is installed.
 */
const verify = {
  description: "Mod setup: check the archive's sha256 against its checksum file",
  options: { retry: { nonRetryableErrorTypes: ['ChecksumMismatchError'] } },
  run(ctx) {
    const { workdir, mod, version, archive } = upstream(ctx, 'download');
    const expected = String(ctx.input?.sha256 ?? readFileSync(`${archive}.sha256`, 'utf8').split(/\s+/)[0]);
    const actual = sha256Of(archive);
    if (actual !== expected.toLowerCase())
      throw new ChecksumMismatchError(`${basename(archive)}: sha256 is ${actual}, expected ${expected}`);
    return { workdir, mod, version, archive, sha256: actual, verified: true };
  },
};

/**
 * Install: extracts the verified archive into `<workdir>/mods/<name>/`, replacing an earlier
 * install of the mod only once the new one is complete.
 */
const install = {
  description: 'Mod setup: extract the verified archive into <workdir>/mods/<name>',
  run(ctx) {
    const { workdir, mod, version, archive } = upstream(ctx, 'verify');
    const modsDir = join(workdir, 'mods');
    const target = join(modsDir, mod);
    const staging = join(modsDir, `.${mod}.partial`);
    rmSync(staging, { recursive: true, force: true });
    const files = unpack(archive, staging);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    return { workdir, mod, version, path: target, files };
  },
};

/**
 * Configure: enables the mod in `<workdir>/config/mods.json` (kept across mods: each install
 * adds its entry and goes last in the load order), with the manifest's default settings under
 * those of `input.settings`.
 */
const configure = {
  description: 'Mod setup: enable the mod and write its settings to <workdir>/config/mods.json',
  run(ctx) {
    const { workdir, mod, version, path } = upstream(ctx, 'install');
    const manifest = readManifest(path);
    const settings = { ...(manifest.defaults ?? {}), ...(ctx.input?.settings ?? {}) };
    const file = join(workdir, 'config', 'mods.json');
    const config = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { loadOrder: [], mods: {} };
    config.mods[mod] = { version, enabled: true, path: relative(workdir, path), settings };
    config.loadOrder = [...config.loadOrder.filter((m) => m !== mod), mod];
    writeAtomically(file, `${JSON.stringify(config, null, 2)}\n`);
    return { workdir, mod, file, enabled: true, settings };
  },
};

exports.tasks = { 'mod-download': download, 'mod-verify': verify, 'mod-install': install, 'mod-configure': configure };
