import type { MessageHistoryEvent } from '../domain/consumers/events.ts';
import { appendedAt } from '../db/appended-events.ts';
import { defineProjection } from './read-model-projection.ts';

const ROWS = `
  INSERT INTO consumer_message_history (consumer_id, sync_id, collection_id, upstream_id, at, action, updated_idx, deliver_count, ack_token)
  SELECT e.consumer_id, (m->>'syncId')::uuid, m->>'collectionId', m->>'upstreamId', e.at, e.action,
    (m->>'updatedIdx')::bigint, (m->>'deliverCount')::integer, (m->>'ackToken')::uuid
  FROM (
    -- Each event's JSON is read (and de-TOASTed) once, not once per message.
    SELECT (x.data->>'consumerId')::uuid AS consumer_id, (x.data->>'at')::timestamptz AS at, x.data->'messages' AS messages,
      CASE x.type WHEN 'MessagesLeased' THEN 'delivered' WHEN 'MessagesAcked' THEN 'acked' WHEN 'MessagesNacked' THEN 'nacked' ELSE 'dead' END AS action
    FROM events x OFFSET 0
  ) e, jsonb_array_elements(e.messages) m`;

/**
 * One row per delivery, ack, nack or dead-lettering of a message, for inspection. A flush of the
 * history recorder appends many events (one per /next or /ack) to one stream: their rows are one
 * statement, which reads the events back from the rows just appended in this transaction
 * (src/db/raw-append.ts) instead of receiving every message a second time as parameters.
 * Replayed events (rebuild) are sent as one JSON value.
 */
export const consumerMessageHistoryProjection = defineProjection<MessageHistoryEvent>({
  name: 'consumer_message_history',
  tables: ['consumer_message_history'],
  eventTypes: ['MessagesLeased', 'MessagesAcked', 'MessagesNacked', 'MessagesDead'],
  async apply(events, db) {
    if (events.length === 0) return;
    const positions = events.map((e) => appendedAt(e.data));
    const stream = positions[0]?.stream;
    if (stream !== undefined && positions.every((p) => p?.stream === stream)) {
      await db.query(
        `WITH events AS MATERIALIZED (
           SELECT x.message_type AS type, x.message_data AS data FROM emt_messages x
           WHERE x.stream_id = $1 AND x.partition = 'emt:default' AND x.stream_position = ANY($2::bigint[]) AND NOT x.is_archived
         )${ROWS}`,
        [stream, positions.map((p) => p!.position.toString())],
      );
      return;
    }
    await db.query(`WITH events AS MATERIALIZED (SELECT j->>'type' AS type, j->'data' AS data FROM jsonb_array_elements($1::jsonb) j)${ROWS}`, [
      JSON.stringify(events.map(({ type, data }) => ({ type, data }))),
    ]);
  },
});
