import type pg from 'pg';

const supported = new WeakMap<pg.Pool, Promise<boolean>>();

/** The server can compress TOASTed values with lz4: about half pglz's cost for a big event (checked once per pool). */
export function hasLz4Compression(pool: pg.Pool): Promise<boolean> {
  let lz4 = supported.get(pool);
  if (!lz4) {
    lz4 = pool
      .query<{ lz4: boolean }>(`SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`)
      .then((r) => r.rows[0]?.lz4 === true, () => false);
    supported.set(pool, lz4);
  }
  return lz4;
}

/** `BEGIN` for a transaction that TOASTs big events (a backfill page, a batch of delivery history): lz4 where the server has it. */
export async function beginCompressed(pool: pg.Pool): Promise<string> {
  return (await hasLz4Compression(pool)) ? 'BEGIN; SET LOCAL default_toast_compression = lz4' : 'BEGIN';
}
