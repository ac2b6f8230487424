import { runInNewContext } from 'node:vm';
import {
  CascadenceError,
  ERROR_CODES,
  EXIT_CODES,
  exitCodeFor,
  isCascadenceError,
  type ErrorCode,
} from '../../../src/core/errors';

describe('CascadenceError', () => {
  it('is an Error carrying a code, a hint and a cause', () => {
    const cause = new Error('root');
    const err = new CascadenceError('CONFIG', 'bad config', { hint: 'fix it', cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('CascadenceError');
    expect(err.message).toBe('bad config');
    expect(err.code).toBe('CONFIG');
    expect(err.hint).toBe('fix it');
    expect(err.cause).toBe(cause);
  });

  it('leaves hint and cause unset when not given', () => {
    const err = new CascadenceError('USAGE', 'nope');
    expect(err.hint).toBeUndefined();
    expect('cause' in err).toBe(false);
  });
});

describe('exitCodeFor', () => {
  const expected: Record<ErrorCode, number> = {
    USAGE: 2,
    VALIDATION: 2,
    UNKNOWN_TASK: 2,
    TASK_DISABLED: 2,
    TASK_PAUSED: 2,
    INVALID_PLAN: 2,
    PLAN_DEPTH_EXCEEDED: 2,
    CONTEXT_REJECTED: 2,
    UNKNOWN_RUN: 2,
    UNKNOWN_SCHEDULE: 2,
    RUN_FINISHED: 2,
    RUN_EXISTS: 2,
    NOT_FOUND: 2,
    UNAUTHORIZED: 2,
    FORBIDDEN: 2,
    PAYLOAD_TOO_LARGE: 2,
    RATE_LIMITED: 2,
    CONFIG: 3,
    CONNECTION: 4,
    UNSUPPORTED: 4,
    STAGE_FAILED: 5,
    DAG_FAILED: 5,
    CIRCUIT_OPEN: 5,
    CANCELLED: 5,
    PRECHECK_FAILED: 6,
    CALENDAR: 2,
    REPLAY_MISMATCH: 5,
    INTERNAL: 1,
  };

  it('covers every error code', () => {
    expect(Object.keys(expected).sort()).toEqual(Object.values(ERROR_CODES).sort());
  });

  it.each(Object.entries(expected))('maps %s to exit %d', (code, exit) => {
    expect(exitCodeFor(code)).toBe(exit);
  });

  it('uses the documented exit code constants', () => {
    expect(exitCodeFor('USAGE')).toBe(EXIT_CODES.USAGE);
    expect(exitCodeFor('CONFIG')).toBe(EXIT_CODES.CONFIG);
    expect(exitCodeFor('CONNECTION')).toBe(EXIT_CODES.CONNECTION);
    expect(exitCodeFor('STAGE_FAILED')).toBe(EXIT_CODES.RUN_FAILED);
    expect(exitCodeFor('PRECHECK_FAILED')).toBe(EXIT_CODES.PRECHECK_FAILED);
  });

  it('maps unknown codes and no code to 1', () => {
    expect(exitCodeFor('SOMETHING_ELSE')).toBe(EXIT_CODES.UNEXPECTED);
    expect(exitCodeFor('usage')).toBe(1);
    expect(exitCodeFor('')).toBe(1);
    expect(exitCodeFor(undefined)).toBe(1);
  });
});

describe('isCascadenceError', () => {
  it('recognises a CascadenceError', () => {
    expect(isCascadenceError(new CascadenceError('INTERNAL', 'x'))).toBe(true);
  });

  it('recognises any object carrying the Symbol.for brand, whatever its class', () => {
    const plain = { [Symbol.for('cascadence.error')]: true, code: 'CONFIG', message: 'from elsewhere' };
    expect(isCascadenceError(plain)).toBe(true);
  });

  it('recognises a branded error made in another realm', () => {
    const foreign: unknown = runInNewContext(
      "const e = new Error('other realm'); e[Symbol.for('cascadence.error')] = true; e.code = 'USAGE'; e",
    );
    expect(foreign instanceof Error).toBe(false);
    expect(isCascadenceError(foreign)).toBe(true);
  });

  it('rejects unbranded values and brands that are not exactly true', () => {
    for (const value of [
      null,
      undefined,
      'CascadenceError',
      42,
      new Error('plain'),
      { code: 'CONFIG', name: 'CascadenceError' },
      { [Symbol.for('cascadence.error')]: 'yes' },
      { [Symbol.for('cascadence.error')]: 1 },
      { [Symbol('cascadence.error')]: true },
    ]) {
      expect(isCascadenceError(value)).toBe(false);
    }
  });
});
