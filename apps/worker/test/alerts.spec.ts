import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import { IsString } from 'class-validator';
import { SMTPServer } from 'smtp-server';
import { UnrecoverableStepError, type StepExecutor } from '@vecron/executors';
import { signAlertBody } from '../src/alerts/alert-channels';
import type { AlertMessage } from '../src/alerts/alert-message';
import { createObservedSystem, type ObservedSystem, type ObservedWorker } from './observed-runner.fixture';

class ScriptConfig {
  @IsString()
  mode!: string;
}

class ScriptExecutor implements StepExecutor<ScriptConfig, unknown> {
  readonly type = 'script';
  readonly configClass = ScriptConfig;
  async execute(config: ScriptConfig): Promise<unknown> {
    if (config.mode === 'broken') throw new UnrecoverableStepError('upstream said no', 'UPSTREAM_DOWN');
    return { ok: true };
  }
}

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Mail {
  to: string[];
  /** Decoded (RFC 2047 encoded words). */
  subject: string;
  /** Decoded (quoted-printable). */
  body: string;
}

const fromQ = (s: string): string => Buffer.from(s.replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');

/** The subject and text body of a raw message as nodemailer writes it (quoted-printable, UTF-8). */
function decodeMail(raw: string): { subject: string; body: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = raw.slice(0, split).replace(/\r?\n[ \t]+/g, ' ');
  const subjectRaw = /^Subject: (.*)$/im.exec(headers)?.[1] ?? '';
  const subject = subjectRaw.replace(/=\?UTF-8\?Q\?(.*?)\?=\s*/gi, (_m, q: string) => fromQ(q.replace(/_/g, ' ')));
  const body = fromQ(raw.slice(split).trim().replace(/=\r?\n/g, ''));
  return { subject, body };
}

const SECRET = 'alert-signing-secret';

describe('failure alerts (real PostgreSQL, local HTTP receiver and SMTP server)', () => {
  let system: ObservedSystem;
  let http: Server;
  let smtp: SMTPServer;
  let httpUrl: string;
  let smtpPort: number;
  const requests: Received[] = [];
  const mails: Mail[] = [];
  /** Answers 503 to the next N webhook calls. */
  let failNext = 0;

  beforeAll(async () => {
    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failNext > 0 && req.url === '/flaky') {
          failNext--;
          res.writeHead(503).end();
          return;
        }
        requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), ...decodeMail(Buffer.concat(chunks).toString()) });
          callback();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.server.address() as AddressInfo).port;
    system = await createObservedSystem('vecron_test_worker_alerts', [new ScriptExecutor()], {
      ALERT_WEBHOOK_SECRET: SECRET,
      ALERT_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      ALERT_EMAIL_FROM: 'vecron@example.com',
      ALERT_EXECUTION_URL: 'https://vecron.example.com/executions/{execution_id}',
      ALERT_RETRY_BASE_MS: '20',
      LOG_LEVEL: 'warn',
    });
  });
  afterAll(async () => {
    await system?.close();
    await new Promise((r) => http.close(r));
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  const jobWith = (name: string, alerts: Record<string, unknown>) => ({ name, steps: [{ id: 'call', name: 'Call', type: 'script', config: { mode: 'broken' } }], alerts });
  /** Runs one execution of the job, failing or succeeding, on `worker`, then lets it decide and send. */
  async function run(worker: ObservedWorker, jobId: string, outcome: 'fail' | 'ok'): Promise<string> {
    // Version 1 fails; version 2 (same job, same alerts) succeeds.
    const def = JSON.parse((await system.storage.get(`jobs/${jobId}/versions/1.json`)).toString());
    def.steps[0].config.mode = 'echo';
    await system.storage.put(`jobs/${jobId}/versions/2.json`, JSON.stringify(def));
    const id = await system.addExecution(jobId);
    if (outcome === 'ok') await system.db.query('update job_executions set definition_version=2 where id=$1', [id]);
    await worker.runner.run(id);
    await worker.observer.flush();
    return id;
  }
  const toPath = (path: string) => requests.filter((r) => r.path === path);

  it('three failures send one alert (signed webhook, Slack text, e-mail); more failures send nothing; a success sends one "recovered"', async () => {
    const worker = system.addWorker();
    const jobId = await system.addJob(
      jobWith('Nightly export', {
        channels: [
          { type: 'webhook', url: `${httpUrl}/hook` },
          { type: 'slack', url: `${httpUrl}/slack` },
          { type: 'email', to: ['ops@example.com'] },
        ],
      }),
    );
    await run(worker, jobId, 'fail');
    await run(worker, jobId, 'fail');
    expect(toPath('/hook')).toHaveLength(0);
    const third = await run(worker, jobId, 'fail');
    expect(toPath('/hook')).toHaveLength(1);
    expect(toPath('/slack')).toHaveLength(1);
    expect(mails).toHaveLength(1);

    const hook = toPath('/hook')[0]!;
    const message = JSON.parse(hook.body) as AlertMessage;
    expect(message).toMatchObject({
      event: 'alert',
      job: { id: jobId, name: 'Nightly export' },
      consecutive_failures: 3,
      execution: { id: third, status: 'failed', url: `https://vecron.example.com/executions/${third}` },
      error: { step_id: 'call', code: 'UPSTREAM_DOWN', message: 'upstream said no' },
    });
    expect(hook.headers['x-vecron-signature']).toBe(signAlertBody(SECRET, String(hook.headers['x-vecron-timestamp']), hook.body));
    const slack = JSON.parse(toPath('/slack')[0]!.body) as { text: string };
    expect(slack.text).toContain('Job "Nightly export" is failing (3 consecutive failures)');
    expect(slack.text).toContain('Failing step: call');
    expect(slack.text).toContain(`https://vecron.example.com/executions/${third}`);
    expect(mails[0]!.to).toEqual(['ops@example.com']);
    expect(mails[0]!.subject).toBe('[vecron] Job "Nightly export" is failing (3 consecutive failures)');
    expect(mails[0]!.body).toContain('Error (UPSTREAM_DOWN): upstream said no');
    expect(mails[0]!.body).toContain(`https://vecron.example.com/executions/${third}`);

    await run(worker, jobId, 'fail');
    await run(worker, jobId, 'fail');
    expect(toPath('/hook')).toHaveLength(1);

    const ok = await run(worker, jobId, 'ok');
    expect(toPath('/hook')).toHaveLength(2);
    const recovered = JSON.parse(toPath('/hook')[1]!.body) as AlertMessage;
    expect(recovered).toMatchObject({ event: 'recovered', job: { id: jobId }, execution: { id: ok, status: 'success' }, error: null });
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toBe('[vecron] Job "Nightly export" recovered');

    // Another success sends nothing; the count starts again from zero.
    await run(worker, jobId, 'ok');
    await run(worker, jobId, 'fail');
    await run(worker, jobId, 'fail');
    expect(toPath('/hook')).toHaveLength(2);
  });

  it('a success in between restarts the count; the threshold is per job', async () => {
    const worker = system.addWorker();
    const jobId = await system.addJob(jobWith('Two strikes', { after_consecutive_failures: 2, channels: [{ type: 'webhook', url: `${httpUrl}/two` }] }));
    await run(worker, jobId, 'fail');
    await run(worker, jobId, 'ok');
    await run(worker, jobId, 'fail');
    expect(toPath('/two')).toHaveLength(0);
    await run(worker, jobId, 'fail');
    expect(toPath('/two')).toHaveLength(1);
    expect(JSON.parse(toPath('/two')[0]!.body)).toMatchObject({ event: 'alert', consecutive_failures: 2 });
  });

  it('with a reminder interval, a job still failing once the interval is over gets one reminder', async () => {
    const worker = system.addWorker();
    const jobId = await system.addJob(jobWith('Reminded', { after_consecutive_failures: 1, reminder_interval_minutes: 30, channels: [{ type: 'webhook', url: `${httpUrl}/remind` }] }));
    await run(worker, jobId, 'fail');
    await run(worker, jobId, 'fail');
    expect(toPath('/remind').map((r) => JSON.parse(r.body).event)).toEqual(['alert']);
    // 31 minutes later (the alert's time moved back instead of waiting).
    await system.db.query("update job_alert_state set notified_at = now() - interval '31 minutes' where job_id=$1", [jobId]);
    await run(worker, jobId, 'fail');
    await run(worker, jobId, 'fail');
    expect(toPath('/remind').map((r) => JSON.parse(r.body).event)).toEqual(['alert', 'reminder']);
    expect(JSON.parse(toPath('/remind')[1]!.body).title).toBe('[vecron] Job "Reminded" is still failing (3 consecutive failures)');
  });

  it('two workers failing the same job at the same time send one alert', async () => {
    const a = system.addWorker();
    const b = system.addWorker();
    const jobId = await system.addJob(jobWith('Shared', { after_consecutive_failures: 3, channels: [{ type: 'webhook', url: `${httpUrl}/shared` }] }));
    // Six failures, three on each worker, run and decided concurrently.
    const ids = await Promise.all(Array.from({ length: 6 }, () => system.addExecution(jobId)));
    await Promise.all(ids.map((id, i) => (i % 2 ? a : b).runner.run(id)));
    await Promise.all([a.observer.flush(), b.observer.flush()]);
    expect(toPath('/shared')).toHaveLength(1);
    const { rows } = await system.db.query<{ consecutive_failures: number; alerting: boolean }>('select consecutive_failures, alerting from job_alert_state where job_id=$1', [jobId]);
    expect(rows[0]).toEqual({ consecutive_failures: 6, alerting: true });
  });

  it('a failing channel is retried and never blocks the execution; a channel that keeps failing is given up and logged', async () => {
    const worker = system.addWorker({ LOG_LEVEL: 'info' });
    const jobId = await system.addJob(jobWith('Flaky receiver', { after_consecutive_failures: 1, channels: [{ type: 'webhook', url: `${httpUrl}/flaky` }] }));
    failNext = 2;
    const started = Date.now();
    const id = await system.addExecution(jobId);
    expect(await worker.runner.run(id)).toBe('failed');
    expect(Date.now() - started).toBeLessThan(2_000);
    await worker.observer.flush();
    expect(failNext).toBe(0);
    expect(toPath('/flaky')).toHaveLength(1);
    expect(worker.lines().filter((l) => l.msg === 'alert channel failed; retrying')).toHaveLength(2);

    const dead = await system.addJob(jobWith('Dead receiver', { after_consecutive_failures: 1, channels: [{ type: 'webhook', url: 'http://127.0.0.1:1/none' }] }));
    const id2 = await system.addExecution(dead);
    expect(await worker.runner.run(id2)).toBe('failed');
    await worker.observer.flush();
    expect(worker.lines()).toContainEqual(expect.objectContaining({ msg: 'alert could not be sent; giving up', job_id: dead, attempt: 3 }));
  });

  it('jobs with alerts disabled, and without any channel, are not tracked', async () => {
    const worker = system.addWorker();
    const off = await system.addJob(jobWith('Silent', { enabled: false, channels: [{ type: 'webhook', url: `${httpUrl}/silent` }] }));
    const none = await system.addJob({ name: 'No channel', steps: [{ id: 'call', name: 'Call', type: 'script', config: { mode: 'broken' } }] });
    for (let i = 0; i < 3; i++) {
      await worker.runner.run(await system.addExecution(off));
      await worker.runner.run(await system.addExecution(none));
    }
    await worker.observer.flush();
    expect(toPath('/silent')).toHaveLength(0);
    const { rows } = await system.db.query('select job_id from job_alert_state where job_id = any($1::uuid[])', [[off, none]]);
    expect(rows).toHaveLength(0);
  });
});
