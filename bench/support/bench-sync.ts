import pg from 'pg';
import type { RestClient } from '../../test/support/api.ts';

/** A sync of the emulator's customers with a limit that never binds (the bench measures Syncline, not the limit). */
export async function createBenchSync(api: RestClient, credentialId: string, name: string): Promise<{ id: string }> {
  const sync = await api.post('/v1/syncs', {
    provider: 'stripe',
    name,
    collection_ids: ['stripe:customer'],
    credential_id: credentialId,
    rate_limit: { allowed_requests: 100_000, interval: 1, max_concurrent_requests: 0 },
  });
  if (sync.status !== 201) throw new Error(`sync: ${JSON.stringify(sync.body)}`);
  return sync.body as { id: string };
}

/**
 * Waits until the sync's backfill is done, seen in the database (one row, every `everyMs`): the
 * sync's status counts every record of the sync, and polling it often takes a share of the
 * 2 cores from what is measured. The backfill's last checkpoint commits after every page's
 * records. `onPoll` runs before each look (e.g. to sample the server's memory).
 */
export async function waitForBackfillDone(databaseUrl: string, syncId: string, everyMs: number, onPoll?: () => Promise<void>): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (;;) {
      await onPoll?.();
      const done = await db.query('SELECT backfill_done FROM sync_collections WHERE sync_id = $1', [syncId]);
      if (done.rows[0]?.backfill_done === true) return;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  } finally {
    await db.end();
  }
}
