/**
 * Local HTTP servers standing in for the services the event-driven workflows call: UME
 * (permissions, calendar events and edges, financial nodes), the finance engine and the research
 * provider. Each records the requests it answers; a test sets what they answer (a denied user or
 * invitee, a failing route, the engine's result) and resets them between cases.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** One request a stand-in answered. */
export interface SeenRequest {
  service: 'ume' | 'engine' | 'research';
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  idempotencyKey?: string;
}

/** What the stand-ins answer; a test changes these. */
export interface ServiceBehaviour {
  /** Hashed user ids (or invitee hashes) whose `calendar:create` check answers `{"allowed": false}`. */
  deny: Set<string>;
  /** `METHOD /path` routes answering HTTP 503 (persistence failures). */
  failing: Set<string>;
  /** What `GET /v1/nodes` lists. */
  nodes: unknown[];
  /** The engine's answer. */
  engine: unknown;
  /** The research provider's answer, or a status it fails with. */
  research: { answer: unknown } | { status: number };
}

/** The running stand-ins. */
export interface EventServices {
  umeUrl: string;
  engineUrl: string;
  researchUrl: string;
  /** A URL where nothing listens (a service that is down). */
  downUrl: string;
  requests: SeenRequest[];
  behaviour: ServiceBehaviour;
  /** Requests of one service, or of one route (`POST /v1/calendar/events`). */
  seen(filter: SeenRequest['service'] | `${string} /${string}`): SeenRequest[];
  reset(): void;
  close(): Promise<void>;
}

const defaults = (): ServiceBehaviour => ({
  deny: new Set(),
  failing: new Set(),
  nodes: [],
  engine: { id: 'analysis-1', cost_of_deviation: 0, actions: [] },
  research: { answer: { duration: '20m' } },
});

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** Starts UME, the finance engine and the research provider on free local ports. */
export async function startEventServices(): Promise<EventServices> {
  const requests: SeenRequest[] = [];
  let behaviour = defaults();
  let ids = 0;

  const handler =
    (service: SeenRequest['service'], answer: (r: SeenRequest, res: ServerResponse) => void) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://stand-in');
        const key = req.headers['idempotency-key'];
        const seen: SeenRequest = {
          service,
          method: req.method ?? 'GET',
          path: decodeURIComponent(url.pathname),
          query: Object.fromEntries(url.searchParams),
          ...(req.method === 'POST' ? { body: await readBody(req) } : {}),
          ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
        };
        requests.push(seen);
        if (behaviour.failing.has(`${seen.method} ${seen.path}`)) return send(res, 503, { error: 'unavailable' });
        answer(seen, res);
      })();
    };

  const ume = createServer(
    handler('ume', (r, res) => {
      if (r.method === 'GET' && r.path === '/v1/permissions/calendar:create') {
        const who = r.query.invitee ?? r.query.user_id ?? '';
        return send(res, 200, { allowed: !behaviour.deny.has(who) });
      }
      if (r.method === 'POST' && r.path === '/v1/calendar/events') return send(res, 201, { id: `evt-${++ids}` });
      if (r.method === 'POST' && r.path === '/v1/calendar/edges') return send(res, 201, { ok: true });
      if (r.method === 'GET' && r.path === '/v1/nodes') return send(res, 200, { nodes: behaviour.nodes });
      if (r.method === 'POST' && r.path === '/v1/nodes') return send(res, 201, { ok: true });
      send(res, 404, { error: `no route ${r.method} ${r.path}` });
    }),
  );
  const engine = createServer(
    handler('engine', (r, res) => {
      if (r.method === 'POST' && r.path === '/v1/simulations/debt') return send(res, 200, behaviour.engine);
      send(res, 404, { error: 'no such simulation' });
    }),
  );
  const research = createServer(
    handler('research', (_r, res) => {
      const b = behaviour.research;
      if ('status' in b) return send(res, b.status, { error: 'research is unavailable' });
      send(res, 200, b.answer);
    }),
  );
  // A port that was free a moment ago, closed again: nothing answers there.
  const probe = createServer();
  const downUrl = await listen(probe);
  await new Promise((r) => probe.close(r));

  const [umeUrl, engineUrl, researchBase] = await Promise.all([listen(ume), listen(engine), listen(research)]);
  return {
    umeUrl,
    engineUrl,
    researchUrl: `${researchBase}/research`,
    downUrl,
    requests,
    get behaviour() {
      return behaviour;
    },
    seen(filter) {
      return requests.filter((r) => (filter.includes(' ') ? `${r.method} ${r.path}` === filter : r.service === filter));
    },
    reset() {
      requests.length = 0;
      behaviour = defaults();
      ids = 0;
    },
    async close() {
      for (const s of [ume, engine, research]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}
