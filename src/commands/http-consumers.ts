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
