import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '../../..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

interface LockPackage {
  version?: string;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
}
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockPackage> };

/** Where npm would look for `dep` of the package at `at` (nested first, then each parent folder). */
function resolve(at: string, dep: string): string | undefined {
  let base = at;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${dep}`;
    if (lock.packages[candidate]) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

describe('package-lock.json', () => {
  it("holds every platform's optional packages, so `npm ci` works on Linux, macOS and in the Docker build", () => {
    const missing: string[] = [];
    for (const [at, pkg] of Object.entries(lock.packages)) {
      for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
        if (!resolve(at, dep)) missing.push(`${dep} (optional dependency of ${at || 'the root'})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has platform packages for macOS and Linux of the native modules (swc)', () => {
    const swc = Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/@swc/core-'));
    expect(swc).toEqual(
      expect.arrayContaining(['node_modules/@swc/core-darwin-arm64', 'node_modules/@swc/core-linux-x64-gnu']),
    );
  });

  it('is installed the same way by the scripts and the Dockerfile (npm ci)', () => {
    const install = read('scripts/prepare.sh')
      .match(/^\s*(npm ci [^\n]*)$/m)?.[1]
      ?.trim();
    expect(install).toBe('npm ci --no-audit --no-fund');
    const dockerInstalls = [...read('Dockerfile').matchAll(/^RUN (npm ci[^&\n]*)/gm)].map((m) => m[1]?.trim());
    expect(dockerInstalls.length).toBeGreaterThan(0);
    for (const line of dockerInstalls) expect(line?.startsWith(install as string)).toBe(true);
  });
});
