import cronstrue from 'cronstrue/i18n';
import { describeSchedule, type Schedule } from '@vecron/definitions';
import { MESSAGES_EN, type MessageKey } from './messages.en';
import { MESSAGES_VI } from './messages.vi';

export const LOCALES = ['vi', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';
/** The cookie remembering the language switch. */
export const LANG_COOKIE = 'vecron_lang';

const CATALOGUES: Record<Locale, Record<MessageKey, string>> = { en: MESSAGES_EN, vi: MESSAGES_VI };
const INTL_LOCALE: Record<Locale, string> = { en: 'en-GB', vi: 'vi-VN' };

export function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}

/**
 * The page language: the remembered switch (cookie), else the first supported language of
 * `Accept-Language` by quality, else English.
 */
export function negotiateLocale(cookie: string | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(cookie)) return cookie;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { lang: tag.toLowerCase().split('-')[0] ?? '', q: q ? Number(q.slice(2)) : 1, i };
    })
    .filter((x) => x.lang && Number.isFinite(x.q) && x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return ranked.map((r) => r.lang).find(isLocale) ?? DEFAULT_LOCALE;
}

/** Everything a template needs to speak one language: messages, dates, numbers. */
export class Translator {
  readonly intlLocale: string;
  constructor(readonly locale: Locale) {
    this.intlLocale = INTL_LOCALE[locale];
  }

  /** The message, `{name}` placeholders filled. An unknown key shows itself (a test catches it). */
  t(key: string, params: Record<string, string | number> = {}): string {
    const text = (CATALOGUES[this.locale] as Record<string, string>)[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  }

  /** A date-time in `timeZone`, for the locale. */
  dateTime(value: Date | string | null | undefined, timeZone: string): string {
    if (!value) return '';
    const d = typeof value === 'string' ? new Date(value) : value;
    return new Intl.DateTimeFormat(this.intlLocale, { timeZone, dateStyle: 'short', timeStyle: 'medium' }).format(d);
  }

  number(n: number, options: Intl.NumberFormatOptions = {}): string {
    return new Intl.NumberFormat(this.intlLocale, options).format(n);
  }

  percent(ratio: number): string {
    return this.number(ratio, { style: 'percent', maximumFractionDigits: 1 });
  }

  duration(ms: number | null | undefined): string {
    if (ms === null || ms === undefined) return '';
    if (ms < 1000) return `${this.number(ms)} ms`;
    if (ms < 60_000) return `${this.number(ms / 1000, { maximumFractionDigits: 1 })} s`;
    const m = Math.floor(ms / 60_000);
    return `${this.number(m)} min ${this.number(Math.round((ms % 60_000) / 1000))} s`;
  }

  /** The schedule in words: cron through cronstrue (vi/en), the other types from their fields. */
  schedule(schedule: Schedule | null): string {
    if (!schedule) return this.t('job.no_schedule');
    if (schedule.type === 'cron') {
      try {
        const words = cronstrue.toString(schedule.expression.replace(/\?/g, '*'), {
          locale: this.locale,
          use24HourTimeFormat: true,
          throwExceptionOnParseError: true,
        });
        return `${words} (${schedule.timezone})`;
      } catch {
        return describeSchedule(schedule);
      }
    }
    if (this.locale === 'vi') {
      switch (schedule.type) {
        case 'fixed_rate':
          return `Mỗi ${this.number(schedule.interval_seconds)} giây`;
        case 'fixed_delay':
          return `${this.number(schedule.delay_seconds)} giây sau khi lần chạy trước kết thúc`;
        case 'one_time':
          return `Một lần lúc ${this.dateTime(schedule.execute_at, schedule.timezone)}`;
      }
    }
    return describeSchedule(schedule);
  }
}
