/**
 * The lint rules that keep the layers and the workflow sandbox: a probe file is written where
 * the rule applies, linted with the project's ESLint config, and removed.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const ESLINT = join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

type Finding = { rule: string | null; message: string };
/** Every probe of this file, linted together in one ESLint run (the config is ESM, which Jest cannot load). */
const probes: Array<{ folder: string; source: string; file: string }> = [];
let results: Map<string, Finding[]> | undefined;

function probe(folder: string, source: string): string {
  const file = join(ROOT, folder, `lint-probe-${randomUUID().slice(0, 8)}.ts`);
  probes.push({ folder, source, file });
  return file;
}

function lintAll(): Map<string, Finding[]> {
  for (const p of probes) writeFileSync(p.file, p.source);
  try {
    const run = spawnSync(process.execPath, [ESLINT, '--format', 'json', ...probes.map((p) => p.file)], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const report = JSON.parse(run.stdout) as Array<{
      filePath: string;
      messages: Array<{ ruleId: string | null; message: string }>;
    }>;
    return new Map(report.map((r) => [r.filePath, r.messages.map((m) => ({ rule: m.ruleId, message: m.message }))]));
  } finally {
    for (const p of probes) rmSync(p.file, { force: true });
  }
}

/** What ESLint reported for `source` placed in `folder`. */
function findings(file: string): Finding[] {
  results ??= lintAll();
  return results.get(file) ?? [];
}

const rules = (found: Finding[]): Array<string | null> => found.map((f) => f.rule);

jest.setTimeout(180_000);

const SANDBOX: Array<[string, string, string]> = [
  ['a Node built-in', 'src/workflows', "import { readFile } from 'node:fs/promises';\nexport const f = readFile;\n"],
  ['a bare Node built-in', 'src/workflows', "import { createHash } from 'crypto';\nexport const h = createHash;\n"],
  ['a Node-only package', 'src/workflows', "import { Cron } from 'croner';\nexport const c = Cron;\n"],
  ['an I/O package', 'src/workflows', "import { Client } from '@temporalio/client';\nexport const c = Client;\n"],
  ['a Node built-in in core', 'src/core', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n"],
  ['a Node-only package in core', 'src/core', "import Ajv from 'ajv';\nexport const a = Ajv;\n"],
  [
    '@temporalio/workflow in core',
    'src/core',
    "import { sleep } from '@temporalio/workflow';\nexport const s = sleep;\n",
  ],
].map(([what, folder, source]) => [what as string, probe(folder as string, source as string), folder as string]);

const ACTIVITY_VALUE = probe(
  'src/workflows',
  "import { createStageActivities } from '../activities/stages';\nexport const a = createStageActivities;\n",
);
const ACTIVITY_TYPE = probe(
  'src/workflows',
  "import type { StageActivities } from '../activities/stages';\nexport type A = StageActivities;\n",
);
const ALLOWED = probe(
  'src/workflows',
  [
    "import { sleep } from '@temporalio/workflow';",
    "import { ApplicationFailure } from '@temporalio/common';",
    "import { CascadenceError } from '../core/errors';",
    "import { pauseSignal } from './messages';",
    'export const all = [sleep, ApplicationFailure, CascadenceError, pauseSignal];',
    '',
  ].join('\n'),
);

const LAYERS: Array<[string, string]> = [
  [
    'a feature folder importing a backend',
    probe('src/schedules', "import { OPERATIONS } from '../backends/backend';\nexport const o = OPERATIONS;\n"),
  ],
  [
    'an activity importing a backend',
    probe(
      'src/activities',
      "import { TemporalBackend } from '../backends/temporal';\nexport const t = TemporalBackend;\n",
    ),
  ],
  [
    'core importing a feature folder',
    probe('src/core', "import { hashId } from '../events/hash';\nexport const h = hashId;\n"),
  ],
  [
    'a workflow importing the worker',
    probe('src/workflows', "import type { WorkerDeps } from '../worker/create-worker';\nexport type W = WorkerDeps;\n"),
  ],
  [
    'a backend importing the CLI',
    probe('src/backends', "import { BaseCommand } from '../cli/base-command';\nexport const b = BaseCommand;\n"),
  ],
];
const DOWNWARD = probe('src/backends', "import { hashId } from '../events/hash';\nexport const h = hashId;\n");

describe('the workflow sandbox allowlist', () => {
  it.each(SANDBOX)('rejects %s', (_what, file) => {
    const found = findings(file);
    expect(rules(found)).toContain('no-restricted-imports');
    expect(found.find((f) => f.rule === 'no-restricted-imports')?.message).toMatch(/allowlist/);
  });

  it('rejects an activity imported as a value, and accepts it as a type', () => {
    expect(findings(ACTIVITY_VALUE).map((f) => f.message)).toEqual([
      expect.stringContaining('import activities as types only'),
    ]);
    expect(findings(ACTIVITY_TYPE)).toEqual([]);
  });

  it('accepts what workflow code may import', () => {
    expect(findings(ALLOWED)).toEqual([]);
  });
});

describe('the layers', () => {
  it.each(LAYERS)('rejects %s', (_what, file) => {
    expect(rules(findings(file))).toContain('import-x/no-restricted-paths');
  });

  it('accepts an import down the layers', () => {
    expect(findings(DOWNWARD)).toEqual([]);
  });
});
