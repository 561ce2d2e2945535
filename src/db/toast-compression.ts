import type pg from 'pg';

const supported = new WeakMap<pg.Pool, Promise<boolean>>();

/**
 * `BEGIN` for a transaction that TOASTs big events (a backfill page, a batch of delivery
 * history): lz4 where the server has it, about half pglz's cost (checked once per pool).
 */
export async function beginCompressed(pool: pg.Pool): Promise<string> {
  let lz4 = supported.get(pool);
  if (!lz4) {
    lz4 = pool
      .query<{ lz4: boolean }>(`SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`)
      .then((r) => r.rows[0]?.lz4 === true, () => false);
    supported.set(pool, lz4);
  }
  return (await lz4) ? 'BEGIN; SET LOCAL default_toast_compression = lz4' : 'BEGIN';
}
