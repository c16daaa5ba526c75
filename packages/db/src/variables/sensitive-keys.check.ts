import { Injectable, type OnModuleInit } from '@nestjs/common';
import { WebhooksRepository } from '../webhooks/webhooks.repository';
import { SecretCipher } from './secret-cipher';
import { VariablesRepository } from './variables.repository';

/**
 * Start-up guard for processes that read or write sensitive values (api, worker): refuses to
 * start when sensitive variables or webhook secrets exist but their keys are not configured.
 */
@Injectable()
export class SensitiveKeysCheck implements OnModuleInit {
  constructor(
    private readonly variables: VariablesRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly cipher: SecretCipher,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.variables.assertKeysAvailable();
    const usage = await this.webhooks.secretKeyUsage();
    const missing = usage.filter((u) => !this.cipher.hasKey(u.key_id));
    if (missing.length) {
      throw new Error(`webhook secrets use encryption key id(s) that are not configured: ${missing.map((m) => `"${m.key_id}" (${m.count})`).join(', ')}`);
    }
  }
}
