/**
 * Fuzzing the DAG definition and config file parsers with fast-check: whatever the text or the
 * shape, each either loads or fails with a CascadenceError whose every line names a problem (no
 * crash, no other error type). Counts: `fuzzRuns` (10,000 in the full reliability suite).
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/config';
import { isCascadenceError } from '../../../src/core/errors';
import { parseDagData, parseDagText } from '../../../src/dag/load';
import { fuzzRuns } from '../../helpers/fuzz';

const KNOWN = new Set(['a', 'b', 'example']);
const yamlChars = fc.constantFrom(...'ab01:- \n\t"\'{}[],#&*!|>?%@`~\\'.split(''));
const anyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.string({ unit: yamlChars, maxLength: 120 }),
);

/** Fails the property unless `fn` returns or throws a well-formed CascadenceError of `codes`. */
function cleanly(fn: () => unknown, codes: readonly string[]): void {
  try {
    fn();
  } catch (err) {
    if (!isCascadenceError(err)) throw new Error(`not a CascadenceError: ${String(err)}`);
    if (!codes.includes(err.code)) throw new Error(`code ${err.code}: ${err.message}`);
    const lines = err.message.split('\n');
    if (lines.some((l) => l.trim() === '')) throw new Error(`an empty line in: ${JSON.stringify(err.message)}`);
  }
}

const node = fc.record(
  {
    id: fc.oneof(fc.constantFrom('a', 'b', 'c', ''), fc.string({ maxLength: 8 })),
    task: fc.oneof(fc.constantFrom('a', 'b', 'example', 'nope'), fc.string({ maxLength: 8 })),
    dependsOn: fc.array(fc.constantFrom('a', 'b', 'c', 'x'), { maxLength: 3 }),
    when: fc.oneof(
      fc.constantFrom('a.ok', 'a.output.n > 1', 'not b.ok', 'a.ok and', '(('),
      fc.string({ maxLength: 20 }),
    ),
    lightweight: fc.boolean(),
    input: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

describe('DAG definitions', () => {
  it('any text loads or fails with VALIDATION lines', () => {
    fc.assert(
      fc.property(anyText, (text) => cleanly(() => parseDagText(text, 'fuzz.yml', KNOWN), ['VALIDATION'])),
      { numRuns: fuzzRuns(1000) },
    );
  });

  it('any shaped definition (nodes, edges, conditions) loads or fails with VALIDATION lines', () => {
    const dag = fc.record(
      { name: fc.oneof(fc.constant('fuzz'), fc.string({ maxLength: 10 })), nodes: fc.array(node, { maxLength: 6 }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(dag, fc.jsonValue({ maxDepth: 3 })), (data) =>
        cleanly(() => parseDagData(data, 'fuzz body', KNOWN), ['VALIDATION']),
      ),
      { numRuns: fuzzRuns(1000) },
    );
  });
});

describe('config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cascadence-fuzz-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cascadence.yml');
  const keys = fc.constantFrom(
    'backend',
    'temporal_server',
    'task_queue',
    'events',
    'timezone',
    'task_modules',
    'plugin_dirs',
    'cronyx_timeout',
    'cronyx_refresh',
    'metrics_port',
    'plan_command',
    'unknown_key',
  );
  const values = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
  );

  it('any text loads or fails with one CONFIG line', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        writeFileSync(file, text);
        cleanly(() => loadConfig({ config: file }, {}, () => undefined), ['CONFIG']);
      }),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('any mapping of known and unknown keys loads or fails with one CONFIG line', () => {
    fc.assert(
      fc.property(fc.dictionary(keys, values, { maxKeys: 5 }), (doc) => {
        writeFileSync(file, JSON.stringify(doc));
        cleanly(() => loadConfig({ config: file }, {}, () => undefined), ['CONFIG']);
      }),
      { numRuns: fuzzRuns(500) },
    );
  });
});
