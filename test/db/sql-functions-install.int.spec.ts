import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../src/db/migrate.ts';
import { installSqlFunctions, readSqlFunctions, type SqlFunctionFile } from '../../src/db/sql-functions.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/** How the migrator installs prisma/functions (docs/ARCHITECTURE.md, "SQL functions"). */
describe('SQL function files, installed by the migrator', () => {
  let database: TestDatabase;
  let pools: pg.Pool[];
  let files: SqlFunctionFile[];

  const pool = () => pools[0]!;
  const functionRows = async () =>
    (await pool().query<{ name: string; xmin: string }>(`SELECT proname AS name, xmin::text FROM pg_proc WHERE proname LIKE 'syncline\\_%' ORDER BY 1`)).rows;
  const recordedHash = async (name: string) =>
    (await pool().query<{ sha256: string }>('SELECT sha256 FROM _syncline_functions WHERE name = $1', [name])).rows[0]?.sha256;

  /** Runs `work` in a transaction that is rolled back: the database stays as migrated. */
  async function rolledBack<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool().connect();
    try {
      await client.query('BEGIN');
      return await work(client);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: database.url, max: 1 }));
    files = await readSqlFunctions();
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await database?.drop();
  });

  it('several instances starting at once on an empty database: one migrates, the others find it done', async () => {
    const applied = await Promise.all(pools.map((p) => migrate(p)));
    const migrations = await readMigrations();
    expect(applied.map((names) => names.length).sort((a, b) => a - b)).toEqual([0, 0, 0, migrations.length]);
    const { rows } = await pool().query<{ name: string }>('SELECT name FROM _syncline_functions ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(files.map((f) => f.name));
  });

  it('a restart with the same files installs nothing', async () => {
    const before = await functionRows();
    await migrate(pool());
    expect(await functionRows()).toEqual(before);
  });

  it('a file whose content changed is installed, and its content recorded', async () => {
    const file = files.find((f) => f.name === 'syncline_record_bytes')!;
    const changed = { ...file, sql: file.sql.replace('+ 400', '+ 401'), sha256: 'changed' };
    expect(changed.sql).not.toBe(file.sql);
    await rolledBack(async (client) => {
      const bytes = async () => BigInt((await client.query<{ n: string }>(`SELECT syncline_record_bytes('{}'::jsonb, '') AS n`)).rows[0]!.n);
      const before = await bytes();
      expect(await installSqlFunctions(client, files.map((f) => (f === file ? changed : f)))).toEqual(['syncline_record_bytes']);
      expect(await bytes()).toBe(before + 1n);
      const recorded = await client.query<{ sha256: string }>(`SELECT sha256 FROM _syncline_functions WHERE name = 'syncline_record_bytes'`);
      expect(recorded.rows[0]!.sha256).toBe('changed');
    });
  });

  it('a function that is gone (a migration dropped it) is installed again, though its file did not change', async () => {
    await rolledBack(async (client) => {
      await client.query('DROP FUNCTION syncline_record_bytes(jsonb, text)');
      expect(await installSqlFunctions(client, files)).toEqual(['syncline_record_bytes']);
      const { rows } = await client.query<{ present: boolean }>(`SELECT to_regprocedure('syncline_record_bytes(jsonb, text)') IS NOT NULL AS present`);
      expect(rows[0]!.present).toBe(true);
    });
  });

  it('a release older than the database (it has migrations this one does not know) leaves the functions alone', async () => {
    await pool().query(`INSERT INTO _syncline_migrations (name) VALUES ('9999_a_newer_release')`);
    await pool().query(`UPDATE _syncline_functions SET sha256 = 'installed by a newer release' WHERE name = 'syncline_record_bytes'`);
    try {
      const before = await functionRows();
      expect(await migrate(pool())).toEqual([]);
      expect(await functionRows()).toEqual(before);
      expect(await recordedHash('syncline_record_bytes')).toBe('installed by a newer release');
    } finally {
      await pool().query(`DELETE FROM _syncline_migrations WHERE name = '9999_a_newer_release'`);
    }
    // The same release again: the file is installed over what the newer one recorded.
    await migrate(pool());
    expect(await recordedHash('syncline_record_bytes')).toBe(files.find((f) => f.name === 'syncline_record_bytes')!.sha256);
  });
});
