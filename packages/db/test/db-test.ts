import { recreateDatabase } from '../src/admin';
import { Database } from '../src/database';
import { migrate } from '../src/migrator';

const ADMIN = process.env.VECRON_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:25432/postgres';

/** A fresh, migrated database for one test file. */
export async function freshMigratedDatabase(name: string): Promise<Database> {
  const db = new Database({ connectionString: await recreateDatabase(ADMIN, name), poolSize: 4 });
  await migrate(db.pool);
  return db;
}
