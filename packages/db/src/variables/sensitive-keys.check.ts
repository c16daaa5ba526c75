import { Injectable, type OnModuleInit } from '@nestjs/common';
import { VariablesRepository } from './variables.repository';

/**
 * Start-up guard for processes that read or write sensitive variables (api, worker):
 * refuses to start when sensitive values exist but their keys are not configured.
 */
@Injectable()
export class SensitiveKeysCheck implements OnModuleInit {
  constructor(private readonly variables: VariablesRepository) {}

  async onModuleInit(): Promise<void> {
    await this.variables.assertKeysAvailable();
  }
}
