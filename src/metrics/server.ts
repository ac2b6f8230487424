/**
 * The `/metrics` endpoint: one GET route on node:http serving a registry in the Prometheus text
 * format, 404 elsewhere. Node-only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CascadenceError } from '../core/errors';

/** What the endpoint serves (a {@link CascadenceMetrics}). */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** A running `/metrics` endpoint. */
export interface MetricsServer {
  /** The port it listens on (the one chosen when asked for 0). */
  readonly port: number;
  /** `http://<host>:<port>/metrics`, with 127.0.0.1 for an any-address bind. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `source` at `http://host:port/metrics` (host default 0.0.0.0, so Prometheus on another
 * machine or container can scrape it; port 0 picks a free one).
 * @throws CascadenceError CONFIG when the port cannot be bound (in use, not allowed).
 */
export async function serveMetrics(source: MetricsSource, port: number, host = '0.0.0.0'): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
      return;
    }
    source.metrics().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': source.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${String(err)}\n`);
      },
    );
  });
  // A scrape's keep-alive connection must not hold the process open after close().
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void =>
      reject(
        new CascadenceError('CONFIG', `cannot serve metrics on ${host}:${port}: ${err.code ?? err.message}`, {
          hint: 'choose another --metrics-port / CASCADENCE_METRICS_PORT',
        }),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    port: bound,
    url: `http://${shown}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
