/**
 * Calling outside programs and HTTP endpoints from a stage: subprocesses with argument arrays (no
 * shell), a timeout and the stage's abort signal; JSON POSTs with `AbortSignal.timeout`. Every
 * failure is a CascadenceError whose message names the command or the request, with the reason
 * in the message and no `cause` (clients show the deepest message of a cause chain, which would
 * be Node's bare `spawn x ENOENT` or `fetch failed`). Node-only.
 */
import { spawn } from 'node:child_process';
import { CascadenceError } from '../core/errors';

/** Default limit of one external call (the original d0tTino task's 30 s). */
export const DEFAULT_EXTERNAL_TIMEOUT_MS = 30_000;

/** Most bytes read from a command's stdout (or stderr) before it is stopped. */
const MAX_OUTPUT_BYTES = 10 * 1024 * 1024;

/** How often a waiting stage reports liveness. */
const HEARTBEAT_MS = 5_000;

/** Options of {@link runCommand} and {@link postJson}. */
export interface ExternalCallOptions {
  /** What error messages call it (`d0tTino ai-plan`, `plan command "node plan.js"`). */
  label: string;
  /** Milliseconds before the call is given up (default 30 s). */
  timeoutMs?: number;
  /** The stage's abort signal: a cancelled run stops the call. */
  signal?: AbortSignal;
  /** The stage's heartbeat, called while the call is pending. */
  heartbeat?: (details?: unknown) => void;
}

/** What a command printed. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
}

/** The last non-empty line of a program's stderr, cut short, to say why it failed. */
function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  const line = (lines[lines.length - 1] ?? '').trim();
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}s`;

/**
 * Runs `argv[0]` with the arguments `argv.slice(1)` (no shell: nothing in them is interpreted),
 * writes `input` to its stdin, and resolves with what it printed once it exits with status 0.
 * @throws CascadenceError CONFIG when the program is missing or not executable; STAGE_FAILED for a
 * non-zero exit (with the last line of its stderr), a kill, too much output or the timeout;
 * CANCELLED when the signal aborts.
 */
export function runCommand(
  argv: readonly string[],
  input: string | undefined,
  options: ExternalCallOptions,
): Promise<CommandOutput> {
  const [program, ...args] = argv;
  const { label } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXTERNAL_TIMEOUT_MS;
  if (!program) return Promise.reject(new CascadenceError('CONFIG', `${label}: no program to run`));
  if (options.signal?.aborted) return Promise.reject(new CascadenceError('CANCELLED', `${label}: cancelled`));
  return new Promise((resolve, reject) => {
    // The environment is passed explicitly so PATH is looked up in this realm's process.env (under
    // Jest, a copy that tests change; Node's own default would read the original).
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], env: process.env, windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let stopped: 'timeout' | 'cancelled' | 'output' | undefined;
    let settled = false;
    const stop = (why: NonNullable<typeof stopped>): void => {
      if (stopped || settled) return;
      stopped = why;
      child.kill('SIGTERM');
      // A program that ignores SIGTERM is killed for good a moment later.
      setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 2000).unref();
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const beat = options.heartbeat
      ? setInterval(() => options.heartbeat?.({ waitingFor: label }), HEARTBEAT_MS)
      : undefined;
    const onAbort = (): void => stop('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (error: CascadenceError | undefined, output?: CommandOutput): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (beat) clearInterval(beat);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(output as CommandOutput);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT_BYTES) stop('output');
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errBytes += chunk.length;
      if (errBytes <= MAX_OUTPUT_BYTES) err.push(chunk);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'EACCES') {
        finish(
          new CascadenceError(
            'CONFIG',
            `${label}: ${e.code === 'ENOENT' ? `${program} not found` : `${program} is not executable`}`,
            { hint: `install ${program} or put it on PATH (PATH is searched, no shell is used)` },
          ),
        );
      } else finish(new CascadenceError('STAGE_FAILED', `${label}: cannot start ${program}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (stopped === 'timeout')
        finish(new CascadenceError('STAGE_FAILED', `${label} timed out after ${seconds(timeoutMs)}`));
      else if (stopped === 'cancelled') finish(new CascadenceError('CANCELLED', `${label}: cancelled`));
      else if (stopped === 'output') {
        finish(new CascadenceError('STAGE_FAILED', `${label} printed more than ${MAX_OUTPUT_BYTES} bytes`));
      } else if (code !== 0) {
        const why = lastLine(stderr);
        const how = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with status ${code}`;
        finish(new CascadenceError('STAGE_FAILED', `${label} ${how}${why ? `: ${why}` : ''}`));
      } else finish(undefined, { stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
    // A program that exits without reading its stdin closes the pipe: that is not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** The response of {@link postJson}: its status, content type and body text. */
export interface HttpResponse {
  status: number;
  contentType: string;
  text: string;
}

/**
 * POSTs `body` as JSON to `url` and resolves with the response once it answers 2xx.
 * @throws CascadenceError CONNECTION when the server cannot be reached; STAGE_FAILED for another
 * status (with the start of its body) or the timeout; CANCELLED when the signal aborts.
 */
export async function postJson(url: string, body: unknown, options: ExternalCallOptions): Promise<HttpResponse> {
  const { label } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXTERNAL_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const beat = options.heartbeat
    ? setInterval(() => options.heartbeat?.({ waitingFor: label }), HEARTBEAT_MS)
    : undefined;
  try {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/plain;q=0.9, */*;q=0.1' },
        body: JSON.stringify(body),
        signal,
      });
    } catch (err) {
      throw fetchError(err, label, timeoutMs, options.signal);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw fetchError(err, label, timeoutMs, options.signal);
    }
    if (!res.ok) {
      const start = lastLine(text.replace(/\s+/g, ' '));
      throw new CascadenceError('STAGE_FAILED', `${label} answered ${res.status}${start ? `: ${start}` : ''}`);
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text };
  } finally {
    if (beat) clearInterval(beat);
  }
}

function fetchError(err: unknown, label: string, timeoutMs: number, stage: AbortSignal | undefined): CascadenceError {
  if (stage?.aborted) return new CascadenceError('CANCELLED', `${label}: cancelled`);
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new CascadenceError('STAGE_FAILED', `${label} timed out after ${seconds(timeoutMs)}`);
  }
  // fetch's own message is only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND...) is its cause.
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new CascadenceError('CONNECTION', `${label} failed: ${why}`);
}
