import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import { InMemoryObjectStorage } from '@vecron/storage';
import type { StepRunContext } from '../src/step-executor';

/** One request as the test server received it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Handler = (req: ReceivedRequest, res: ServerResponse) => void;

/**
 * A real HTTP server on 127.0.0.1 (random port) for executor tests. Routes by path
 * (without query); every request is recorded. `close()` also drops hanging sockets.
 */
export class TestHttpServer {
  readonly requests: ReceivedRequest[] = [];
  private readonly routes = new Map<string, Handler>();
  private readonly sockets = new Set<Socket>();
  private server?: Server;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.dispatch(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  on(path: string, handler: Handler): void {
    this.routes.set(path, handler);
  }

  /** Requests received on `path` (without query). */
  hits(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  reset(): void {
    this.routes.clear();
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      this.requests.push(received);
      const handler = this.routes.get(path);
      if (!handler) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route for ${path}`);
        return;
      }
      handler(received, res);
    });
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown, contentType = 'application/json'): void {
  res.writeHead(status, { 'content-type': contentType }).end(JSON.stringify(value));
}

/** A pino logger whose JSON lines are kept in `lines` (to assert what is, and is not, logged). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

export function runContext(overrides: Partial<StepRunContext> = {}): StepRunContext {
  return {
    jobId: 'job-1',
    executionId: 'exec-1',
    stepId: 'step-1',
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
    storage: new InMemoryObjectStorage(),
    attempt: 1,
    addFile: () => undefined,
    ...overrides,
  };
}

/** Runs `fn` and returns what it threw (fails the test when it does not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}
