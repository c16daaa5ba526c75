import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { Registry } from 'prom-client';

/** What `/health` answers: 200 when `ok`, 503 otherwise, with `body` as JSON. */
export interface HealthAnswer {
  ok: boolean;
  body: Record<string, unknown>;
}

export interface MetricsServerOptions {
  registry: Registry;
  /** Port to listen on (0: a free port the system picks, for tests). */
  port: number;
  host: string;
  health: () => Promise<HealthAnswer>;
}

/** A started metrics listener. */
export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The scheduler's and worker's own small HTTP listener: `GET /metrics` (Prometheus text format)
 * and `GET /health`; anything else 404. Plain node:http, no framework.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const answer = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => answer(200, options.registry.contentType, text),
        (err: unknown) => answer(500, 'text/plain', `metrics could not be collected: ${(err as Error).message}`),
      );
    } else if (path === '/health') {
      options.health().then(
        (h) => answer(h.ok ? 200 : 503, 'application/json', JSON.stringify(h.body)),
        (err: unknown) => answer(503, 'application/json', JSON.stringify({ status: 'degraded', error: (err as Error).message })),
      );
    } else {
      answer(404, 'application/json', JSON.stringify({ statusCode: 404, error: 'Not Found', message: `no route ${path}` }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
