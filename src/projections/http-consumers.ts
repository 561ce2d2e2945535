import type { HttpConsumerEvent } from '../domain/http-consumers/events.ts';
import { defineProjection } from './read-model-projection.ts';

/**
 * Consumer settings. The delivery cursor row is created here once (never reset by a rebuild:
 * `consumer_cursors`, `consumer_leases` and `consumer_lease_batches` are live delivery state, owned by src/consumers).
 */
export const httpConsumersProjection = defineProjection<HttpConsumerEvent>({
  name: 'http_consumers',
  tables: ['http_consumers'],
  eventTypes: ['HttpConsumerCreated', 'HttpConsumerUpdated', 'HttpConsumerDeleted'],
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
      const e = event.data as Extract<HttpConsumerEvent, { type: 'HttpConsumerUpdated' }>['data'];
      const settings = [e.name, e.syncId, e.collectionIds, e.deliverPolicy, e.ackWaitMs, e.maxDeliver, e.maxAckPending];
      if (event.type === 'HttpConsumerCreated') {
        await db.query(
          `INSERT INTO http_consumers (id, account_id, stream_id, name, sync_id, collection_ids, deliver_policy, ack_wait_ms, max_deliver, max_ack_pending, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
          [d.consumerId, d.accountId, event.data.streamId, ...settings, event.data.createdAt],
        );
        await db.query('INSERT INTO consumer_cursors (consumer_id, cursor) VALUES ($1, $2) ON CONFLICT DO NOTHING', [d.consumerId, event.data.startIdx]);
      } else {
        await db.query(
          `UPDATE http_consumers SET name = $2, sync_id = $3, collection_ids = $4, deliver_policy = $5, ack_wait_ms = $6, max_deliver = $7,
             max_ack_pending = $8, updated_at = $9 WHERE id = $1`,
          [d.consumerId, ...settings, event.data.updatedAt],
        );
      }
    }
  },
});
