/**
 * The d0tTino task of the original Cascadence: `plan` asks d0tTino for a plan (`d0tTino ai-plan
 * PROMPT`) and `run` asks it to act (`d0tTino ai PROMPT`), either as a subprocess or, in API mode,
 * through d0tTino's HTTP server (`POST {baseUrl}/ai-plan`, `POST {baseUrl}/ai`). Node-only.
 */
import { CascadenceError } from '../../core/errors';
import { durationMs } from '../../core/duration';
import { BaseTask } from '../../core/kinds';
import type { StageContext } from '../../core/task';
import { postJson, runCommand, DEFAULT_EXTERNAL_TIMEOUT_MS } from '../external';

/** Options of {@link D0tTinoTask}. */
export interface D0tTinoOptions {
  /** Call d0tTino's HTTP server instead of running the command (default false). */
  useApi?: boolean;
  /** The server of API mode (default `http://localhost:8080`, as in the original). */
  baseUrl?: string;
  /** The program run in command mode (default `d0tTino`, found on PATH). */
  command?: string;
  /** Limit of each call, milliseconds or a duration such as `'30s'` (default 30 s). */
  timeout?: string | number;
}

/** What a run of the d0tTino task may take as input: a prompt replacing the task's own. */
export type D0tTinoInput = string | { prompt?: string } | undefined | null;

/**
 * `D0tTinoTask(prompt, { useApi, baseUrl })`: plans with `d0tTino ai-plan PROMPT` and runs with
 * `d0tTino ai PROMPT`; each stage's result is what d0tTino printed (or answered), trimmed. A run
 * whose input is a string or `{ prompt }` uses that prompt instead of the constructor's. The
 * command gets its arguments as an array (no shell); a missing program, a non-zero exit, a
 * failing request or the timeout fails the stage with an error naming the command.
 */
export class D0tTinoTask extends BaseTask<D0tTinoInput> {
  override readonly description = 'd0tTino: plans with `d0tTino ai-plan` and runs with `d0tTino ai`';
  readonly useApi: boolean;
  readonly baseUrl: string;
  readonly command: string;
  readonly timeoutMs: number;

  /** @throws CascadenceError VALIDATION for an empty prompt or command, or a bad timeout. */
  constructor(
    readonly prompt = 'ping',
    options: D0tTinoOptions = {},
  ) {
    super();
    this.useApi = options.useApi ?? false;
    this.baseUrl = (options.baseUrl ?? 'http://localhost:8080').replace(/\/+$/, '');
    this.command = options.command ?? 'd0tTino';
    this.timeoutMs = options.timeout === undefined ? DEFAULT_EXTERNAL_TIMEOUT_MS : durationMs(options.timeout);
    if (!this.command) throw new CascadenceError('VALIDATION', 'the d0tTino command must not be empty');
  }

  /** The plan: `d0tTino ai-plan PROMPT`, trimmed (a plain value, handed to `run`). */
  plan(ctx: StageContext<D0tTinoInput>): Promise<string> {
    return this.call('ai-plan', ctx);
  }

  /** The result: `d0tTino ai PROMPT`, trimmed. */
  run(ctx: StageContext<D0tTinoInput>): Promise<string> {
    return this.call('ai', ctx);
  }

  /** The prompt of a run: its input's, else the task's. */
  promptFor(input: D0tTinoInput): string {
    if (typeof input === 'string' && input !== '') return input;
    if (typeof input === 'object' && input !== null && typeof input.prompt === 'string' && input.prompt !== '') {
      return input.prompt;
    }
    return this.prompt;
  }

  private async call(subcommand: 'ai-plan' | 'ai', ctx: StageContext<D0tTinoInput>): Promise<string> {
    const prompt = this.promptFor(ctx.input);
    const common = { timeoutMs: this.timeoutMs, signal: ctx.signal, heartbeat: (d?: unknown) => ctx.heartbeat(d) };
    if (this.useApi) {
      const url = `${this.baseUrl}/${subcommand}`;
      const res = await postJson(url, { prompt }, { ...common, label: `POST ${url}` });
      return res.text.trim();
    }
    const { stdout } = await runCommand([this.command, subcommand, prompt], undefined, {
      ...common,
      label: `${this.command} ${subcommand}`,
    });
    return stdout.trim();
  }
}
