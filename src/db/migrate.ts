import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { installSqlFunctions, readSqlFunctions } from './sql-functions.ts';

const migrationsDir = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
/** Any constant works; it only has to be the same for every Syncline process. */
const MIGRATION_LOCK_KEY = 7376_0001;

export interface Migration {
  name: string;
  sql: string;
}

export async function readMigrations(dir = migrationsDir): Promise<Migration[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  entries.sort();
  return Promise.all(entries.map(async (name) => ({ name, sql: await readFile(path.join(dir, name, 'migration.sql'), 'utf8') })));
}

/**
 * Applies pending SQL migrations in one transaction under an advisory lock, recording each in
 * `_syncline_migrations`, so several processes starting at once apply each migration once. Then,
 * in the same transaction, the SQL functions of `prisma/functions` whose files changed
 * (docs/ARCHITECTURE.md, "SQL functions"), unless the database has migrations this release does
 * not know: a newer release installed its own functions, which an older one must not roll back.
 * `extra` runs inside the same transaction (the event store's own schema).
 */
export async function migrate(pool: pg.Pool, extra?: (client: pg.PoolClient) => Promise<void>): Promise<string[]> {
  const [migrations, functions] = await Promise.all([readMigrations(), readSqlFunctions()]);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS _syncline_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const applied = new Set((await client.query<{ name: string }>('SELECT name FROM _syncline_migrations')).rows.map((r) => r.name));
    const pending = migrations.filter((m) => !applied.has(m.name));
    for (const migration of pending) {
      await client.query(migration.sql);
      await client.query('INSERT INTO _syncline_migrations (name) VALUES ($1)', [migration.name]);
    }
    const known = new Set(migrations.map((m) => m.name));
    const newerRelease = [...applied].some((name) => !known.has(name));
    if (!newerRelease) await installSqlFunctions(client, functions);
    if (extra) await extra(client);
    await client.query('COMMIT');
    return pending.map((m) => m.name);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Readiness: every migration on disk is recorded as applied. */
export async function pendingMigrations(pool: pg.Pool): Promise<string[]> {
  const migrations = await readMigrations();
  const applied = new Set((await pool.query<{ name: string }>('SELECT name FROM _syncline_migrations')).rows.map((r) => r.name));
  return migrations.filter((m) => !applied.has(m.name)).map((m) => m.name);
}
