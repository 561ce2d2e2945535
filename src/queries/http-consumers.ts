import type { AppContext, Principal } from '../app-context.ts';
import { consumerCounts, type Counts, type Delivered } from '../consumers/http/delivery.ts';
import { toDeliveryConsumer } from '../consumers/http/delivery-consumer.ts';
import { findHttpConsumer } from '../consumers/http/find-consumer.ts';
import type { DeliverPolicy } from '../domain/http-consumers/events.ts';
import type { HttpConsumer } from '../generated/prisma/client.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';
import { isStorableText } from '../storable-text.ts';
import { presentMessageShape } from './message-shape.ts';

function presentHttpConsumer(consumer: HttpConsumer, counts: Counts) {
  return {
    id: consumer.id,
    name: consumer.name,
    stream_id: consumer.streamId,
    sync_id: consumer.syncId,
    collection_ids: consumer.collectionIds.length > 0 ? consumer.collectionIds : null,
    provider: consumer.provider,
    deliver_policy: consumer.deliverPolicy as DeliverPolicy,
    opt_start_time: consumer.optStartTime?.toISOString() ?? null,
    opt_start_idx: consumer.optStartIdx === null ? null : Number(consumer.optStartIdx),
    reset_count: consumer.resetCount,
    ack_wait_ms: consumer.ackWaitMs,
    max_deliver: consumer.maxDeliver,
    max_ack_pending: consumer.maxAckPending,
    ...presentMessageShape(consumer),
    num_pending: counts.numPending,
    num_ack_pending: counts.numAckPending,
    num_dead: counts.numDead,
    created_at: consumer.createdAt.toISOString(),
    updated_at: consumer.updatedAt.toISOString(),
  };
}

/** Consumers with their counts: one counts statement for all of them. */
export async function presentHttpConsumers(ctx: AppContext, consumers: HttpConsumer[]) {
  const counts = await consumerCounts(ctx.pool, consumers.map(toDeliveryConsumer));
  return consumers.map((consumer) => presentHttpConsumer(consumer, counts.get(consumer.id)!));
}

export async function getHttpConsumer(ctx: AppContext, principal: Principal, id: string) {
  const [consumer] = await presentHttpConsumers(ctx, [await findHttpConsumer(ctx, principal, id)]);
  return consumer!;
}

export async function listHttpConsumers(ctx: AppContext, principal: Principal, page: PageInput) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.httpConsumer.findMany({ ...args, where: { ...args.where, accountId: principal.accountId } });
  const result = toPage(rows, page, (row) => row);
  return { data: await presentHttpConsumers(ctx, result.data), next_cursor: result.next_cursor };
}

/**
 * The messages as the JSON text of `/next`, `[{"ack_token":…,"ack_id":…,"record":{…}}, …]`, from
 * the JSON PostgreSQL built for each. Every message names its token both ways (`ack_id` first for
 * the Sequin-compatible endpoint): the token leads every message's text and holds no character
 * JSON escapes, so this is a prefix splice.
 */
export function deliveredJson(delivered: Delivered[], leadingKey: 'ack_token' | 'ack_id'): string {
  const prefix = '{"ack_token":';
  const [first, second] = leadingKey === 'ack_token' ? ['ack_token', 'ack_id'] : ['ack_id', 'ack_token'];
  const parts = delivered.map(({ json }) => {
    const tokenEnd = json.indexOf('"', prefix.length + 1) + 1;
    const token = json.slice(prefix.length, tokenEnd);
    return `{"${first}":${token},"${second}":${token}${json.slice(tokenEnd)}`;
  });
  return `[${parts.join(',')}]`;
}

/** A message's lease state and delivery history, for inspection. */
export async function messageHistory(ctx: AppContext, principal: Principal, consumerId: string, upstreamId: string) {
  const consumer = await findHttpConsumer(ctx, principal, consumerId);
  // An id PostgreSQL cannot store names no message (and the database would refuse the query).
  if (!isStorableText(upstreamId)) return { upstream_id: upstreamId, leases: [], history: [] };
  await ctx.history.flush();
  const [leases, history] = await Promise.all([
    // Per-message leases and the messages of lease batches alike (migration 0032).
    ctx.pool.query<{ sync_id: string; collection_id: string; updated_idx: string; deliver_count: number; deadline: Date; dead: boolean; dead_at: Date | null }>(
      `SELECT sync_id, collection_id, updated_idx, deliver_count, deadline, dead, dead_at FROM consumer_lease_entries
       WHERE consumer_id = $1 AND upstream_id = $2 ORDER BY updated_idx`,
      [consumer.id, upstreamId],
    ),
    // The events naming the message (GIN on the hashes of their upstream ids), then the message in each of them.
    ctx.pool.query<{ action: string; at: Date; sync_id: string; collection_id: string; updated_idx: string | null; deliver_count: number | null }>(
      `SELECT e.action, e.at, t.sync_id, t.collection_id, t.updated_idx, t.deliver_count
       FROM consumer_message_events e
       JOIN emt_messages x ON x.stream_id = 'consumer-' || e.consumer_id || '-messages' AND x.stream_position = e.stream_position
         AND x.partition = 'emt:default' AND NOT x.is_archived
       CROSS JOIN LATERAL syncline_history_messages(x.message_data) t
       WHERE e.consumer_id = $1 AND e.upstream_id_hashes @> ARRAY[hashtextextended($2, 0)] AND t.upstream_id = $2
       ORDER BY e.at, e.stream_position, t.n`,
      [consumer.id, upstreamId],
    ),
  ]);
  return {
    upstream_id: upstreamId,
    leases: leases.rows.map((l) => ({
      sync_id: l.sync_id,
      collection_id: l.collection_id,
      updated_idx: Number(l.updated_idx),
      deliver_count: l.deliver_count,
      deadline: l.deadline.toISOString(),
      dead: l.dead,
      dead_at: l.dead_at?.toISOString() ?? null,
    })),
    history: history.rows.map((h) => ({
      action: h.action,
      at: h.at.toISOString(),
      sync_id: h.sync_id,
      collection_id: h.collection_id,
      updated_idx: h.updated_idx === null ? null : Number(h.updated_idx),
      deliver_count: h.deliver_count,
    })),
  };
}
