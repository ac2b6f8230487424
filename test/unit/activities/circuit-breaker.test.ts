import { CircuitBreaker, CircuitBreakers } from '../../../src/activities/circuit-breaker';
import { isCascadenceError, type CascadenceError } from '../../../src/core/errors';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

function openError(breaker: CircuitBreaker, task = 'T', step = 'run'): CascadenceError {
  try {
    breaker.check(task, step);
  } catch (err) {
    if (!isCascadenceError(err)) throw err;
    return err;
  }
  throw new Error('expected the breaker to be open');
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker(3, 10_000, clock.now);
    breaker.failure();
    breaker.failure();
    expect(() => breaker.check('T', 'run')).not.toThrow();
  });

  it('opens after N consecutive failures, with CIRCUIT_OPEN naming the stage, the count and the wait', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker(3, 10_000, clock.now);
    for (let i = 0; i < 3; i++) breaker.failure();
    const err = openError(breaker, 'Fetch', 'research');
    expect(err.code).toBe('CIRCUIT_OPEN');
    expect(err.message).toContain('Fetch.research');
    expect(err.message).toContain('3 consecutive failures');
    expect(err.message).toContain('retry in 10s');
  });

  it('rounds the remaining wait up to whole seconds', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker(1, 10_000, clock.now);
    breaker.failure();
    clock.advance(8_500);
    expect(openError(breaker).message).toContain('retry in 2s');
    clock.advance(1_499);
    expect(openError(breaker).message).toContain('retry in 1s');
  });

  it('counts only consecutive failures: a success resets the count', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker(3, 10_000, clock.now);
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(() => breaker.check('T', 'run')).not.toThrow();
    breaker.failure();
    expect(openError(breaker).code).toBe('CIRCUIT_OPEN');
  });

  it('stays open until the recovery time has passed, then lets a trial call through', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker(2, 5_000, clock.now);
    breaker.failure();
    breaker.failure();
    clock.advance(4_999);
    expect(openError(breaker).code).toBe('CIRCUIT_OPEN');
    clock.advance(1);
    expect(() => breaker.check('T', 'run')).not.toThrow();
  });

  it('re-opens at once when the trial call fails (half-open)', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker(3, 5_000, clock.now);
    for (let i = 0; i < 3; i++) breaker.failure();
    clock.advance(5_000);
    breaker.check('T', 'run');
    breaker.failure();
    expect(openError(breaker).message).toContain('retry in 5s');
  });

  it('closes fully when the trial call succeeds', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker(2, 5_000, clock.now);
    breaker.failure();
    breaker.failure();
    clock.advance(5_000);
    breaker.check('T', 'run');
    breaker.success();
    breaker.failure();
    expect(() => breaker.check('T', 'run')).not.toThrow();
  });
});

describe('CircuitBreakers', () => {
  it('keeps one breaker per key, shared across lookups', () => {
    const clock = manualClock();
    const breakers = new CircuitBreakers(clock.now);
    const options = { failureThreshold: 2, recoveryTime: '1m' };
    const a = breakers.get('T:run', options);
    expect(breakers.get('T:run', options)).toBe(a);
    expect(breakers.get('T:verify', options)).not.toBe(a);
    a.failure();
    breakers.get('T:run', options).failure();
    expect(() => breakers.get('T:run', options).check('T', 'run')).toThrow(
      expect.objectContaining({ code: 'CIRCUIT_OPEN' }),
    );
    expect(() => breakers.get('T:verify', options).check('T', 'verify')).not.toThrow();
  });

  it('reads recovery times as durations and uses the injected clock', () => {
    const clock = manualClock();
    const breakers = new CircuitBreakers(clock.now);
    const breaker = breakers.get('T:run', { failureThreshold: 1, recoveryTime: '2m' });
    breaker.failure();
    clock.advance(119_999);
    expect(() => breaker.check('T', 'run')).toThrow(expect.objectContaining({ code: 'CIRCUIT_OPEN' }));
    clock.advance(1);
    expect(() => breaker.check('T', 'run')).not.toThrow();

    const numeric = breakers.get('U:run', { failureThreshold: 1, recoveryTime: 1_500 });
    numeric.failure();
    clock.advance(1_499);
    expect(() => numeric.check('U', 'run')).toThrow(expect.objectContaining({ code: 'CIRCUIT_OPEN' }));
    clock.advance(1);
    expect(() => numeric.check('U', 'run')).not.toThrow();
  });

  it('treats a threshold below 1 as 1', () => {
    const breakers = new CircuitBreakers(manualClock().now);
    const breaker = breakers.get('T:run', { failureThreshold: 0, recoveryTime: '1s' });
    expect(() => breaker.check('T', 'run')).not.toThrow();
    breaker.failure();
    expect(() => breaker.check('T', 'run')).toThrow(expect.objectContaining({ code: 'CIRCUIT_OPEN' }));
  });

  it('rejects an invalid recovery time with VALIDATION', () => {
    const breakers = new CircuitBreakers(manualClock().now);
    expect(() => breakers.get('T:run', { failureThreshold: 1, recoveryTime: 'soon' })).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    );
  });
});
