import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/** A real HTTP server on loopback that records requests; routes by "METHOD /path". */
export class HttpFixture {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Handler>();
  private server!: Server;
  port = 0;

  route(key: string, handler: Handler): this {
    this.routes.set(key, handler);
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  requestsTo(pathname: string): RecordedRequest[] {
    return this.requests.filter((r) => r.url.split('?')[0] === pathname);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString(), at: Date.now() };
        this.requests.push(rec);
        const handler = this.routes.get(`${rec.method} ${rec.url.split('?')[0]}`);
        if (!handler) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no route' }));
          return;
        }
        Promise.resolve(handler(rec, res)).catch(() => res.writeHead(500).end());
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
