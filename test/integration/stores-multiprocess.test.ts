/**
 * Several processes writing one pointer store at once lose nothing: four node processes each add
 * 50 distinct pointers, every add a separate locked merge-on-save, and all 200 are stored once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PointerStore } from '../../src/stores/pointer-store';

const SCRIPT = join(__dirname, '..', 'fixtures', 'stores', 'add-pointers.ts');
const WRITERS = 4;
const EACH = 50;

function writer(
  path: string,
  n: number,
): { ready: Promise<void>; exited: Promise<{ code: number | null; out: string }> } {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', SCRIPT, path, String(n), String(EACH)],
    {
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let isReady!: () => void;
  const ready = new Promise<void>((r) => (isReady = r));
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.includes('ready\n')) isReady();
  });
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return {
    ready: Promise.race([ready, new Promise<void>((r) => child.on('close', () => r()))]),
    exited: new Promise((resolve) => child.on('close', (code) => resolve({ code, out }))),
  };
}

describe('pointer store shared by several processes', () => {
  it(`keeps all ${WRITERS * EACH} pointers of ${WRITERS} processes writing at once`, async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cascadence-mp-')), 'pointers.yml');
    const writers = Array.from({ length: WRITERS }, (_, i) => writer(path, i));
    // Released together once every process is up (ts-node start-up takes a while).
    await Promise.all(writers.map((w) => w.ready));
    writeFileSync(`${path}.go`, '');
    const results = await Promise.all(writers.map((w) => w.exited));
    for (const r of results) expect(r).toEqual({ code: 0, out: 'ready\ndone\n' });
    const stored = new PointerStore(path).list('demo').map((p) => p.run_id);
    expect(stored).toHaveLength(WRITERS * EACH);
    const expected = Array.from({ length: WRITERS }, (_, w) => Array.from({ length: EACH }, (_, i) => `w${w}-${i}`));
    expect([...stored].sort()).toEqual(expected.flat().sort());
    // Each writer's pointers keep their order: every save appended to what was on disk then.
    for (let w = 0; w < WRITERS; w++) {
      expect(stored.filter((r) => r.startsWith(`w${w}-`))).toEqual(expected[w]);
    }
    expect(readFileSync(path, 'utf8')).toMatch(/^# Cascadence pointer store/);
  });
});
