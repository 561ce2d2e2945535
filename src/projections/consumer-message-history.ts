import type { MessageHistoryEvent } from '../domain/consumers/events.ts';
import { defineProjection } from './read-model-projection.ts';

const ACTIONS = { MessagesLeased: 'delivered', MessagesAcked: 'acked', MessagesNacked: 'nacked', MessagesDead: 'dead' } as const;

/**
 * One row per delivery, ack, nack or dead-lettering of a message, for inspection. A flush of the
 * history recorder carries many events (one per /next or /ack): their rows go in one statement.
 */
export const consumerMessageHistoryProjection = defineProjection<MessageHistoryEvent>({
  name: 'consumer_message_history',
  tables: ['consumer_message_history'],
  eventTypes: ['MessagesLeased', 'MessagesAcked', 'MessagesNacked', 'MessagesDead'],
  async apply(events, db) {
    const columns = { consumerId: [], at: [], action: [], syncId: [], collectionId: [], upstreamId: [], updatedIdx: [], deliverCount: [], ackToken: [] } as Record<
      string,
      (string | null)[]
    >;
    for (const { type, data } of events) {
      for (const m of data.messages) {
        columns.consumerId!.push(data.consumerId);
        columns.at!.push(data.at);
        columns.action!.push(ACTIONS[type]);
        columns.syncId!.push(m.syncId);
        columns.collectionId!.push(m.collectionId);
        columns.upstreamId!.push(m.upstreamId);
        columns.updatedIdx!.push('updatedIdx' in m ? m.updatedIdx : null);
        columns.deliverCount!.push('deliverCount' in m ? String(m.deliverCount) : null);
        columns.ackToken!.push('ackToken' in m ? m.ackToken : null);
      }
    }
    if (columns.consumerId!.length === 0) return;
    await db.query(
      `INSERT INTO consumer_message_history (consumer_id, sync_id, collection_id, upstream_id, at, action, updated_idx, deliver_count, ack_token)
       SELECT m.consumer_id::uuid, m.sync_id::uuid, m.collection_id, m.upstream_id, m.at::timestamptz, m.action, m.updated_idx::bigint,
         m.deliver_count::integer, m.ack_token::uuid
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         AS m(consumer_id, at, action, sync_id, collection_id, upstream_id, updated_idx, deliver_count, ack_token)`,
      [columns.consumerId, columns.at, columns.action, columns.syncId, columns.collectionId, columns.upstreamId, columns.updatedIdx, columns.deliverCount, columns.ackToken],
    );
  },
});
