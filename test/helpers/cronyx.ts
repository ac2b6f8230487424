/**
 * Building and starting the example Cronyx plugins (Go and Rust) for integration tests.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

/** How to build and where to find each plugin. */
export const PLUGINS = {
  go: {
    dir: join(EXAMPLES, 'go-plugin'),
    build: ['go', ['build', '-o', 'cronyx-go-plugin', '.']] as const,
    binary: join(EXAMPLES, 'go-plugin', 'cronyx-go-plugin'),
    env: { CGO_ENABLED: '0', GOTOOLCHAIN: 'local' },
  },
  rust: {
    dir: join(EXAMPLES, 'rust-plugin'),
    build: ['cargo', ['build', '--release', '--quiet']] as const,
    binary: join(EXAMPLES, 'rust-plugin', 'target', 'release', 'cronyx-rust-plugin'),
    env: {},
  },
} as const;

export type PluginName = keyof typeof PLUGINS;

/** Builds a plugin with its own toolchain (`go build` / `cargo build --release`). */
export async function buildPlugin(name: PluginName): Promise<string> {
  const p = PLUGINS[name];
  await promisify(execFile)(p.build[0], [...p.build[1]], {
    cwd: p.dir,
    env: { ...process.env, ...p.env },
    maxBuffer: 16 << 20,
    timeout: 10 * 60_000,
  });
  return p.binary;
}

/** A running plugin server. */
export interface RunningPlugin {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a built plugin on a free port and waits for its `listening on` line. */
export function startPlugin(binary: string): Promise<RunningPlugin> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['--addr', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${binary} did not start: ${out}`)), 30_000);
    child.on('error', reject);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          child,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}
