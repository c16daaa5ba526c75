import { promises as fs } from 'fs';
import path from 'path';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { launchChromium } from './support/browser';
import { HttpFixture, json } from './support/http-fixture';
import { TestSystem } from './support/system';

jest.setTimeout(120_000);

const SHOTS = path.resolve(__dirname, '..', 'docs', 'screenshots');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** Users the suite creates through the API (the built-in admin keeps its first password until the last test). */
const ADMIN = { username: 'ops', password: 'ops-password-1' };
const VIEWER = { username: 'viewer', password: 'viewer-password-1' };

/**
 * The dashboard in real headless Chromium against the built api + scheduler + worker (started as
 * the README's start command starts them): sign-in, the builder, a run seen live over SSE, the
 * context, Vietnamese, a phone, no JavaScript. Screenshots go to docs/screenshots/.
 */
describe('dashboard in Chromium', () => {
  const sys = new TestSystem({ name: 'e2e_dashboard' });
  const fixture = new HttpFixture();
  let browser: Browser;
  let base: string;
  /** CSP violations and page errors seen in any page: must stay empty. */
  const problems: string[] = [];
  let jobId = '';
  let executionId = '';

  const watch = (page: Page): Page => {
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('response', (r) => {
      if (r.url().includes('/assets/') && r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    });
    return page;
  };

  async function newContext(options: { viewport?: { width: number; height: number }; locale?: string; javaScriptEnabled?: boolean } = {}): Promise<BrowserContext> {
    return browser.newContext({ viewport: options.viewport ?? DESKTOP, locale: options.locale ?? 'en-US', javaScriptEnabled: options.javaScriptEnabled ?? true });
  }

  async function signIn(page: Page, who = ADMIN): Promise<void> {
    await page.goto(`${base}/`);
    await page.fill('#username', who.username);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForURL(/\/jobs/), page.click('#login-submit')]);
  }

  const shot = async (page: Page, name: string): Promise<void> => {
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
  };

  beforeAll(async () => {
    fixture
      .route('GET /a', (_req, res) => json(res, 200, { value: 42, items: [{ id: 'x1' }] }))
      .route('POST /b', (req, res) => json(res, 200, { received: req.body.length }));
    await fixture.start();
    [browser] = await Promise.all([launchChromium(), sys.start()]);
    base = sys.client.baseUrl;
    await sys.client.ok('POST', '/api/users', { ...ADMIN, roles: ['Admin'], must_change_password: false });
    await sys.client.ok('POST', '/api/users', { ...VIEWER, roles: ['Regular User'], must_change_password: false });
  });

  afterAll(async () => {
    await browser?.close();
    await sys.stop();
    await fixture.stop();
  });

  afterEach(() => expect(problems).toEqual([]));

  let ctx: BrowserContext;
  let page: Page;

  it('refuses bad credentials with a generic message, then signs in', async () => {
    ctx = await newContext();
    page = watch(await ctx.newPage());
    const first = await page.goto(`${base}/`);
    expect(first!.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(first!.headers()['content-security-policy']).not.toContain('unsafe-inline');
    expect(first!.headers()['x-frame-options']).toBe('DENY');
    await shot(page, 'login-desktop-en');
    await page.fill('#username', ADMIN.username);
    await page.fill('#password', 'wrong-password');
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/login')), page.click('#login-submit')]);
    expect(answer.status()).toBe(401);
    expect(await page.textContent('[data-testid=login-error]')).toContain('Invalid username or password');
    // Empty fields are caught before submitting.
    await page.fill('#username', '');
    await page.click('#login-submit');
    expect(await page.isVisible('#username-hint')).toBe(true);
    await signIn(page);
    expect(await page.textContent('[data-testid=role-badge]')).toContain('Admin');
    const cookies = await ctx.cookies();
    const session = cookies.find((c) => c.name === 'vecron_session')!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe('Strict');
  });

  it('builds a two-step job in the builder, with live validation and the JSON beside it', async () => {
    await page.goto(`${base}/jobs/new`);
    await page.fill('#b-name', 'dashboard-two-steps');
    await page.selectOption('#b-schedule-type', 'cron');
    await page.fill('#b-cron', '0 0 8 * * ?');
    await page.waitForSelector('[data-testid=preview-fires] li >> nth=4');
    await page.selectOption('#b-schedule-type', 'manual');
    await page.selectOption('#b-new-step-type', 'http');
    await page.click('#add-step');
    await page.fill('#step-0-id', 'fetch');
    await page.fill('#step-0-name', 'Fetch');
    await page.fill('#step-0-cfg-url', `${fixture.url}/a`);
    await page.click('#add-step');
    await page.fill('#step-1-id', 'send');
    await page.selectOption('#step-1-cfg-method', 'POST');
    await page.fill('#step-1-cfg-url', `${fixture.url}/b`);
    // The picker inserts a reference to the earlier step's output into the focused field.
    await page.fill('#step-1-cfg-body', '');
    await page.focus('#step-1-cfg-body');
    await page.selectOption('#step-1-ref', '{{steps.fetch.output}}');
    expect(await page.inputValue('#step-1-cfg-body')).toBe('{{steps.fetch.output}}');
    // A wrong URL is reported next to its field by the API's validator.
    await page.fill('#step-0-cfg-url', 'not a url');
    await page.waitForSelector('[data-error-for="steps[0].config.url"]:not(:empty)');
    await page.fill('#step-0-cfg-url', `${fixture.url}/a`);
    await page.waitForSelector('#validation.valid');
    const json = JSON.parse(await page.inputValue('#b-json')) as { steps: { id: string; config: Record<string, unknown> }[] };
    expect(json.steps.map((s) => s.id)).toEqual(['fetch', 'send']);
    expect(json.steps[1]!.config['body']).toBe('{{steps.fetch.output}}');
    await shot(page, 'builder-desktop-en');
    await Promise.all([page.waitForURL(/\/jobs\/[0-9a-f-]{36}\?msg=saved/), page.click('#save-job')]);
    jobId = /\/jobs\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const saved = await sys.client.ok<{ definition: { steps: { id: string }[] } }>('GET', `/api/jobs/${jobId}`);
    expect(saved.definition.steps.map((s) => s.id)).toEqual(['fetch', 'send']);
  });

  it('triggers the job and sees the run turn success without a reload (SSE)', async () => {
    await Promise.all([page.waitForURL(/msg=triggered/), page.click('[data-action=trigger]')]);
    executionId = /execution=([0-9a-f-]{36})/.exec(page.url())![1]!;
    await page.evaluate('window.marker = 1');
    await page.waitForSelector(`#exec-${executionId}[data-status=success]`, { timeout: 30_000 });
    // Same document: the row changed in place.
    expect(await page.evaluate('window.marker')).toBe(1);
    expect(fixture.requestsTo('/b')).toHaveLength(1);
    await shot(page, 'job-desktop-en');
  });

  it('opens the execution: timeline, outputs and the context', async () => {
    await page.goto(`${base}/executions/${executionId}`);
    expect(await page.getAttribute('[data-step-id=fetch]', 'data-step-status')).toBe('success');
    expect(await page.getAttribute('[data-step-id=send]', 'data-step-status')).toBe('success');
    await page.click('#context-viewer summary');
    const context = await page.textContent('[data-testid=context-json]');
    expect(context).toContain('"fetch"');
    expect(context).toContain('"value": 42');
    await shot(page, 'execution-desktop-en');
    await page.goto(`${base}/executions`);
    expect(await page.getAttribute(`#exec-${executionId}`, 'data-status')).toBe('success');
    await shot(page, 'executions-desktop-en');
    await page.goto(`${base}/jobs`);
    await shot(page, 'jobs-desktop-en');
    // Search as you type: HTMX swaps the table and pushes the URL, the page stays.
    await page.evaluate('window.marker = 2');
    await page.fill('#q', 'no-such-job');
    await page.waitForURL(/q=no-such-job/);
    await page.waitForSelector(`[data-job-id="${jobId}"]`, { state: 'detached' });
    expect(await page.evaluate('window.marker')).toBe(2);
  });

  it('exports a search as a ZIP, and imports a file with a placeholder through the secret prompt', async () => {
    await page.goto(`${base}/jobs?q=dashboard-two-steps`);
    await page.selectOption('#export-format', 'zip');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-action=export-all]')]);
    expect(download.suggestedFilename()).toMatch(/^jobs-.*\.zip$/);
    const zip = await fs.readFile((await download.path())!);
    expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
    // Import: a definition whose header holds a placeholder; the page asks for it before saving.
    const file = { name: 'imported-with-secret', triggers: { manual: true },
      steps: [{ id: 'get', name: 'Get', type: 'http', config: { method: 'GET', url: `${fixture.url}/a`, headers: { Authorization: 'Bearer ${SECRET:API_TOKEN}' } } }] };
    await Promise.all([page.waitForURL(/\/import$/), page.click('[data-action=import]')]);
    await page.setInputFiles('#import-file', { name: 'job.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
    await Promise.all([page.waitForSelector('[data-secret=API_TOKEN]'), page.click('[data-testid=import-upload] button[type=submit]')]);
    await page.fill('[data-secret=API_TOKEN]', 'token-from-the-prompt');
    await Promise.all([page.waitForSelector('[data-import-status=created]'), page.click('[data-testid=import-secrets] button[type=submit]')]);
    await shot(page, 'import-report-desktop-en');
    await Promise.all([page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/), page.click('[data-import-status=created] a')]);
    expect(await page.textContent('h1')).toBe('imported-with-secret');
    await page.goto(`${base}/jobs`);
  });

  it('speaks Vietnamese: from the switch (remembered) and from Accept-Language', async () => {
    await Promise.all([page.waitForURL(/\/jobs/), page.click('.lang a[lang=vi]')]);
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    expect(await page.textContent('h1')).toBe('Tác vụ');
    await shot(page, 'jobs-desktop-vi');
    await page.goto(`${base}/executions/${executionId}`);
    expect(await page.textContent('[data-step-id=fetch] .status')).toBe('Thành công');
    await shot(page, 'execution-desktop-vi');
    await page.goto(`${base}/jobs/${jobId}`);
    await shot(page, 'job-desktop-vi');
    await page.goto(`${base}/jobs/new`);
    await shot(page, 'builder-desktop-vi');
    await ctx.close();
    const vi = await newContext({ locale: 'vi-VN' });
    const p = watch(await vi.newPage());
    await p.goto(`${base}/`);
    expect(await p.textContent('#login-submit')).toBe('Đăng nhập');
    await shot(p, 'login-desktop-vi');
    await vi.close();
  });

  it('works on a phone-sized screen (jobs, execution status, trigger)', async () => {
    for (const lang of ['en', 'vi'] as const) {
      const phone = await newContext({ viewport: PHONE, locale: lang === 'vi' ? 'vi-VN' : 'en-US' });
      const p = watch(await phone.newPage());
      await p.goto(`${base}/`);
      await shot(p, `login-phone-${lang}`);
      await signIn(p);
      const overflow = await p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(1);
      expect(await p.isVisible(`[data-job-id="${jobId}"] [data-action=trigger]`)).toBe(true);
      await shot(p, `jobs-phone-${lang}`);
      await p.goto(`${base}/executions/${executionId}`);
      expect(await p.isVisible('#exec-main .status')).toBe(true);
      await shot(p, `execution-phone-${lang}`);
      await p.goto(`${base}/jobs/${jobId}`);
      await shot(p, `job-phone-${lang}`);
      await phone.close();
    }
  });

  it('signs in with JavaScript disabled', async () => {
    const nojs = await newContext({ javaScriptEnabled: false });
    const p = await nojs.newPage();
    await signIn(p);
    expect(new URL(p.url()).pathname).toBe('/jobs');
    expect(await p.textContent(`[data-job-id="${jobId}"] a`)).toBe('dashboard-two-steps');
    await nojs.close();
  });

  it('shows a Regular User view and trigger only, and a 403 page on the users page', async () => {
    const viewer = await newContext();
    const p = watch(await viewer.newPage());
    await signIn(p, VIEWER);
    expect(await p.textContent('[data-testid=role-badge]')).toBe('User');
    const row = `[data-job-id="${jobId}"]`;
    expect(await p.isVisible(`${row} [data-action=trigger]`)).toBe(true);
    for (const action of ['edit', 'delete', 'disable']) expect(await p.$(`${row} [data-action=${action}]`)).toBeNull();
    expect(await p.$('nav a[href="/users"]')).toBeNull();
    const users = await p.goto(`${base}/users`);
    expect(users!.status()).toBe(403);
    expect(await p.getAttribute('[data-error-code]', 'data-error-code')).toBe('403');
    await viewer.close();
  });

  it('asks the built-in admin to change the default password at the first sign-in', async () => {
    const first = await newContext();
    const p = watch(await first.newPage());
    await p.goto(`${base}/`);
    expect(await p.textContent('.login')).toContain('admin / admin123');
    await p.fill('#username', 'admin');
    await p.fill('#password', 'admin123');
    await Promise.all([p.waitForURL(/\/account\/password/), p.click('#login-submit')]);
    await p.fill('#current_password', 'admin123');
    await p.fill('#new_password', 'a-new-admin-password');
    await Promise.all([p.waitForURL(/\/jobs/), p.click('form[action="/account/password"] button[type=submit]')]);
    expect(await p.textContent('[data-testid=role-badge]')).toBe('Admin');
    await first.close();
  });
});
