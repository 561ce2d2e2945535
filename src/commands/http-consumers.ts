import { z } from 'zod';
import { isUuid } from '../ids.ts';
import { httpConsumerDecider } from '../domain/http-consumers/decide.ts';
import type { HttpConsumerSettings } from '../domain/http-consumers/events.ts';
import { ackMessages, nackMessages, nextMessages, type AckResult, type DeliveryConsumer, type NextResult } from '../consumers/delivery.ts';
import { messageGroups } from '../consumers/message-groups.ts';
import { ConflictError, NotFoundError, UnprocessableError } from '../errors.ts';
import type { HttpConsumer } from '../generated/prisma/client.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { commandHandler } from './handle.ts';
import { assertQuotaRoom, createWithinQuota } from './account-quotas.ts';
import { statement } from '../db/prepared-statements.ts';

const handleConsumer = commandHandler('consumer', httpConsumerDecider);

const consumerFields = {
  name: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "-" and "." only'),
  syncId: z.string().uuid().nullable(),
  collectionIds: z.array(z.string().min(1).max(100)).min(1).max(100).nullable(),
  deliverPolicy: z.enum(['all', 'new']),
  ackWaitMs: z.number().int().min(100).max(12 * 3600 * 1000),
  maxDeliver: z.number().int().min(-1).max(1_000_000).refine((n) => n !== 0, 'max_deliver is -1 (unlimited) or at least 1'),
  maxAckPending: z.number().int().min(1).max(1_000_000),
};

export const createHttpConsumerInput = z
  .object({
    name: consumerFields.name,
    streamId: z.string().uuid().nullish(),
    syncId: consumerFields.syncId.optional(),
    collectionIds: consumerFields.collectionIds.optional(),
    deliverPolicy: consumerFields.deliverPolicy.default('all'),
    ackWaitMs: consumerFields.ackWaitMs.default(60_000),
    maxDeliver: consumerFields.maxDeliver.default(-1),
    maxAckPending: consumerFields.maxAckPending.default(10_000),
  })
  .strict();
export type CreateHttpConsumerInput = z.infer<typeof createHttpConsumerInput>;

export const updateHttpConsumerInput = z
  .object({
    name: consumerFields.name,
    ackWaitMs: consumerFields.ackWaitMs,
    maxDeliver: consumerFields.maxDeliver,
    maxAckPending: consumerFields.maxAckPending,
  })
  .partial()
  .strict();
export type UpdateHttpConsumerInput = z.infer<typeof updateHttpConsumerInput>;

/** `wait_for` (ms) long-polls; `wait_ms` is accepted as an alias. */
export const nextInput = z
  .object({
    batch_size: z.coerce.number().int().min(1).max(1000).default(1),
    wait_for: z.coerce.number().int().min(0).max(30_000).optional(),
    wait_ms: z.coerce.number().int().min(0).max(30_000).optional(),
  })
  .strict();

export const ackInput = z.object({ ack_tokens: z.array(z.string().min(1).max(100)).min(1).max(1000) }).strict();
export const nackInput = ackInput.extend({ delay_ms: z.number().int().min(0).max(12 * 3600 * 1000).default(0) }).strict();

export const toDeliveryConsumer = (c: HttpConsumer): DeliveryConsumer => ({
  id: c.id,
  streamId: c.streamId,
  syncId: c.syncId,
  collectionIds: c.collectionIds.length > 0 ? c.collectionIds : null,
  ackWaitMs: c.ackWaitMs,
  maxDeliver: c.maxDeliver,
  maxAckPending: c.maxAckPending,
});

