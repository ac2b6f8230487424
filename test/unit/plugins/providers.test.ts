/**
 * The built-in providers without servers: the research query, configuration checks, and the
 * planning command (a real subprocess) with its stdin, hints and plan validation. The research
 * endpoint against a real HTTP server is in the integration tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StageContext } from '../../../src/core';
import {
  commandPlanProvider,
  createProviders,
  httpResearchProvider,
  researchQuery,
} from '../../../src/plugins/providers';
import type { IdeaSeed } from '../../../src/stores/idea-store';

const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);
const FAMILY = 'f'.repeat(64);
const WORK = 'e'.repeat(64);

let dir = '';
let planScript = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascadence-providers-unit-'));
  planScript = join(dir, 'plan.js');
  // Prints what it read as the plan `{ got }`, or a broken plan when the input asks for one.
  writeFileSync(
    planScript,
    [
      "let text = '';",
      "process.stdin.on('data', (c) => (text += c));",
      "process.stdin.on('end', () => {",
      '  const req = JSON.parse(text);',
      '  const mode = req.input && req.input.mode;',
      "  if (mode === 'not-json') return void process.stdout.write('plan: do it');",
      "  if (mode === 'empty') return;",
      "  if (mode === 'bad-item') return void process.stdout.write(JSON.stringify([{ nope: 1 }]));",
      "  if (mode === 'exit') { process.stderr.write('planner is down\\n'); process.exit(2); }",
      '  process.stdout.write(JSON.stringify({ got: req }));',
      '});',
      '',
    ].join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ctx(input: unknown, extra: Partial<StageContext> = {}): StageContext {
  return {
    task: 'trip',
    runId: 'run-1',
    userHash: ALICE,
    groupHash: FAMILY,
    input,
    context: [],
    attempt: 1,
    signal: new AbortController().signal,
    heartbeat: () => undefined,
    ...extra,
  };
}

const seed = (text: string, user: string, group?: string): IdeaSeed => ({
  text,
  user_hash: user,
  ...(group ? { group_hash: group } : {}),
  time: '2026-01-01T00:00:00.000Z',
});

describe('researchQuery', () => {
  it("is the input's query, else a string input, else the task's name", () => {
    expect(researchQuery({ task: 't', input: { query: 'weather in Lyon', other: 1 } })).toBe('weather in Lyon');
    expect(researchQuery({ task: 't', input: 'cheap flights' })).toBe('cheap flights');
    expect(researchQuery({ task: 't', input: { query: 3 } })).toBe('t');
    expect(researchQuery({ task: 't', input: undefined })).toBe('t');
  });
});

describe('configuration', () => {
  it('gives no provider for unset settings', () => {
    expect(createProviders({ researchUrl: undefined, planCommand: undefined, ideasPath: join(dir, 'i.yml') })).toEqual(
      {},
    );
  });

  it('gives both providers when both are set', () => {
    const providers = createProviders({
      researchUrl: 'https://research.example/q',
      planCommand: [process.execPath, planScript],
      ideasPath: join(dir, 'i.yml'),
    });
    expect(Object.keys(providers).sort()).toEqual(['plan', 'research']);
  });

  it('refuses a research URL that is not http(s)', () => {
    expect(() => httpResearchProvider('ftp://x/y')).toThrow(/research_url "ftp:\/\/x\/y" is not an http\(s\) URL/);
    expect(() => httpResearchProvider('not a url')).toThrow(/not an http\(s\) URL/);
  });

  it('refuses an empty plan command', () => {
    expect(() => commandPlanProvider([])).toThrow(/plan_command names no program/);
  });
});

describe('commandPlanProvider', () => {
  const ideas = {
    list: () => [
      seed('old idea of alice', ALICE),
      seed('bob idea', BOB, FAMILY),
      seed('alice family idea', ALICE, FAMILY),
      seed('alice work idea', ALICE, WORK),
    ],
  };

  it("sends the task's input, research and the user's ideas as hints on stdin, hashes only", async () => {
    const plan = commandPlanProvider([process.execPath, planScript], { ideas });
    const out = (await plan(ctx({ query: 'trip' }, { research: { facts: ['sunny'] } }))) as { got: unknown };
    expect(out.got).toEqual({
      task: 'trip',
      run_id: 'run-1',
      user_hash: ALICE,
      group_hash: FAMILY,
      input: { query: 'trip' },
      research: { facts: ['sunny'] },
      hints: ['old idea of alice', 'alice family idea'],
    });
  });

  it('sends no hints without an idea source, and null for no input', async () => {
    const plan = commandPlanProvider([process.execPath, planScript]);
    const out = (await plan(ctx(undefined))) as { got: { hints: unknown; input: unknown; research?: unknown } };
    expect(out.got.hints).toEqual([]);
    expect(out.got.input).toBeNull();
    expect(out.got).not.toHaveProperty('research');
  });

  it.each<[string, string, RegExp]>([
    ['not-json', 'INVALID_PLAN', /^plan command .*plan\.js printed something that is not JSON: /],
    ['empty', 'INVALID_PLAN', /^plan command .*plan\.js printed no plan$/],
    ['bad-item', 'INVALID_PLAN', /^plan command .*plan\.js: plan item 0 is not a subtask reference: \{"nope":1\}$/],
    ['exit', 'STAGE_FAILED', /^plan command .*plan\.js exited with status 2: planner is down$/],
  ])('fails clearly when the command %s', async (mode, code, message) => {
    const plan = commandPlanProvider([process.execPath, planScript]);
    await expect(plan(ctx({ mode }))).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  });
});
