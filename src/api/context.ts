/**
 * What the HTTP layer is built from and what each request carries. The API, the dashboard and
 * the webhooks are fastify plugins over the same `ApiDeps`; every route calls a service or a
 * backend capability, exactly as the CLI does. Node-only.
 */
import type {} from 'fastify';
import type { Backend } from '../backends/backend';
import type { CascadenceConfig } from '../config/config';
import type { EventBus } from '../events/bus';
import type { CascadenceMetrics } from '../metrics/registry';
import type { TaskRegistry } from '../plugins/registry';
import { followRegisteredPlugins } from '../services/plugin-tasks';

/** Everything the HTTP plugins need; one long-lived backend for the whole server. */
export interface ApiDeps {
  config: CascadenceConfig;
  registry: TaskRegistry;
  backend: Backend;
  /** Served at `/metrics` when given. */
  metrics?: CascadenceMetrics;
  /** Where pointer updates go (`POST /pointers/{name}`); none: stored only. */
  bus?: EventBus;
  /**
   * Directories (absolute) and package names whose modules `POST /tasks?path=` may register: the
   * allowlist. Anything else is refused (403).
   */
  pluginPaths?: string[];
  /** Bearer token every route but `/healthz` requires (`CASCADENCE_API_TOKEN`); none: open. */
  apiToken?: string;
  /** Key of the dashboard's session cookies (default: derived from the token and the hash secret). */
  sessionSecret?: string;
}

/** Plugin registrations made on any machine join the server's registry before a request is handled. */
export async function followPlugins(deps: ApiDeps, task?: string): Promise<void> {
  const follower = followRegisteredPlugins({
    registry: deps.registry,
    backend: deps.backend,
    tasksPath: deps.config.tasksPath,
    allowed: deps.pluginPaths ?? [],
  });
  // A server that cannot read them now answers from what it has; the route reports the backend itself.
  await (task !== undefined && !deps.registry.has(task) ? follower.ensure(task) : follower.sync()).catch(
    () => undefined,
  );
}

/** Who is calling: hashed on arrival (HMAC of `X-User-ID` / `X-Group-ID`), never kept raw. */
export interface Identity {
  userHash: string;
  groupHash: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the identity hook on every API route (undefined on open routes). */
    identity?: Identity;
  }
  interface FastifyContextConfig {
    /** An open route: the bearer-token and identity hooks skip it (it enforces access itself, or needs none). */
    public?: boolean;
  }
}
