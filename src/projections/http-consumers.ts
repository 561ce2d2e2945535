import type pg from 'pg';
import type { HttpConsumerEvent } from '../domain/http-consumers/events.ts';
import { startOptions } from '../domain/consumer-selection.ts';
import { defineProjection } from './read-model-projection.ts';
import { messageShapeOf } from '../domain/change-events.ts';

type Created = Extract<HttpConsumerEvent, { type: 'HttpConsumerCreated' }>['data'];
type Reset = Extract<HttpConsumerEvent, { type: 'HttpConsumerReset' }>['data'];

/**
 * Consumer settings. The delivery cursor row is created here once (never reset by a rebuild:
 * `consumer_cursors`, `consumer_leases` and `consumer_lease_batches` are live delivery state, owned by src/consumers).
 */
export const httpConsumersProjection = defineProjection<HttpConsumerEvent>({
  name: 'http_consumers',
  tables: ['http_consumers'],
  eventTypes: ['HttpConsumerCreated', 'HttpConsumerUpdated', 'HttpConsumerDeleted', 'HttpConsumerReset'],
  async apply(events, db) {
    for (const event of events) {
      const d = event.data;
      if (event.type === 'HttpConsumerDeleted') {
        await db.query('DELETE FROM http_consumers WHERE id = $1', [d.consumerId]);
        await db.query('DELETE FROM consumer_leases WHERE consumer_id = $1', [d.consumerId]);
        await db.query('DELETE FROM consumer_lease_batches WHERE consumer_id = $1', [d.consumerId]);
        await db.query('DELETE FROM consumer_pending_marks WHERE consumer_id = $1', [d.consumerId]);
        await db.query('DELETE FROM consumer_cursors WHERE consumer_id = $1', [d.consumerId]);
        continue;
      }
      if (event.type === 'HttpConsumerReset') {
        await applyReset(db, event.data);
        continue;
      }
      const e = event.data as Extract<HttpConsumerEvent, { type: 'HttpConsumerUpdated' }>['data'];
      const settings = [e.name, e.syncId, e.collectionIds, e.deliverPolicy, e.ackWaitMs, e.maxDeliver, e.maxAckPending, e.provider ?? null];
      if (event.type === 'HttpConsumerCreated') {
        const c: Created = event.data;
        const shape = messageShapeOf(c);
        const shapeValues = [shape.messageKind, shape.eventActions, shape.eventChangedFields];
        await db.query(
          `INSERT INTO http_consumers (id, account_id, stream_id, name, sync_id, collection_ids, deliver_policy, ack_wait_ms, max_deliver, max_ack_pending, provider,
             opt_start_time, opt_start_idx, created_at, updated_at, message_kind, event_actions, event_changed_fields)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17)`,
          [d.consumerId, d.accountId, c.streamId, ...settings, c.optStartTime ?? null, c.optStartIdx ?? null, c.createdAt, ...shapeValues],
        );
        // The cursor row carries what the SQL of /next and acks needs of the messages (migration 0059).
        await db.query(
          `INSERT INTO consumer_cursors (consumer_id, cursor, message_kind, event_actions, event_changed_fields) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [d.consumerId, c.startIdx, ...shapeValues],
        );
      } else {
        await db.query(
          `UPDATE http_consumers SET name = $2, sync_id = $3, collection_ids = $4, deliver_policy = $5, ack_wait_ms = $6, max_deliver = $7,
             max_ack_pending = $8, provider = $9, updated_at = $10 WHERE id = $1`,
          [d.consumerId, ...settings, e.updatedAt],
        );
      }
    }
  },
});

/**
 * The consumer's start position and reset count, and — once per reset, so not again when the log
 * is replayed over a cursor that has moved on — the cursor placed after `startIdx`, with the
 * leases in flight dropped (their acks then match nothing and are reported as invalid), the
 * dead letters of the records delivered again, and the pending-count mark (its cursor is gone).
 * The cursor row's lock, taken first, waits for a /next of the consumer in progress.
 */
async function applyReset(db: pg.ClientBase, r: Reset): Promise<void> {
  const { optStartTime, optStartIdx } = startOptions(r);
  await db.query(
    `UPDATE http_consumers SET deliver_policy = $2, opt_start_time = $3, opt_start_idx = $4, reset_count = $5, updated_at = $6 WHERE id = $1`,
    [r.consumerId, r.deliverPolicy, optStartTime, optStartIdx, r.resetCount, r.resetAt],
  );
  const moved = await db.query('UPDATE consumer_cursors SET cursor = $2, reset_count = $3 WHERE consumer_id = $1 AND reset_count < $3', [
    r.consumerId,
    r.startIdx,
    r.resetCount,
  ]);
  if (moved.rowCount === 0) return;
  await db.query('DELETE FROM consumer_lease_batches WHERE consumer_id = $1', [r.consumerId]);
  await db.query(
    `DELETE FROM consumer_leases l WHERE l.consumer_id = $1
       AND (NOT l.dead OR EXISTS (SELECT 1 FROM records x WHERE x.sync_id = l.sync_id AND x.collection_id = l.collection_id AND x.upstream_id = l.upstream_id
                                   AND x.updated_idx > $2))`,
    [r.consumerId, r.startIdx],
  );
  await db.query('DELETE FROM consumer_pending_marks WHERE consumer_id = $1', [r.consumerId]);
}
