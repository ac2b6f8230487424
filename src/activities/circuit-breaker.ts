/**
 * Circuit breakers for task stages (cadence-flow's resilience pattern). After N consecutive
 * failures of a task's stage, further calls fail fast for a recovery window; they are shared
 * by every run in the worker process.
 */
import { CascadenceError, type CircuitBreakerOptions } from '../core';
import { durationMs } from '../core/duration';

/** One breaker: closed, open until a time, then half-open (one trial call). */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;

  constructor(
    private readonly threshold: number,
    private readonly recoveryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** @throws CascadenceError CIRCUIT_OPEN while the breaker is open. */
  check(task: string, step: string): void {
    const now = this.now();
    if (this.openUntil > now) {
      throw new CascadenceError(
        'CIRCUIT_OPEN',
        `circuit open for ${task}.${step} after ${this.failures} consecutive failures; retry in ${Math.ceil((this.openUntil - now) / 1000)}s`,
      );
    }
  }

  success(): void {
    this.failures = 0;
    this.openUntil = 0;
  }

  failure(): void {
    this.failures++;
    if (this.failures >= this.threshold) this.openUntil = this.now() + this.recoveryMs;
  }
}

/** The process's breakers, keyed by `<task>:<stage>`. */
export class CircuitBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string, options: CircuitBreakerOptions): CircuitBreaker {
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(Math.max(1, options.failureThreshold), durationMs(options.recoveryTime), this.now);
      this.breakers.set(key, breaker);
    }
    return breaker;
  }
}
