import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../../src/core/ids';
import { loadConfig } from '../../../src/config/config';

const root = path.join(__dirname, '../../..');
const read = (...segments: string[]): string => readFileSync(path.join(root, ...segments), 'utf8');

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: string[] | Record<string, string | number | boolean | null>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | number | { published?: string | number; target?: number })[];
  volumes?: (string | { source?: string; target?: string })[];
  expose?: (string | number)[];
}

const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};

/** Compose accepts `KEY=value` lists and maps; both become a plain map of strings. */
function env(svc: Service): Record<string, string | undefined> {
  const { environment } = svc;
  if (!environment) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const eq = entry.indexOf('=');
        return eq < 0 ? [entry, undefined] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, v == null ? undefined : String(v)]));
}

const dependencies = (svc: Service): string[] =>
  Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});

/** Host ports published by a service, from short (`[ip:]host:container`) or long syntax. */
const publishedPorts = (svc: Service): string[] =>
  (svc.ports ?? []).map((port) =>
    typeof port === 'object' ? String(port.published) : (String(port).split(':').at(-2) ?? ''),
  );

const commandText = (svc: Service): string => [svc.command ?? []].flat().join(' ');

describe('docker-compose.yml', () => {
  it('defines the whole stack', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([
        'postgresql',
        'temporal',
        'temporal-setup',
        'temporal-ui',
        'nats',
        'prometheus',
        'worker',
      ]),
    );
  });

  it('runs Temporal on PostgreSQL', () => {
    const temporal = service('temporal');
    expect(env(temporal).DB).toMatch(/^postgres/);
    expect(env(temporal).POSTGRES_SEEDS).toBe('postgresql');
    expect(dependencies(temporal)).toContain('postgresql');
  });

  it.each([
    ['temporal', '7233'],
    ['temporal-ui', '8080'],
    ['nats', '4222'],
    ['prometheus', '9090'],
  ])('%s publishes port %s', (name, port) => {
    expect(publishedPorts(service(name))).toContain(port);
  });

  it('runs NATS with JetStream', () => {
    expect(commandText(service('nats')).split(/\s+/)).toContain('-js');
  });

  it('registers every custom search attribute the workflows set', () => {
    const setup = service('temporal-setup');
    const script = commandText(setup);
    expect(script).toContain('search-attribute create');
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
      expect(script).toContain(`--name ${name} --type ${type}`);
    }
    expect(dependencies(setup)).toContain('temporal');
    expect(env(setup).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  describe('worker', () => {
    const worker = service('worker');
    const workerEnv = env(worker);

    it('builds from the Dockerfile and runs the worker command', () => {
      const build = typeof worker.build === 'string' ? { context: worker.build } : worker.build;
      expect(build?.context).toBe('.');
      expect(build?.dockerfile ?? 'Dockerfile').toBe('Dockerfile');
      expect(worker.command).toEqual(['node', 'bin/run.js', 'worker']);
      expect(dependencies(worker)).toEqual(expect.arrayContaining(['temporal', 'nats']));
    });

    it('is configured for the Temporal service', () => {
      expect(workerEnv.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(workerEnv.TEMPORAL_NAMESPACE).toBe('default');
      expect(workerEnv.CASCADENCE_TASK_QUEUE).toBeTruthy();
      expect(workerEnv.CASCADENCE_HASH_SECRET).toMatch(/^\$\{CASCADENCE_HASH_SECRET:\?.+\}$/);
    });

    it('is scraped by Prometheus on its metrics port', () => {
      const port = workerEnv.CASCADENCE_METRICS_PORT;
      expect(port).toMatch(/^\d+$/);
      expect((worker.expose ?? []).map(String)).toContain(port);

      const mounts = (service('prometheus').volumes ?? []).map((v) =>
        typeof v === 'string' ? v : `${v.source}:${v.target}`,
      );
      expect(mounts.some((m) => /^\.\/deploy\/prometheus\.yml:\/etc\/prometheus\/prometheus\.yml\b/.test(m))).toBe(
        true,
      );

      const prometheus = parse(read('deploy', 'prometheus.yml')) as {
        scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
      };
      const job = prometheus.scrape_configs.find((c) => c.job_name === 'cascadence-worker');
      expect(job?.static_configs.flatMap((c) => c.targets)).toContain(`worker:${port}`);
      expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
    });

    it('serves metrics on the port Prometheus scrapes: the worker reads it from its environment', () => {
      const config = loadConfig({}, { ...workerEnv, CASCADENCE_CONFIG: '' } as NodeJS.ProcessEnv, () => undefined);
      expect(config.metricsPort).toBeDefined();
      const prometheus = parse(read('deploy', 'prometheus.yml')) as {
        scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
      };
      const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((sc) => sc.targets));
      expect(targets).toContain(`worker:${config.metricsPort}`);
    });
  });
});

describe('Dockerfile', () => {
  const dockerfilePath = path.join(root, 'Dockerfile');
  const dockerfile = existsSync(dockerfilePath) ? readFileSync(dockerfilePath, 'utf8') : '';

  it('builds the CLI on Node 20 and runs bin/run.js', () => {
    expect(existsSync(dockerfilePath)).toBe(true);
    expect(dockerfile).toMatch(/^FROM node:20\S*( AS \w+)?$/im);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entrypoint ?? '[]')).toEqual(['node', 'bin/run.js']);
  });
});

describe('docker compose config', () => {
  /** The Compose CLI here: the plugin (`docker compose`) or the standalone `docker-compose` (scripts/test.sh installs one). */
  const compose = ((): string[] => {
    const plugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    return plugin.status === 0 ? ['docker', 'compose'] : ['docker-compose'];
  })();
  const config = (env: NodeJS.ProcessEnv) =>
    spawnSync(
      compose[0] as string,
      [...compose.slice(1), '-f', path.join(root, 'docker-compose.yml'), 'config', '-q'],
      {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      },
    );

  it('accepts docker-compose.yml', () => {
    const res = config({ CASCADENCE_HASH_SECRET: 'change-me' });
    expect(res.error).toBeUndefined();
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it('refuses to start without a hash secret, naming it', () => {
    const res = config({ CASCADENCE_HASH_SECRET: '' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('CASCADENCE_HASH_SECRET');
  });
});
