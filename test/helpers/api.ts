/**
 * Runs the built `task api` as a subprocess on a free port and waits for its banner
 * (`api: http://HOST:PORT ...` on stderr), for the HTTP API tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli';

/** A running `task api` process. */
export interface ApiProcess {
  url: string;
  child: ChildProcess;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** SIGTERM, then waits for it to exit; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `task api --port 0 ...args` with `env` added to this process's environment. */
export function startApi(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<ApiProcess> {
  const child = spawn(process.execPath, [BIN, 'api', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`task api did not start: ${stderr}`));
    }, timeoutMs);
    child.stdout?.resume();
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
      const match = /^api: (http:\/\/\S+) /m.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          child,
          stderr: () => stderr,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`task api exited (${code}) before listening: ${stderr}`));
    });
  });
}
