import type pg from 'pg';
import type { MutationEvent, MutationItemError } from '../domain/mutations/events.ts';
import { defineProjection } from './read-model-projection.ts';

/** An item's error as answers show it. */
export const errorView = (error: MutationItemError) => ({ code: error.code, message: error.message, upstream_status: error.upstreamStatus });

/** Mutation runs and each item's outcome (the audit trail behind GET /v1/syncs/{id}/mutations). */
export const mutationsProjection = defineProjection<MutationEvent>({
  name: 'mutations',
  tables: ['mutation_items', 'mutation_runs'],
  eventTypes: ['MutationRequested', 'MutationApplied', 'MutationFailed'],
  async apply(events, db) {
    for (const event of events) await applyOne(event, db);
  },
});

async function applyOne(event: MutationEvent, db: pg.ClientBase): Promise<void> {
  switch (event.type) {
    case 'MutationRequested': {
      const d = event.data;
      await db.query(
        `INSERT INTO mutation_runs (id, account_id, sync_id, collection_id, kind, idempotency_key, request_hash, requested_by, item_count, attempts, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'running', $11, $11)
         ON CONFLICT (id) DO UPDATE SET attempts = EXCLUDED.attempts, updated_at = EXCLUDED.updated_at`,
        [d.runId, d.accountId, d.syncId, d.collectionId, d.kind, d.idempotencyKey, d.requestHash, d.requestedBy, d.items.length, d.attempt, d.at],
      );
      await db.query(
        `INSERT INTO mutation_items (run_id, item_index, upstream_id, fields, status)
         SELECT $1, i.idx, i.upstream_id, ARRAY(SELECT jsonb_array_elements_text(i.fields)), 'requested'
         FROM unnest($2::int[], $3::text[], $4::jsonb[]) AS i(idx, upstream_id, fields)
         ON CONFLICT DO NOTHING`,
        [d.runId, d.items.map((i) => i.index), d.items.map((i) => i.upstreamId), d.items.map((i) => JSON.stringify(i.fields))],
      );
      return;
    }
    case 'MutationApplied': {
      const d = event.data;
      await settle(db, d.runId, d.index, 'applied', d.record.upstream_id, d.record, null, d.at);
      return;
    }
    case 'MutationFailed': {
      const d = event.data;
      await settle(db, d.runId, d.index, 'failed', d.upstreamId, null, errorView(d.error), d.at);
      return;
    }
  }
}

async function settle(
  db: pg.ClientBase,
  runId: string,
  index: number,
  status: 'applied' | 'failed',
  upstreamId: string | null,
  record: unknown,
  error: unknown,
  at: string,
): Promise<void> {
  const settled = await db.query(
    `UPDATE mutation_items SET status = $3, upstream_id = COALESCE($4, upstream_id), record = $5, error = $6, settled_at = $7
     WHERE run_id = $1 AND item_index = $2 AND status = 'requested'`,
    [runId, index, status, upstreamId, record === null ? null : JSON.stringify(record), error === null ? null : JSON.stringify(error), at],
  );
  if (settled.rowCount === 0) return;
  await db.query(
    `UPDATE mutation_runs SET
       applied_count = applied_count + ($2 = 'applied')::int,
       failed_count = failed_count + ($2 = 'failed')::int,
       updated_at = $3,
       status = CASE WHEN applied_count + failed_count + 1 >= item_count THEN 'completed' ELSE status END,
       completed_at = CASE WHEN applied_count + failed_count + 1 >= item_count THEN $3::timestamptz ELSE completed_at END
     WHERE id = $1`,
    [runId, status, at],
  );
}