/** By id, or by name (the compatibility API addresses consumers either way). */
export async function findHttpConsumer(ctx: AppContext, principal: Principal, idOrName: string): Promise<HttpConsumer> {
  const isId = isUuid(idOrName);
  if (!isId && idOrName.includes('\u0000')) throw new NotFoundError('http consumer', idOrName); // no name can hold NUL
  // Every /next and /ack starts here: one plain statement rather than Prisma's query engine.
  const { rows } = await ctx.pool.query<ConsumerRow>(
    statement(
      ctx.pool,
      isId ? 'syncline_http_consumer_by_id' : 'syncline_http_consumer_by_name',
      `SELECT id, account_id, stream_id, sync_id, collection_ids, name, deliver_policy, ack_wait_ms, max_deliver, max_ack_pending, created_at, updated_at
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
    name: row.name,
    deliverPolicy: row.deliver_policy,
    ackWaitMs: row.ack_wait_ms,
    maxDeliver: row.max_deliver,
    maxAckPending: row.max_ack_pending,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

interface ConsumerRow {
  id: string;
  account_id: string;
  stream_id: string;
  sync_id: string | null;
  collection_ids: string[] | null;
  name: string;
  deliver_policy: string;
  ack_wait_ms: number;
  max_deliver: number;
  max_ack_pending: number;
  created_at: Date;
  updated_at: Date;
}

async function checkTargets(ctx: AppContext, principal: Principal, input: CreateHttpConsumerInput): Promise<{ streamId: string }> {
  let streamId = input.streamId ?? null;
  if (input.syncId) {
    const sync = await ctx.prisma.sync.findFirst({ where: { id: input.syncId, accountId: principal.accountId } });
    if (!sync) throw new UnprocessableError('sync_not_found', `sync ${input.syncId} not found`, [{ path: 'syncId', message: 'not found' }]);
    if (streamId && streamId !== sync.streamId) throw new UnprocessableError('sync_not_in_stream', 'the sync belongs to another stream');
    streamId = sync.streamId;
    const unknown = (input.collectionIds ?? []).filter((c) => !sync.collectionIds.includes(c));
    if (unknown.length > 0) throw new UnprocessableError('unknown_collection', `the sync does not sync ${unknown.join(', ')}`);
  }
  if (!streamId) {
    const first = await ctx.prisma.stream.findFirst({ where: { accountId: principal.accountId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    if (!first) throw new UnprocessableError('stream_required', 'give stream_id (the account has no stream yet)', [{ path: 'streamId', message: 'required' }]);
    streamId = first.id;
  }
  const stream = await ctx.prisma.stream.findFirst({ where: { id: streamId, accountId: principal.accountId } });
  if (!stream) throw new UnprocessableError('stream_not_found', `stream ${streamId} not found`, [{ path: 'streamId', message: 'not found' }]);
  return { streamId };
}

export async function createHttpConsumer(ctx: AppContext, principal: Principal, input: CreateHttpConsumerInput): Promise<string> {
  const { streamId } = await checkTargets(ctx, principal, input);
  await assertQuotaRoom(ctx, principal, 'consumers');
  const taken = await ctx.prisma.httpConsumer.findUnique({ where: { accountId_name: { accountId: principal.accountId, name: input.name } } });
  if (taken) throw new ConflictError('consumer_name_taken', `a consumer named "${input.name}" already exists`);
  const head = input.deliverPolicy === 'new' ? await ctx.prisma.streamHead.findUnique({ where: { streamId } }) : null;
  const consumerId = ctx.newId();
  const settings: HttpConsumerSettings = {
    name: input.name,
    syncId: input.syncId ?? null,
    collectionIds: input.collectionIds ?? null,
    deliverPolicy: input.deliverPolicy,
    ackWaitMs: input.ackWaitMs,
    maxDeliver: input.maxDeliver,
    maxAckPending: input.maxAckPending,
  };
  await createWithinQuota(ctx, principal, 'consumers', () =>
    handleConsumer(ctx.eventStore, consumerId, {
      type: 'CreateHttpConsumer',
      data: { consumerId, accountId: principal.accountId, streamId, startIdx: String(head?.lastIdx ?? 0n), ...settings },
      metadata: { now: ctx.now() },
    }),
  );
  return consumerId;
}

export async function updateHttpConsumer(ctx: AppContext, principal: Principal, id: string, patch: UpdateHttpConsumerInput) {
  const current = await findHttpConsumer(ctx, principal, id);
  if (patch.name && patch.name !== current.name) {
    const taken = await ctx.prisma.httpConsumer.findUnique({ where: { accountId_name: { accountId: principal.accountId, name: patch.name } } });
    if (taken) throw new ConflictError('consumer_name_taken', `a consumer named "${patch.name}" already exists`);
  }
  await handleConsumer(ctx.eventStore, current.id, {
    type: 'UpdateHttpConsumer',
    data: {
      consumerId: current.id,
      accountId: principal.accountId,
      name: patch.name ?? current.name,
      syncId: current.syncId,
      collectionIds: current.collectionIds.length > 0 ? current.collectionIds : null,
      deliverPolicy: current.deliverPolicy as HttpConsumerSettings['deliverPolicy'],
      ackWaitMs: patch.ackWaitMs ?? current.ackWaitMs,
      maxDeliver: patch.maxDeliver ?? current.maxDeliver,
      maxAckPending: patch.maxAckPending ?? current.maxAckPending,
    },
    metadata: { now: ctx.now() },
  });
}

export async function deleteHttpConsumer(ctx: AppContext, principal: Principal, id: string): Promise<void> {
  const current = await findHttpConsumer(ctx, principal, id);
  await handleConsumer(ctx.eventStore, current.id, {
    type: 'DeleteHttpConsumer',
    data: { consumerId: current.id, accountId: principal.accountId },
    metadata: { now: ctx.now() },
  });
}

/**
 * Leases a batch of at most `batchSize` messages and, past the first, `maxBytes` of records
 * (migration 0043); with `waitMs` > 0 and nothing to deliver, waits until records arrive in the
 * stream or a lease falls due, up to `waitMs`.
 */
export async function receive(ctx: AppContext, consumer: HttpConsumer, batchSize: number, waitMs: number, maxBytes = ctx.config.SYNCLINE_MAX_ANSWER_BYTES): Promise<NextResult> {
  const delivery = toDeliveryConsumer(consumer);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const result = await nextMessages(ctx.pool, delivery, batchSize, maxBytes);
    const at = ctx.now().toISOString();
    const dead = messageGroups(result.dead, { deliverCounts: (m) => m.deliverCount });
    ctx.history.record(consumer.id, { type: 'MessagesDead', data: { consumerId: consumer.id, groups: dead, at } });
    if (result.delivered.length > 0 || Date.now() >= deadline) {
      const delivered = messageGroups(result.delivered, { ackTokens: (m) => m.ackToken, updatedIdx: (m) => m.updatedIdx, deliverCounts: (m) => m.deliverCount });
      ctx.history.record(consumer.id, { type: 'MessagesLeased', data: { consumerId: consumer.id, groups: delivered, at } });
      return result;
    }
    await waitForRecords(ctx, consumer.streamId, Math.min(deadline - Date.now(), 250));
  }
}

function waitForRecords(ctx: AppContext, streamId: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, Math.max(ms, 0));
    const off = ctx.bus.on('records', (message) => {
      if (message.streamId === streamId) done();
    });
  });
}

export async function ack(ctx: AppContext, consumer: HttpConsumer, tokens: string[]): Promise<AckResult> {
  const result = await ackMessages(ctx.pool, consumer, validTokens(tokens));
  const acked = messageGroups(result.acked, { ackTokens: (m) => m.ackToken });
  ctx.history.record(consumer.id, { type: 'MessagesAcked', data: { consumerId: consumer.id, groups: acked, at: ctx.now().toISOString() } });
  return { acked: result.acked, invalid: [...result.invalid, ...tokens.filter((t) => !isUuidToken(t))] };
}

export async function nack(ctx: AppContext, consumer: HttpConsumer, tokens: string[], delayMs: number): Promise<AckResult> {
  const result = await nackMessages(ctx.pool, consumer.id, validTokens(tokens), delayMs);
  ctx.history.record(consumer.id, {
    type: 'MessagesNacked',
    data: { consumerId: consumer.id, groups: messageGroups(result.acked, { ackTokens: (m) => m.ackToken }), delayMs, at: ctx.now().toISOString() },
  });
  return { acked: result.acked, invalid: [...result.invalid, ...tokens.filter((t) => !isUuidToken(t))] };
}

const isUuidToken = (token: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(token);
/** Tokens that cannot be ours are reported as invalid without reaching the database. */
const validTokens = (tokens: string[]) => tokens.filter(isUuidToken);
