import { z } from 'zod';
import { httpConsumerDecider } from '../domain/http-consumers/decide.ts';
import type { HttpConsumerSettings } from '../domain/http-consumers/events.ts';
import { findHttpConsumer } from '../consumers/http/find-consumer.ts';
import { ConflictError, UnprocessableError } from '../errors.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { commandHandler } from './handle.ts';
import { assertQuotaRoom, createWithinQuota } from './account-quotas.ts';

const handleConsumer = commandHandler('consumer', httpConsumerDecider);

const consumerFields = {
  name: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "-" and "." only'),
  sync_id: z.string().uuid().nullable(),
  collection_ids: z.array(z.string().min(1).max(100)).min(1).max(100).nullable(),
  deliver_policy: z.enum(['all', 'new']),
  ack_wait_ms: z.number().int().min(100).max(12 * 3600 * 1000),
  max_deliver: z.number().int().min(-1).max(1_000_000).refine((n) => n !== 0, 'max_deliver is -1 (unlimited) or at least 1'),
  max_ack_pending: z.number().int().min(1).max(1_000_000),
};

export const createHttpConsumerInput = z
  .object({
    name: consumerFields.name,
    stream_id: z.string().uuid().nullish(),
    sync_id: consumerFields.sync_id.optional(),
    collection_ids: consumerFields.collection_ids.optional(),
    deliver_policy: consumerFields.deliver_policy.default('all'),
    ack_wait_ms: consumerFields.ack_wait_ms.default(60_000),
    max_deliver: consumerFields.max_deliver.default(-1),
    max_ack_pending: consumerFields.max_ack_pending.default(10_000),
  })
  .strict();

export const updateHttpConsumerInput = z
  .object({
    name: consumerFields.name,
    ack_wait_ms: consumerFields.ack_wait_ms,
    max_deliver: consumerFields.max_deliver,
    max_ack_pending: consumerFields.max_ack_pending,
  })
  .partial()
  .strict();

async function checkTargets(ctx: AppContext, principal: Principal, input: z.infer<typeof createHttpConsumerInput>): Promise<{ streamId: string }> {
  let streamId = input.stream_id ?? null;
  if (input.sync_id) {
    const sync = await ctx.prisma.sync.findFirst({ where: { id: input.sync_id, accountId: principal.accountId } });
    if (!sync) throw new UnprocessableError('sync_not_found', `sync ${input.sync_id} not found`, [{ path: 'sync_id', message: 'not found' }]);
    if (streamId && streamId !== sync.streamId) throw new UnprocessableError('sync_not_in_stream', 'the sync belongs to another stream');
    streamId = sync.streamId;
    const unknown = (input.collection_ids ?? []).filter((c) => !sync.collectionIds.includes(c));
    if (unknown.length > 0) throw new UnprocessableError('unknown_collection', `the sync does not sync ${unknown.join(', ')}`);
  }
  if (!streamId) {
    const first = await ctx.prisma.stream.findFirst({ where: { accountId: principal.accountId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    if (!first) throw new UnprocessableError('stream_required', 'give stream_id (the account has no stream yet)', [{ path: 'stream_id', message: 'required' }]);
    streamId = first.id;
  }
  const stream = await ctx.prisma.stream.findFirst({ where: { id: streamId, accountId: principal.accountId } });
  if (!stream) throw new UnprocessableError('stream_not_found', `stream ${streamId} not found`, [{ path: 'stream_id', message: 'not found' }]);
  return { streamId };
}

export async function createHttpConsumer(ctx: AppContext, principal: Principal, input: z.infer<typeof createHttpConsumerInput>): Promise<string> {
  const { streamId } = await checkTargets(ctx, principal, input);
  await assertQuotaRoom(ctx, principal, 'consumers');
  const taken = await ctx.prisma.httpConsumer.findUnique({ where: { accountId_name: { accountId: principal.accountId, name: input.name } } });
  if (taken) throw new ConflictError('consumer_name_taken', `a consumer named "${input.name}" already exists`);
  const head = input.deliver_policy === 'new' ? await ctx.prisma.streamHead.findUnique({ where: { streamId } }) : null;
  const consumerId = ctx.newId();
  const settings: HttpConsumerSettings = {
    name: input.name,
    syncId: input.sync_id ?? null,
    collectionIds: input.collection_ids ?? null,
    deliverPolicy: input.deliver_policy,
    ackWaitMs: input.ack_wait_ms,
    maxDeliver: input.max_deliver,
    maxAckPending: input.max_ack_pending,
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

export async function updateHttpConsumer(ctx: AppContext, principal: Principal, id: string, patch: z.infer<typeof updateHttpConsumerInput>) {
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
      ackWaitMs: patch.ack_wait_ms ?? current.ackWaitMs,
      maxDeliver: patch.max_deliver ?? current.maxDeliver,
      maxAckPending: patch.max_ack_pending ?? current.maxAckPending,
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
