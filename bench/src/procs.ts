import { readFileSync } from 'fs';
import path from 'path';
import { Child, logPath, productMain, productEnv, spawnNode, waitFor } from './common';

export interface ConsumerReport {
  done: number;
  failed: number;
  lastDoneAt: number;
  lags: number[];
}

/** A bench consumer child (consumer.ts) with IPC. */
export class ConsumerChild {
  constructor(readonly child: Child) {}

  static async start(name: string, env: Record<string, string>): Promise<ConsumerChild> {
    const child = spawnNode(name, path.join(__dirname, 'consumer.js'), env, [], true);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${name} not ready after 30 s (see ${logPath(name)})`)), 30_000);
      child.child.once('message', (m: { type: string }) => {
        if (m.type === 'ready') {
          clearTimeout(t);
          resolve();
        }
      });
      void child.exited.then((code) => reject(new Error(`${name} exited with ${code} (see ${logPath(name)})`)));
    });
    return new ConsumerChild(child);
  }

  report(): Promise<ConsumerReport> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.child.name}: no report`)), 10_000);
      const on = (m: { type: string } & ConsumerReport): void => {
        if (m.type !== 'report') return;
        clearTimeout(t);
        this.child.child.off('message', on);
        resolve(m);
      };
      this.child.child.on('message', on);
      this.child.child.send({ type: 'report' });
    });
  }
}

/** Reads pino JSON lines of a child's log file. */
export function logLines(name: string): { time: number; msg: string; [k: string]: unknown }[] {
  let text = '';
  try {
    text = readFileSync(logPath(name), 'utf8');
  } catch {
    return [];
  }
  const out: { time: number; msg: string }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as { time: number; msg: string });
    } catch {
      /* partial line */
    }
  }
  return out;
}

/** Starts a built product app with the bench env; resolves once `readyMsg` is logged. */
export async function startProduct(
  app: 'scheduler' | 'worker',
  name: string,
  env: Record<string, string>,
  readyMsg: string,
  nodeArgs: string[] = [],
): Promise<Child> {
  const child = spawnNode(name, productMain(app), env, nodeArgs);
  await waitFor(
    async () => {
      if (!child.alive) throw new Error(`${name} exited early: ${readFileSync(logPath(name), 'utf8').slice(-2000)}`);
      return logLines(name).some((l) => l.msg === readyMsg);
    },
    60_000,
    `${name} to log "${readyMsg}"`,
    50,
  );
  return child;
}

export function workerEnv(databaseUrl: string, prefix: string, id: string, concurrency: number): Record<string, string> {
  return productEnv(databaseUrl, prefix, { WORKER_CONCURRENCY: String(concurrency), WORKER_ID: id, WORKER_SHUTDOWN_GRACE_MS: '5000' });
}
