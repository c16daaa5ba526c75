import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown, type InjectionToken, type ModuleMetadata } from '@nestjs/common';
import { Database, type DatabaseOptions } from './database';
import { ExecutionsRepository } from './executions.repository';
import { JobsRepository } from './jobs.repository';
import { SecretCipher, parseEncryptionKeys } from './variables/secret-cipher';
import { VariablesRepository } from './variables/variables.repository';
import { WebhooksRepository } from './webhooks/webhooks.repository';

/** Database connection plus the keys that protect sensitive variable values. */
export interface DatabaseModuleOptions extends DatabaseOptions {
  /** `id:base64key,…` (32-byte keys); empty when no sensitive variables are used. */
  encryptionKeys?: string;
  /** Id of the key new values are encrypted with; default the last key listed. */
  encryptionKeyId?: string;
}

/** Builds the cipher from the module options (keys parsed once, at start-up). */
export function createSecretCipher(options: Pick<DatabaseModuleOptions, 'encryptionKeys' | 'encryptionKeyId'>): SecretCipher {
  const keys = parseEncryptionKeys(options.encryptionKeys ?? '');
  return new SecretCipher(keys, options.encryptionKeyId ?? keys.at(-1)?.id ?? null);
}

const OPTIONS = Symbol('DATABASE_MODULE_OPTIONS');

export interface DatabaseModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  // Nest passes whatever `inject` lists; `never[]` lets the caller type its own parameters.
  useFactory: (...args: never[]) => DatabaseModuleOptions | Promise<DatabaseModuleOptions>;
}

class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly db: Database) {}
  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}

const repositories = [
  { provide: JobsRepository, useFactory: (db: Database) => new JobsRepository(db), inject: [Database] },
  { provide: ExecutionsRepository, useFactory: (db: Database) => new ExecutionsRepository(db), inject: [Database] },
  { provide: SecretCipher, useFactory: (o: DatabaseModuleOptions) => createSecretCipher(o), inject: [OPTIONS] },
  { provide: VariablesRepository, useFactory: (db: Database, c: SecretCipher) => new VariablesRepository(db, c), inject: [Database, SecretCipher] },
  { provide: WebhooksRepository, useFactory: (db: Database, c: SecretCipher) => new WebhooksRepository(db, c), inject: [Database, SecretCipher] },
];

/** Provides the Database and the repositories to a Nest app (global). */
@Global()
@Module({})
export class DatabaseModule {
  static forRootAsync(options: DatabaseModuleAsyncOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: options.imports ?? [],
      providers: [
        { provide: OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        { provide: Database, useFactory: (o: DatabaseModuleOptions) => new Database(o), inject: [OPTIONS] },
        DatabaseCloser,
        ...repositories,
      ],
      exports: [Database, JobsRepository, ExecutionsRepository, VariablesRepository, WebhooksRepository, SecretCipher],
    };
  }
}
