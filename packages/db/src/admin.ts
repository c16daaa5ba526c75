import { Client } from 'pg';

/**
 * Drops (forcing connections off) and creates a database; returns its connection string.
 * Used to give each test suite and benchmark a clean system database.
 */
export async function recreateDatabase(adminConnectionString: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name "${name}"`);
  const admin = new Client({ connectionString: adminConnectionString });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminConnectionString);
  url.pathname = `/${name}`;
  return url.toString();
}
