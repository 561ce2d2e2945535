import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/db/migrate.ts';
import { readSqlFunctions, type SqlFunctionFile } from '../../src/db/sql-functions.ts';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../support/database.ts';

/** The last migration that may create or alter a syncline_ function; since then they live in prisma/functions. */
const LAST_MIGRATION_WITH_FUNCTIONS = '0044_upstream_crash_guard';
const SCRATCH_SCHEMA = 'syncline_function_files';

interface Definition {
  signature: string;
  name: string;
  definition: string;
}

/** Every `syncline_%` function of `schema`, overloads included, as pg_get_functiondef prints it. */
const definitionsSql = `
  SELECT p.oid::regprocedure::text AS signature, p.proname AS name, pg_get_functiondef(p.oid) AS definition
  FROM pg_proc p WHERE p.pronamespace = $1::regnamespace AND p.proname LIKE 'syncline\\_%' ORDER BY 1`;

/**
 * The live definition of every SQL function of the migrated database matches its file in
 * prisma/functions (docs/ARCHITECTURE.md, "SQL functions"): the file is what PostgreSQL is given,
 * compared as PostgreSQL reads it back (each file installed into a scratch schema), so comments
 * outside the body and whitespace outside it do not count, and everything else does.
 */
describe('SQL function definitions', () => {
  let db: MigratedTestDatabase;
  let files: SqlFunctionFile[];
  let live: Definition[];

  beforeAll(async () => {
    db = await createMigratedTestDatabase();
    files = await readSqlFunctions();
    live = (await db.pool.query<Definition>(definitionsSql, ['public'])).rows;
  });

  afterAll(async () => {
    await db?.close();
  });

  it('every syncline_ function has a file, and every file a function', () => {
    expect(live.map((f) => f.name).sort()).toEqual(files.map((f) => f.name).sort());
  });

  it('each file is what the migrated database runs', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`CREATE SCHEMA ${SCRATCH_SCHEMA}`);
      // Created in the scratch schema; the tables and the other functions they use resolve in public.
      await client.query(`SET LOCAL search_path = ${SCRATCH_SCHEMA}, public`);
      for (const file of files) await client.query(file.sql);
      const fromFiles = (await client.query<Definition>(definitionsSql, [SCRATCH_SCHEMA])).rows;
      await client.query('ROLLBACK');

      // One function per file, named as the file.
      expect(fromFiles.map((f) => f.name)).toEqual(files.map((f) => f.name));
      const asPublic = (definition: string) => definition.replace(`FUNCTION ${SCRATCH_SCHEMA}.`, 'FUNCTION public.');
      const expected = Object.fromEntries(fromFiles.map((f) => [f.signature, asPublic(f.definition)]));
      const actual = Object.fromEntries(live.map((f) => [f.signature, f.definition]));
      expect(actual).toEqual(expected);
    } finally {
      client.release();
    }
  });

  it('records the content of every file it installed', async () => {
    const { rows } = await db.pool.query<{ name: string; sha256: string }>('SELECT name, sha256 FROM _syncline_functions ORDER BY name');
    expect(rows).toEqual(files.map((f) => ({ name: f.name, sha256: f.sha256 })));
  });

  it('no migration after the files took over creates or alters a syncline_ function', async () => {
    const later = (await readMigrations()).filter((m) => m.name > LAST_MIGRATION_WITH_FUNCTIONS);
    const offending = later.filter((m) => /\b(CREATE\s+(OR\s+REPLACE\s+)?|ALTER\s+)FUNCTION\s+(public\.)?syncline_/i.test(m.sql));
    expect(offending.map((m) => m.name)).toEqual([]);
  });
});
