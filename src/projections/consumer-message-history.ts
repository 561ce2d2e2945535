import type { MessageHistoryEvent } from '../domain/consumers/events.ts';
import { defineProjection } from './read-model-projection.ts';

/** One row per delivery, ack, nack or dead-lettering of a message, for inspection. */
export const consumerMessageHistoryProjection = defineProjection<MessageHistoryEvent>({
  name: 'consumer_message_history',
  tables: ['consumer_message_history'],
  eventTypes: ['MessagesLeased', 'MessagesAcked', 'MessagesNacked', 'MessagesDead'],
  async apply(events, db) {
    for (const { type, data } of events) {
      const rows = data.messages.map((m) => ({
        ...m,
        updatedIdx: 'updatedIdx' in m ? m.updatedIdx : null,
        deliverCount: 'deliverCount' in m ? m.deliverCount : null,
        ackToken: 'ackToken' in m ? m.ackToken : null,
      }));
      const action = { MessagesLeased: 'delivered', MessagesAcked: 'acked', MessagesNacked: 'nacked', MessagesDead: 'dead' }[type];
      await db.query(
        `INSERT INTO consumer_message_history (consumer_id, sync_id, collection_id, upstream_id, at, action, updated_idx, deliver_count, ack_token)
         SELECT $1, m.sync_id::uuid, m.collection_id, m.upstream_id, $2, $3, m.updated_idx::bigint, m.deliver_count::integer, m.ack_token::uuid
         FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
           AS m(sync_id, collection_id, upstream_id, updated_idx, deliver_count, ack_token)`,
        [
          data.consumerId,
          data.at,
          action,
          rows.map((r) => r.syncId),
          rows.map((r) => r.collectionId),
          rows.map((r) => r.upstreamId),
          rows.map((r) => r.updatedIdx),
          rows.map((r) => (r.deliverCount === null ? null : String(r.deliverCount))),
          rows.map((r) => r.ackToken),
        ],
      );
    }
  },
});
