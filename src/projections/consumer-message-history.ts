import type { MessageHistoryEvent } from '../domain/http-consumers/events.ts';
import { appendedAt } from '../db/appended-events.ts';
import { defineProjection } from './read-model-projection.ts';

const ROWS = `
  INSERT INTO consumer_message_events (consumer_id, stream_position, at, action, upstream_id_hashes)
  SELECT (x.data->>'consumerId')::uuid, x.position, (x.data->>'at')::timestamptz,
    CASE x.type WHEN 'MessagesLeased' THEN 'delivered' WHEN 'MessagesAcked' THEN 'acked' WHEN 'MessagesNacked' THEN 'nacked' ELSE 'dead' END,
    ARRAY(SELECT hashtextextended(m.upstream_id, 0) FROM syncline_history_messages(x.data) m)
  FROM events x`;

type Positioned = { stream: string; position: bigint };

/** Where an event is in the log: remembered by our raw append, or in Emmett's metadata (its appends, rebuild). */
function positionOf(event: MessageHistoryEvent): Positioned | undefined {
  const remembered = appendedAt(event.data);
  if (remembered) return remembered;
  const metadata = (event as { metadata?: { streamName?: unknown; streamPosition?: unknown } }).metadata;
  if (typeof metadata?.streamName === 'string' && metadata.streamPosition !== undefined) {
    return { stream: metadata.streamName, position: BigInt(metadata.streamPosition as bigint | string | number) };
  }
  return undefined;
}

/**
 * One row per delivery-history event (leased, acked, nacked, dead): its stream position, time,
 * action and the hashes of its messages' upstream ids (GIN-indexed, migration 0033), so that a message's history is found
 * without a row per message; the details come from the event itself (queries/http-consumers.ts).
 * A flush of the history recorder appends many events to one stream: their rows are one
 * statement, which reads the events back from the rows just appended in this transaction
 * (src/db/raw-append.ts) instead of receiving every message a second time as parameters.
 */
export const consumerMessageHistoryProjection = defineProjection<MessageHistoryEvent>({
  name: 'consumer_message_history',
  tables: ['consumer_message_events'],
  eventTypes: ['MessagesLeased', 'MessagesAcked', 'MessagesNacked', 'MessagesDead'],
  async apply(events, db) {
    if (events.length === 0) return;
    const positions = events.map(positionOf);
    if (positions.some((p) => p === undefined)) throw new Error('delivery-history events must come with their stream positions');
    const stream = positions[0]!.stream;
    if (positions.every((p) => p!.stream === stream)) {
      const at = positions.map((p) => p!.position);
      // The range bounds the index scan: with the stream's statistics behind its growth, the
      // planner otherwise reads every event of the stream and filters the positions.
      await db.query(
        `WITH events AS MATERIALIZED (
           SELECT x.message_type AS type, x.message_data AS data, x.stream_position AS position FROM emt_messages x
           WHERE x.stream_id = $1 AND x.partition = 'emt:default' AND x.stream_position BETWEEN $3 AND $4
             AND x.stream_position = ANY($2::bigint[]) AND NOT x.is_archived
         )${ROWS}`,
        [stream, at.map(String), String(at.reduce((a, b) => (b < a ? b : a))), String(at.reduce((a, b) => (b > a ? b : a)))],
      );
      return;
    }
    await db.query(
      `WITH events AS MATERIALIZED (SELECT j->>'type' AS type, j->'data' AS data, (j->>'position')::bigint AS position FROM jsonb_array_elements($1::jsonb) j)${ROWS}`,
      [JSON.stringify(events.map(({ type, data }, i) => ({ type, data, position: positions[i]!.position.toString() })))],
    );
  },
});
