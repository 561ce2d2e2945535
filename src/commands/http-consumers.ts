import { z } from 'zod';
import { httpConsumerDecider } from '../domain/http-consumers/decide.ts';
import type { HttpConsumerSettings } from '../domain/http-consumers/events.ts';
import { findHttpConsumer } from '../consumers/http/find-consumer.ts';
import { ConflictError } from '../errors.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { commandHandler } from './handle.ts';
import { assertQuotaRoom, createWithinQuota } from './account-quotas.ts';
import { startOptions } from '../domain/consumer-selection.ts';
import {
  messageInputFields,
  messageShapeOfInput,
  resolveSelection,
  resolveStartIdx,
  selectionInputFields,
  startPositionInputFields,
  startPositionOf,
  type ResetInput,
} from './consumer-selection.ts';
import type { EventAction, MessageKind } from '../domain/change-events.ts';

const handleConsumer = commandHandler('consumer', httpConsumerDecider);

const consumerFields = {
  name: z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "-" and "." only'),
  ackWaitMs: z.number().int().min(100).max(12 * 3600 * 1000),
  maxDeliver: z.number().int().min(-1).max(1_000_000).refine((n) => n !== 0, 'max_deliver is -1 (unlimited) or at least 1'),
  maxAckPending: z.number().int().min(1).max(1_000_000),
};

export const createHttpConsumerInput = z
  .object({
    name: consumerFields.name,
    ...selectionInputFields,
    ...startPositionInputFields,
    ...messageInputFields,
    ackWaitMs: consumerFields.ackWaitMs.default(60_000),
    maxDeliver: consumerFields.maxDeliver.default(-1),
    maxAckPending: consumerFields.maxAckPending.default(10_000),
  })
  .strict();
export type CreateHttpConsumerInput = z.infer<typeof createHttpConsumerInput>;

/** The selection and the start are fixed at creation (a reset moves the start). */
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

export async function createHttpConsumer(ctx: AppContext, principal: Principal, input: CreateHttpConsumerInput): Promise<string> {
  const start = startPositionOf(input);
  const shape = messageShapeOfInput(input);
  const selection = await resolveSelection(ctx, principal, input);
  await assertQuotaRoom(ctx, principal, 'consumers');
  const taken = await ctx.prisma.httpConsumer.findUnique({ where: { accountId_name: { accountId: principal.accountId, name: input.name } } });
  if (taken) throw new ConflictError('consumer_name_taken', `a consumer named "${input.name}" already exists`);
  const startIdx = await resolveStartIdx(ctx, selection.streamId, start);
  const consumerId = ctx.newId();
  const settings: HttpConsumerSettings = {
    name: input.name,
    syncId: selection.syncId,
    collectionIds: selection.collectionIds,
    provider: selection.provider,
    deliverPolicy: start.deliverPolicy,
    ackWaitMs: input.ackWaitMs,
    maxDeliver: input.maxDeliver,
    maxAckPending: input.maxAckPending,
    ...shape,
  };
  await createWithinQuota(ctx, principal, 'consumers', () =>
    handleConsumer(ctx.eventStore, consumerId, {
      type: 'CreateHttpConsumer',
      data: { consumerId, accountId: principal.accountId, streamId: selection.streamId, startIdx: String(startIdx), ...settings, ...startOptions(start) },
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
      provider: current.provider,
      deliverPolicy: current.deliverPolicy as HttpConsumerSettings['deliverPolicy'],
      ackWaitMs: patch.ackWaitMs ?? current.ackWaitMs,
      maxDeliver: patch.maxDeliver ?? current.maxDeliver,
      maxAckPending: patch.maxAckPending ?? current.maxAckPending,
      messageKind: current.messageKind as MessageKind,
      eventActions: current.eventActions.length > 0 ? (current.eventActions as EventAction[]) : null,
      eventChangedFields: current.eventChangedFields.length > 0 ? current.eventChangedFields : null,
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
 * `POST /v1/http-consumers/{id}/reset`: delivery starts again at the position the start names,
 * back (records delivered again) or ahead (skipped); the leases in flight are dropped.
 */
export async function resetHttpConsumer(ctx: AppContext, principal: Principal, id: string, input: ResetInput): Promise<void> {
  const start = startPositionOf(input);
  const current = await findHttpConsumer(ctx, principal, id);
  const startIdx = await resolveStartIdx(ctx, current.streamId, start);
  await handleConsumer(ctx.eventStore, current.id, {
    type: 'ResetHttpConsumer',
    data: { consumerId: current.id, accountId: principal.accountId, ...start, startIdx: String(startIdx) },
    metadata: { now: ctx.now() },
  });
}
