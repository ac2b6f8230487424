import { isCascadenceError, type CascadenceError } from '../../../src/core/errors';
import { normalisePlan, preview } from '../../../src/core/plan';
import { ParallelPlan } from '../../../src/core/task';

/** Calls `fn` and returns what it threw (fails the test when it does not throw). */
function thrown(fn: () => unknown): CascadenceError {
  try {
    fn();
  } catch (err) {
    if (!isCascadenceError(err)) throw err;
    return err;
  }
  throw new Error('expected a CascadenceError, nothing was thrown');
}

describe('normalisePlan', () => {
  describe('lists are sequences', () => {
    it('turns a list of subtask references into a sequence, keeping order and inputs', () => {
      const plan = normalisePlan([{ task: 'a', input: { n: 1 } }, { task: 'b' }, { task: 'c', input: [1, 2] }]);
      expect(plan).toEqual({
        kind: 'sequence',
        tasks: [{ task: 'a', input: { n: 1 } }, { task: 'b' }, { task: 'c', input: [1, 2] }],
      });
    });

    it('reads a non-empty string as shorthand for { task }', () => {
      expect(normalisePlan(['a', { task: 'b', input: 2 }, 'c'])).toEqual({
        kind: 'sequence',
        tasks: [{ task: 'a' }, { task: 'b', input: 2 }, { task: 'c' }],
      });
    });

    it('leaves out an undefined input but keeps falsy ones', () => {
      const plan = normalisePlan([
        { task: 'a', input: undefined },
        { task: 'b', input: null },
        { task: 'c', input: 0 },
        { task: 'd', input: '' },
        { task: 'e', input: false },
      ]);
      expect(plan.kind).toBe('sequence');
      if (plan.kind === 'value') throw new Error('unreachable');
      expect(plan.tasks[0]).toStrictEqual({ task: 'a' });
      expect(Object.keys(plan.tasks[0] as object)).toEqual(['task']);
      expect(plan.tasks.slice(1)).toStrictEqual([
        { task: 'b', input: null },
        { task: 'c', input: 0 },
        { task: 'd', input: '' },
        { task: 'e', input: false },
      ]);
    });

    it('drops keys of a reference other than task and input', () => {
      expect(normalisePlan([{ task: 'a', input: 1, extra: 'x', execution: 'parallel' }])).toStrictEqual({
        kind: 'sequence',
        tasks: [{ task: 'a', input: 1 }],
      });
    });

    it('turns an empty list into an empty sequence', () => {
      expect(normalisePlan([])).toEqual({ kind: 'sequence', tasks: [] });
    });
  });

  describe('parallel plans', () => {
    it("reads { execution: 'parallel', tasks } as a parallel plan", () => {
      expect(normalisePlan({ execution: 'parallel', tasks: ['a', { task: 'b', input: 'x' }] })).toEqual({
        kind: 'parallel',
        tasks: [{ task: 'a' }, { task: 'b', input: 'x' }],
      });
    });

    it('reads a ParallelPlan instance the same way', () => {
      expect(normalisePlan(new ParallelPlan([{ task: 'a', input: 1 }, 'b']))).toEqual({
        kind: 'parallel',
        tasks: [{ task: 'a', input: 1 }, { task: 'b' }],
      });
    });

    it('treats missing (or null) tasks as an empty parallel plan', () => {
      expect(normalisePlan({ execution: 'parallel' })).toEqual({ kind: 'parallel', tasks: [] });
      expect(normalisePlan({ execution: 'parallel', tasks: null })).toEqual({ kind: 'parallel', tasks: [] });
    });

    it('rejects parallel tasks that are not a list with INVALID_PLAN', () => {
      for (const tasks of ['a', 3, { task: 'a' }, true]) {
        const err = thrown(() => normalisePlan({ execution: 'parallel', tasks }));
        expect(err.code).toBe('INVALID_PLAN');
        expect(err.message).toMatch(/tasks/);
      }
    });

    it('rejects an invalid item inside a parallel plan with INVALID_PLAN', () => {
      const err = thrown(() => normalisePlan(new ParallelPlan(['a', 7 as unknown as string])));
      expect(err.code).toBe('INVALID_PLAN');
      expect(err.message).toContain('plan item 1');
    });
  });

  describe('invalid items', () => {
    const invalid: Array<[string, unknown]> = [
      ['a number', 42],
      ['null', null],
      ['undefined', undefined],
      ['an empty string', ''],
      ['a boolean', true],
      ['a nested list', ['a']],
      ['an object without task', { input: 1 }],
      ['an object with an empty task', { task: '' }],
      ['an object with a non-string task', { task: 5 }],
    ];

    it.each(invalid)('rejects %s with INVALID_PLAN naming its position', (_label, item) => {
      const err = thrown(() => normalisePlan(['ok', item]));
      expect(err.name).toBe('CascadenceError');
      expect(err.code).toBe('INVALID_PLAN');
      expect(err.message).toContain('plan item 1');
      expect(err.hint).toEqual(expect.any(String));
    });

    it('shows at most 80 characters of the offending item in the message', () => {
      const err = thrown(() => normalisePlan([{ input: 'x'.repeat(500) }]));
      expect(err.code).toBe('INVALID_PLAN');
      expect(err.message).toContain('plan item 0');
      expect(err.message).toContain('...');
      expect(err.message.length).toBeLessThan(200);
    });
  });

  describe('anything else is a plain value for run', () => {
    const values: Array<[string, unknown]> = [
      ['undefined', undefined],
      ['null', null],
      ['a string', 'just do it'],
      ['a number', 3],
      ['a boolean', false],
      ['a plain object', { steps: ['x', 'y'] }],
      ['an object with tasks but no parallel execution', { tasks: ['a'] }],
      ['an object with another execution mode', { execution: 'sequence', tasks: ['a'] }],
    ];

    it.each(values)('keeps %s as kind value, untouched', (_label, value) => {
      const plan = normalisePlan(value);
      expect(plan.kind).toBe('value');
      if (plan.kind !== 'value') throw new Error('unreachable');
      expect(plan.value).toBe(value);
    });
  });
});

describe('preview', () => {
  it('leaves undefined undefined', () => {
    expect(preview(undefined)).toBeUndefined();
  });

  it('renders values as JSON (strings quoted)', () => {
    expect(preview('hi')).toBe('"hi"');
    expect(preview({ a: [1, null] })).toBe('{"a":[1,null]}');
    expect(preview(null)).toBe('null');
    expect(preview(12)).toBe('12');
  });

  it('keeps text of exactly 256 characters and cuts longer text at 256 with "..."', () => {
    const exact = 'x'.repeat(254); // 256 characters once quoted
    expect(preview(exact)).toBe(JSON.stringify(exact));
    expect(preview(exact)?.length).toBe(256);

    const long = 'y'.repeat(1000);
    const cut = preview(long) as string;
    expect(cut).toBe(`${JSON.stringify(long).slice(0, 256)}...`);
    expect(cut.length).toBe(259);
  });

  it('honours a custom limit', () => {
    expect(preview([1, 2, 3, 4, 5], 5)).toBe('[1,2,...');
    expect(preview('abc', 5)).toBe('"abc"');
  });

  it('falls back to String() for values JSON cannot render', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(preview(circular)).toBe('[object Object]');
    expect(preview(10n)).toBe('10');
    expect(preview(Symbol('s'))).toBe('Symbol(s)');
  });
});
