import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.ts';

/** Admin connection used to create one throwaway database per test file on the real PostgreSQL. */
export const adminDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `syncline_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminDatabaseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface MigratedTestDatabase {
  database: TestDatabase;
  pool: pg.Pool;
  /** Ends the pool and drops the database. */
  close(): Promise<void>;
}

/** A fresh database with the server's migrations applied, and a small pool on it (integration tests of SQL). */
export async function createMigratedTestDatabase(maxConnections = 2): Promise<MigratedTestDatabase> {
  const database = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: maxConnections });
  await migrate(pool);
  return {
    database,
    pool,
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}
