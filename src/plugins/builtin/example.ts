/**
 * The built-in `example` task: every stage, a small deterministic result, useful as a
 * smoke test of a deployment and as a model for writing tasks.
 */
import type { StageContext, Task } from '../../core';

/** The `example` task: intake → research → plan → run → verify over an optional `{ name }` input. */
export class ExampleTask implements Task<{ name?: string } | undefined> {
  readonly description = 'Built-in example: runs every stage and greets its input';

  intake(ctx: StageContext<{ name?: string } | undefined>): { name: string } {
    return { name: ctx.input?.name ?? 'world' };
  }

  research(ctx: StageContext<{ name?: string } | undefined>): string {
    return `facts about ${ctx.input?.name ?? 'world'}`;
  }

  /** Returns a plain object: a list would be read as subtasks to run. */
  plan(ctx: StageContext): { steps: string[] } {
    return { steps: [`use ${String(ctx.research)}`, 'greet'] };
  }

  run(ctx: StageContext<{ name?: string } | undefined>): string {
    return `Hello, ${ctx.input?.name ?? 'world'}!`;
  }

  verify(ctx: StageContext): { greeting: unknown; verified: boolean } {
    return { greeting: ctx.runResult, verified: typeof ctx.runResult === 'string' };
  }
}
