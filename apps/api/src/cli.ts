import 'reflect-metadata';
import { ConfigValidationError, createLogger, loadConfig } from '@vecron/config';
import { Database, VariablesRepository, WebhooksRepository, createSecretCipher, migrate } from '@vecron/db';
import { ApiEnv } from './config/api.env';

const USAGE = `usage: node apps/api/dist/cli.js <command>
  migrate       apply pending database migrations
  rotate-keys   re-encrypt every sensitive variable and webhook secret with the active key (VARIABLES_ENCRYPTION_KEY_ID)`;

/** Operator commands (see USAGE). */
async function main(argv: string[]): Promise<number> {
  const config = loadConfig(ApiEnv, process.env);
  const logger = createLogger(config, { name: 'vecron-cli' });
  switch (argv[0]) {
    case 'migrate': {
      const db = new Database({ connectionString: config.DATABASE_URL, poolSize: 1, applicationName: 'vecron-cli' });
      try {
        const { applied, current } = await migrate(db.pool, { logger });
        logger.info({ applied, current }, applied.length ? 'migrations applied' : 'database already up to date');
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'rotate-keys': {
      const db = new Database({ connectionString: config.DATABASE_URL, poolSize: 1, applicationName: 'vecron-cli' });
      try {
        const cipher = createSecretCipher({ encryptionKeys: config.VARIABLES_ENCRYPTION_KEYS, encryptionKeyId: config.VARIABLES_ENCRYPTION_KEY_ID });
        const changed = await new VariablesRepository(db, cipher).reencryptAll();
        const webhooks = await new WebhooksRepository(db, cipher).reencryptAll();
        logger.info({ re_encrypted: changed, webhook_secrets_re_encrypted: webhooks, active_key_id: cipher.activeKey }, 'sensitive variables and webhook secrets re-encrypted');
      } finally {
        await db.close();
      }
      return 0;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigValidationError ? err.message : (err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
