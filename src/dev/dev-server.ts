/**
 * A local Temporal dev server (`temporal server start-dev`) for tests, the quick start and
 * `task dev`: free ports, the search attributes the workflows use, a health wait (the SDK
 * gives up connecting after a few seconds, so nothing connects before the server answers),
 * and a clean stop. Node-only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { CascadenceError } from '../core/errors';
import { SEARCH_ATTRIBUTES } from '../core/ids';
import { ensureTemporalBinary } from './temporal-binary';

/** Options of {@link DevServer.start}. */
export interface DevServerOptions {
  /** gRPC port (default: a free one). */
  port?: number;
  /** Web UI port (default: a free one; ignored when headless). */
  uiPort?: number;
  /** No Web UI. */
  headless?: boolean;
  /** SQLite file to keep data in (default: in memory). */
  dbFilename?: string;
  /** IP to bind (default 127.0.0.1). */
  ip?: string;
  /** Path of the `temporal` binary (default: found or built by ensure-temporal.sh). */
  binary?: string;
  /** How long to wait for the server to answer (default 60 s). */
  readyTimeoutMs?: number;
  namespace?: string;
  /** Dynamic config values of the server (`--dynamic-config-value KEY=VALUE`); default {@link DEV_DYNAMIC_CONFIG}, `{}` for the server's own defaults. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

/**
 * Dynamic config of every dev server Cascadence starts (`task dev`, the quick start, the
 * tests, the benchmarks). The history service's queue readers poll at most 20 times a second by
 * default (`history.*ProcessorMaxPollRPS`): once the limiter's burst is spent every task
 * dispatch waits ~45 ms, and a five-stage run takes ~550 ms instead of 60-90 ms. The frontend
 * answers at most 10 visibility requests a second per namespace by default
 * (`frontend.namespaceRPS.visibility`: listing and counting runs, listing schedules); past that
 * it refuses with RESOURCE_EXHAUSTED, which the client retries with a backoff of up to 5 s a try,
 * so under a crowd of API requests (run listings, the dashboard, run lookups) some waited over
 * 20 s. Eager workflow start is on by default in the pinned server; it is set anyway, so a server
 * whose default differs still hands a run's first workflow task to a worker in the starting process.
 */
export const DEV_DYNAMIC_CONFIG: Readonly<Record<string, number | boolean>> = {
  'history.transferProcessorMaxPollRPS': 10_000,
  'history.timerProcessorMaxPollRPS': 10_000,
  'history.visibilityProcessorMaxPollRPS': 10_000,
  'frontend.namespaceRPS.visibility': 10_000,
  'system.enableEagerWorkflowStart': true,
};

/** A free TCP port on the loopback interface. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * True once a Temporal frontend at `address` answers for `namespace` (a real RPC, not just an open port).
 */
export async function isServerReady(address: string, namespace = 'default', timeoutMs = 2000): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** A running dev server started by this process. */
export class DevServer {
  private exited: Promise<number | null>;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly child: ChildProcess,
    /** host:port of the gRPC frontend. */
    readonly address: string,
    /** URL of the Web UI, or undefined when headless. */
    readonly uiUrl: string | undefined,
    private readonly output: string[],
  ) {
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
  }

  /**
   * Starts a dev server and waits until it answers.
   * @throws CascadenceError CONNECTION when it exits early or does not answer in time.
   */
  static async start(options: DevServerOptions = {}): Promise<DevServer> {
    const binary = options.binary ?? (await ensureTemporalBinary());
    const ip = options.ip ?? '127.0.0.1';
    const port = options.port ?? (await freePort(ip));
    const namespace = options.namespace ?? 'default';
    const args = [
      'server',
      'start-dev',
      '--ip',
      ip,
      '--port',
      String(port),
      '--log-level',
      'error',
      '--namespace',
      namespace,
    ];
    let uiUrl: string | undefined;
    if (options.headless) args.push('--headless');
    else {
      const uiPort = options.uiPort ?? (await freePort(ip));
      args.push('--ui-port', String(uiPort));
      uiUrl = `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${uiPort}`;
    }
    if (options.dbFilename) {
      mkdirSync(dirname(options.dbFilename), { recursive: true });
      args.push('--db-filename', options.dbFilename);
    }
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
    for (const [key, value] of Object.entries(options.dynamicConfig ?? DEV_DYNAMIC_CONFIG)) {
      args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
    }

    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const keep = (chunk: Buffer): void => {
      output.push(chunk.toString());
      if (output.length > 50) output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const server = new DevServer(child, `${ip}:${port}`, uiUrl, output);
    await server.waitReady(namespace, options.readyTimeoutMs ?? 60_000);
    return server;
  }

  private async waitReady(namespace: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new CascadenceError(
          'CONNECTION',
          `temporal dev server exited with code ${exitCode} before it was ready: ${this.lastOutput()}`,
        );
      }
      if (await isServerReady(this.address, namespace, 1000)) return;
      await sleep(200);
    }
    await this.stop();
    throw new CascadenceError(
      'CONNECTION',
      `temporal dev server at ${this.address} did not answer within ${timeoutMs} ms`,
    );
  }

  private lastOutput(): string {
    return this.output.join('').trim().split('\n').slice(-3).join(' | ') || '(no output)';
  }

  /** Process id of the server (for tests that check nothing is left behind). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Stops the server: SIGTERM, then SIGKILL after `graceMs`. Safe to call twice. */
  stop(graceMs = 10_000): Promise<void> {
    this.stopping ??= (async () => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return;
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    })();
    return this.stopping;
  }
}
