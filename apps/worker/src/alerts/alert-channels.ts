import { createHmac } from 'crypto';
import { createTransport, type Transporter } from 'nodemailer';
import type { AlertChannel } from '@vecron/definitions';
import type { AlertMessage } from './alert-message';

/** Header carrying `sha256=<hex>`: HMAC-SHA256 of `{X-Vecron-Timestamp}.{body}` keyed with ALERT_WEBHOOK_SECRET. */
export const ALERT_SIGNATURE_HEADER = 'x-vecron-signature';
export const ALERT_TIMESTAMP_HEADER = 'x-vecron-timestamp';

export interface AlertSenderOptions {
  webhookSecret?: string;
  smtpUrl?: string;
  emailFrom: string;
  timeoutMs: number;
}

/** The signature of a webhook alert body sent at `timestamp` (unix seconds). */
export function signAlertBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** A channel answered with an error (or did not answer). */
export class AlertChannelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertChannelError';
  }
}

/** Sends one alert to one channel (one attempt; AlertService retries). */
export class AlertSender {
  private transport?: Transporter;

  constructor(private readonly options: AlertSenderOptions) {}

  async send(channel: AlertChannel, message: AlertMessage): Promise<void> {
    switch (channel.type) {
      case 'webhook':
        return this.post(channel.url!, JSON.stringify(message), true, message.event);
      case 'slack':
        return this.post(channel.url!, JSON.stringify({ text: message.text }), false, message.event);
      case 'email':
        return this.mail(channel.to ?? [], message);
    }
  }

  close(): void {
    this.transport?.close();
  }

  private async post(url: string, body: string, signed: boolean, event: string): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'vecron-alerts', 'x-vecron-event': event };
    if (signed && this.options.webhookSecret) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      headers[ALERT_TIMESTAMP_HEADER] = timestamp;
      headers[ALERT_SIGNATURE_HEADER] = signAlertBody(this.options.webhookSecret, timestamp, body);
    }
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.options.timeoutMs), redirect: 'error' });
    } catch (err) {
      throw new AlertChannelError(`POST ${new URL(url).origin} failed: ${(err as Error).message}`);
    }
    await response.body?.cancel().catch(() => undefined);
    if (!response.ok) throw new AlertChannelError(`POST ${new URL(url).origin} answered ${response.status}`);
  }

  private async mail(to: string[], message: AlertMessage): Promise<void> {
    if (!this.options.smtpUrl) throw new AlertChannelError('no SMTP server configured (ALERT_SMTP_URL)');
    this.transport ??= createTransport({
      url: this.options.smtpUrl,
      connectionTimeout: this.options.timeoutMs,
      greetingTimeout: this.options.timeoutMs,
      socketTimeout: this.options.timeoutMs,
    });
    try {
      await this.transport.sendMail({ from: this.options.emailFrom, to, subject: message.title, text: message.text });
    } catch (err) {
      throw new AlertChannelError(`SMTP delivery failed: ${(err as Error).message}`);
    }
  }
}
