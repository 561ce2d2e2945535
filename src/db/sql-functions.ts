import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const functionsDir = fileURLToPath(new URL('../../prisma/functions', import.meta.url));

/** One `prisma/functions/<name>.sql`: the current definition of the SQL function `<name>`. */
export interface SqlFunctionFile {
  name: string;
  sql: string;
  sha256: string;
}

export async function readSqlFunctions(dir = functionsDir): Promise<SqlFunctionFile[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(path.join(dir, file), 'utf8');
      return { name: file.slice(0, -'.sql'.length), sql, sha256: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/**
 * Installs, on `client` (inside the migrator's transaction and advisory lock), every function file
 * whose content differs from the one recorded in `_syncline_functions`, or whose function is gone
 * (a migration dropped it). Files run in name order; each is `CREATE OR REPLACE FUNCTION`, so a
 * function that other functions or views use keeps its identity. Returns the names installed.
 */
export async function installSqlFunctions(client: pg.ClientBase, files: SqlFunctionFile[]): Promise<string[]> {
  await client.query(
    `CREATE TABLE IF NOT EXISTS _syncline_functions (name text PRIMARY KEY, sha256 text NOT NULL, installed_at timestamptz NOT NULL DEFAULT now())`,
  );
  const { rows } = await client.query<{ name: string; sha256: string; present: boolean }>(
    `SELECT f.name, f.sha256,
       EXISTS (SELECT 1 FROM pg_proc p WHERE p.proname = f.name AND p.pronamespace = current_schema()::regnamespace) AS present
     FROM _syncline_functions f`,
  );
  const installed = new Map(rows.filter((row) => row.present).map((row) => [row.name, row.sha256]));
  const changed = files.filter((file) => installed.get(file.name) !== file.sha256);
  for (const file of changed) {
    await client.query(file.sql);
    await client.query(
      `INSERT INTO _syncline_functions (name, sha256) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET sha256 = EXCLUDED.sha256, installed_at = now()`,
      [file.name, file.sha256],
    );
  }
  return changed.map((file) => file.name);
}
