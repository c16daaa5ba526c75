import { readdirSync, readFileSync } from 'fs';
import path from 'path';
import { MESSAGES_EN } from './messages.en';
import { MESSAGES_VI } from './messages.vi';
import { negotiateLocale, Translator } from './i18n';

describe('dashboard i18n', () => {
  it('picks the remembered switch first, then Accept-Language by quality, then English', () => {
    expect(negotiateLocale('vi', 'en-US,en;q=0.9')).toBe('vi');
    expect(negotiateLocale(undefined, 'fr-FR,vi;q=0.8,en;q=0.5')).toBe('vi');
    expect(negotiateLocale(undefined, 'en;q=0.4,vi-VN;q=0.9')).toBe('vi');
    expect(negotiateLocale('de', 'de-DE')).toBe('en');
    expect(negotiateLocale(undefined, undefined)).toBe('en');
    expect(negotiateLocale(undefined, 'vi;q=0')).toBe('en');
  });

  it('has every message in both languages, and every key used by a template exists', () => {
    expect(Object.keys(MESSAGES_VI).sort()).toEqual(Object.keys(MESSAGES_EN).sort());
    const dir = path.join(__dirname, '..', 'templates');
    const used = new Set<string>();
    for (const file of readdirSync(dir)) {
      for (const m of readFileSync(path.join(dir, file), 'utf8').matchAll(/\bt\('([a-z0-9_.]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(50);
    // Prefixes joined with a value in the template (`t('status.' + s)`) must cover every value.
    const prefixed = ['status.', 'trigger.', 'builder.type.'];
    for (const k of prefixed) used.delete(k);
    for (const s of ['pending', 'running', 'success', 'failed', 'timeout', 'cancelled', 'dead_letter', 'skipped']) used.add(`status.${s}`);
    for (const s of ['scheduled', 'manual', 'webhook', 'retry']) used.add(`trigger.${s}`);
    for (const s of ['cron', 'fixed_rate', 'fixed_delay', 'one_time', 'manual']) used.add(`builder.type.${s}`);
    const missing = [...used].filter((k) => !(k in MESSAGES_EN));
    expect(missing).toEqual([]);
  });

  it('fills placeholders and formats dates in the given zone for the locale', () => {
    const vi = new Translator('vi');
    const en = new Translator('en');
    expect(en.t('common.page', { page: 2, pages: 5, total: 99 })).toBe('Page 2 of 5 (99 in all)');
    expect(vi.t('login.rate_limited', { seconds: 30 })).toContain('30 giây');
    const at = new Date('2026-01-02T01:30:00Z');
    expect(en.dateTime(at, 'Asia/Ho_Chi_Minh')).toBe('02/01/2026, 08:30:00');
    expect(en.dateTime(at, 'UTC')).toBe('02/01/2026, 01:30:00');
    expect(vi.dateTime(at, 'Asia/Ho_Chi_Minh')).toContain('08:30:00');
    expect(vi.percent(0.955)).toMatch(/95,5\s?%/);
  });

  it('describes schedules in words in both languages', () => {
    const cron = { type: 'cron', expression: '0 */5 * * * ?', timezone: 'Asia/Ho_Chi_Minh', misfire_policy: 'fire_once', misfire_max_fires: 100 } as const;
    expect(new Translator('en').schedule(cron)).toBe('Every 5 minutes (Asia/Ho_Chi_Minh)');
    expect(new Translator('vi').schedule(cron)).toBe('Mỗi 5 phút (Asia/Ho_Chi_Minh)');
    expect(new Translator('vi').schedule(null)).toBe('Chỉ chạy thủ công hoặc qua webhook');
    const rate = { type: 'fixed_rate', interval_seconds: 90, timezone: 'UTC', misfire_policy: 'fire_once', misfire_max_fires: 100 } as const;
    expect(new Translator('vi').schedule(rate)).toBe('Mỗi 90 giây');
  });
});
