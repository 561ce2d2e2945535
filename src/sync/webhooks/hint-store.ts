import type pg from 'pg';
import type { WebhookHint } from '../providers/provider.ts';

/** Delivery ids are kept this long for deduplication (Stripe retries for 3 days). */
export const DELIVERY_ID_TTL_MS = 3 * 86_400_000;

/** One stored hint as the runner reads it; `receivedSeq` tells whether a webhook named the object again since. */
export interface StoredHint {
  collectionId: string;
  upstreamId: string;
  deleted: boolean;
  receivedSeq: string;
}

export interface WebhookCounts {
  received?: number;
  verified?: number;
  rejected?: number;
  duplicates?: number;
  changesMissed?: number;
}

/** Adds to a sync's webhook counters (sync_webhook_runtime); `received` also moves `last_received_at`, `verified` `last_verified_at`. */
export async function countWebhooks(db: pg.ClientBase | pg.Pool, syncId: string, counts: WebhookCounts): Promise<void> {
  const { received = 0, verified = 0, rejected = 0, duplicates = 0, changesMissed = 0 } = counts;
  await db.query(
    `INSERT INTO sync_webhook_runtime AS r (sync_id, received, verified, rejected, duplicates, changes_missed, last_received_at, last_verified_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $2::bigint > 0 THEN now() END, CASE WHEN $3::bigint > 0 THEN now() END, now())
     ON CONFLICT (sync_id) DO UPDATE SET received = r.received + EXCLUDED.received, verified = r.verified + EXCLUDED.verified,
       rejected = r.rejected + EXCLUDED.rejected, duplicates = r.duplicates + EXCLUDED.duplicates, changes_missed = r.changes_missed + EXCLUDED.changes_missed,
       last_received_at = COALESCE(EXCLUDED.last_received_at, r.last_received_at), last_verified_at = COALESCE(EXCLUDED.last_verified_at, r.last_verified_at),
       updated_at = now()`,
    [syncId, received, verified, rejected, duplicates, changesMissed],
  );
}

/** Records `deliveryId` as seen; false when it already was (a redelivery). */
export async function firstDelivery(db: pg.ClientBase, syncId: string, deliveryId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO sync_webhook_deliveries (sync_id, delivery_id, received_at) VALUES ($1, $2, now()) ON CONFLICT DO NOTHING`,
    [syncId, deliveryId],
  );
  return rowCount === 1;
}

/**
 * Stores hints, one row per object: a hint for an object already waiting renews its receipt
 * (`received_seq`, `received_at`) and keeps `deleted` if any webhook said so (the fetch decides).
 */
export async function storeHints(db: pg.ClientBase, syncId: string, hints: readonly WebhookHint[]): Promise<void> {
  if (hints.length === 0) return;
  // One row per object within the batch too: ON CONFLICT cannot touch a row twice in one statement.
  const byObject = new Map<string, WebhookHint>();
  for (const hint of hints) {
    const key = `${hint.collectionId}\u0000${hint.upstreamId}`;
    const before = byObject.get(key);
    byObject.set(key, { ...hint, deleted: hint.deleted || (before?.deleted ?? false) });
  }
  const unique = [...byObject.values()];
  await db.query(
    `INSERT INTO sync_webhook_hints AS h (sync_id, collection_id, upstream_id, deleted, received_at)
     SELECT $1, c, u, d, now() FROM unnest($2::text[], $3::text[], $4::boolean[]) AS t(c, u, d)
     ON CONFLICT (sync_id, collection_id, upstream_id) DO UPDATE SET deleted = h.deleted OR EXCLUDED.deleted,
       received_at = EXCLUDED.received_at, received_seq = nextval('sync_webhook_hint_seq')`,
    [syncId, unique.map((h) => h.collectionId), unique.map((h) => h.upstreamId), unique.map((h) => h.deleted)],
  );
}

/**
 * The oldest hints of the sync's collections whose backfill is done (docs/PROVIDER-WEBHOOKS.md,
 * "Applying": a collection still backfilling keeps its hints; the backfill and the polls after it
 * cover what they name).
 */
export async function pendingHints(db: pg.Pool, syncId: string, limit: number): Promise<StoredHint[]> {
  const { rows } = await db.query<{ collection_id: string; upstream_id: string; deleted: boolean; received_seq: string }>(
    `SELECT h.collection_id, h.upstream_id, h.deleted, h.received_seq
     FROM sync_webhook_hints h JOIN sync_collections c ON c.sync_id = h.sync_id AND c.collection_id = h.collection_id AND c.backfill_done
     WHERE h.sync_id = $1 ORDER BY h.received_seq LIMIT $2`,
    [syncId, limit],
  );
  return rows.map((r) => ({ collectionId: r.collection_id, upstreamId: r.upstream_id, deleted: r.deleted, receivedSeq: r.received_seq }));
}

/** Removes hints whose objects were written, unless a webhook named the object again meanwhile. */
export async function removeHints(db: pg.Pool, syncId: string, hints: readonly StoredHint[]): Promise<void> {
  if (hints.length === 0) return;
  await db.query(
    `DELETE FROM sync_webhook_hints h USING unnest($2::text[], $3::text[], $4::bigint[]) AS t(c, u, s)
     WHERE h.sync_id = $1 AND h.collection_id = t.c AND h.upstream_id = t.u AND h.received_seq = t.s`,
    [syncId, hints.map((h) => h.collectionId), hints.map((h) => h.upstreamId), hints.map((h) => h.receivedSeq)],
  );
}

/** Hints of collections the sync no longer holds, and delivery ids past their TTL. */
export async function pruneWebhookState(db: pg.Pool, syncId: string, collectionIds: readonly string[]): Promise<void> {
  await db.query(`DELETE FROM sync_webhook_hints WHERE sync_id = $1 AND NOT (collection_id = ANY($2::text[]))`, [syncId, collectionIds]);
  await db.query(`DELETE FROM sync_webhook_deliveries WHERE sync_id = $1 AND received_at < now() - make_interval(secs => $2::double precision / 1000)`, [
    syncId,
    DELIVERY_ID_TTL_MS,
  ]);
}

/** Everything a deleted sync's webhooks left (its counters, hints, delivery ids). */
export async function forgetWebhookState(db: pg.Pool, syncId: string): Promise<void> {
  await db.query(`DELETE FROM sync_webhook_hints WHERE sync_id = $1`, [syncId]);
  await db.query(`DELETE FROM sync_webhook_deliveries WHERE sync_id = $1`, [syncId]);
  await db.query(`DELETE FROM sync_webhook_runtime WHERE sync_id = $1`, [syncId]);
}
