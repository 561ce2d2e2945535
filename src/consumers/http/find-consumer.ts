import type { AppContext, Principal } from '../../app-context.ts';
import { statement } from '../../db/prepared-statements.ts';
import { NotFoundError } from '../../errors.ts';
import type { HttpConsumer } from '../../generated/prisma/client.ts';
import { isUuid } from '../../ids.ts';

/** By id, or by name (the compatibility API addresses consumers either way). */
export async function findHttpConsumer(ctx: AppContext, principal: Principal, idOrName: string): Promise<HttpConsumer> {
  const isId = isUuid(idOrName);
  if (!isId && idOrName.includes('\u0000')) throw new NotFoundError('http consumer', idOrName); // no name can hold NUL
  // Every /next and /ack starts here: one plain statement rather than Prisma's query engine.
  const { rows } = await ctx.pool.query<ConsumerRow>(
    statement(
      ctx.pool,
      isId ? 'syncline_http_consumer_by_id' : 'syncline_http_consumer_by_name',
      `SELECT id, account_id, stream_id, sync_id, collection_ids, provider, name, deliver_policy, opt_start_time, opt_start_idx, reset_count, ack_wait_ms, max_deliver,
         max_ack_pending, created_at, updated_at, message_kind, event_actions, event_changed_fields
       FROM http_consumers WHERE account_id = $1 AND ${isId ? 'id = $2::uuid' : 'name = $2'}`,
      [principal.accountId, isId ? idOrName.toLowerCase() : idOrName],
    ),
  );
  const row = rows[0];
  if (!row) throw new NotFoundError('http consumer', idOrName);
  return {
    id: row.id,
    accountId: row.account_id,
    streamId: row.stream_id,
    syncId: row.sync_id,
    collectionIds: row.collection_ids ?? [],
    provider: row.provider,
    name: row.name,
    deliverPolicy: row.deliver_policy,
    optStartTime: row.opt_start_time,
    optStartIdx: row.opt_start_idx === null ? null : BigInt(row.opt_start_idx),
    resetCount: row.reset_count,
    ackWaitMs: row.ack_wait_ms,
    maxDeliver: row.max_deliver,
    maxAckPending: row.max_ack_pending,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    messageKind: row.message_kind,
    eventActions: row.event_actions ?? [],
    eventChangedFields: row.event_changed_fields ?? [],
  };
}

interface ConsumerRow {
  id: string;
  account_id: string;
  stream_id: string;
  sync_id: string | null;
  collection_ids: string[] | null;
  provider: string | null;
  name: string;
  deliver_policy: string;
  opt_start_time: Date | null;
  /** bigint: a string or a BigInt, depending on the pg type parsers installed. */
  opt_start_idx: string | bigint | null;
  reset_count: number;
  ack_wait_ms: number;
  max_deliver: number;
  max_ack_pending: number;
  created_at: Date;
  updated_at: Date;
  message_kind: string;
  event_actions: string[] | null;
  event_changed_fields: string[] | null;
}
