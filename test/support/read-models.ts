import type pg from 'pg';
import { readModelProjections } from '../../src/projections/index.ts';

/** Every read model's rows, in a stable order: what a rebuild from the log must reproduce. */
export async function dumpReadModels(db: pg.Client): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const table of readModelProjections.flatMap((p) => p.tables)) {
    dump[table] = (await db.query(`SELECT * FROM ${table} ORDER BY ${table}::text`)).rows;
  }
  return dump;
}
