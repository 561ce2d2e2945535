import { resetInput } from '../commands/consumer-selection.ts';
import {
  createHttpConsumer,
  createHttpConsumerInput,
  deleteHttpConsumer,
  resetHttpConsumer,
  updateHttpConsumer,
  updateHttpConsumerInput,
} from '../commands/http-consumers.ts';
import { ack, nack } from '../consumers/http/ack.ts';
import type { Delivered } from '../consumers/http/delivery.ts';
import { ackInput, nackInput, nextInput } from '../consumers/http/delivery-input.ts';
import { findHttpConsumer } from '../consumers/http/find-consumer.ts';
import { receive } from '../consumers/http/receive.ts';
import { parseInput } from '../commands/parse-input.ts';
import { recordVersionOfJson, type RecordVersion, type RecordView } from '../queries/records.ts';
import { builder, requirePrincipal } from './builder.ts';
import { ConsumerResetInput } from './consumer-reset.ts';
import { idInput, rawId, requireId } from './ids.ts';
import { withoutNulls, withoutUndefined } from './input.ts';

builder.prismaNode('HttpConsumer', {
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, accountId: requirePrincipal(ctx).accountId }),
  fields: (t) => ({
    uuid: t.exposeString('id'),
    name: t.exposeString('name'),
    streamId: t.exposeString('streamId'),
    syncId: t.exposeString('syncId', { nullable: true }),
    collectionIds: t.stringList({ nullable: true, resolve: (c) => (c.collectionIds.length > 0 ? c.collectionIds : null) }),
    provider: t.exposeString('provider', { nullable: true }),
    deliverPolicy: t.exposeString('deliverPolicy', { description: "all | new | by_start_time | by_start_idx: the last reset's, else the creation's" }),
    optStartTime: t.expose('optStartTime', { type: 'DateTime', nullable: true }),
    optStartIdx: t.string({ nullable: true, resolve: (c) => (c.optStartIdx === null ? null : String(c.optStartIdx)) }),
    resetCount: t.exposeInt('resetCount'),
    ackWaitMs: t.exposeInt('ackWaitMs'),
    maxDeliver: t.exposeInt('maxDeliver'),
    maxAckPending: t.exposeInt('maxAckPending'),
    messageKind: t.exposeString('messageKind', { description: "record | event: each record's latest version, or every version as a change event" }),
    actions: t.stringList({ nullable: true, description: 'change events of these actions only', resolve: (c) => (c.eventActions.length > 0 ? c.eventActions : null) }),
    changedFields: t.stringList({ nullable: true, description: 'updates that changed one of these data fields only', resolve: (c) => (c.eventChangedFields.length > 0 ? c.eventChangedFields : null) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    numPending: t.int({ resolve: async (c, _args, ctx) => (await ctx.loaders.httpConsumerCounts.load(c)).numPending }),
    numAckPending: t.int({ resolve: async (c, _args, ctx) => (await ctx.loaders.httpConsumerCounts.load(c)).numAckPending }),
    numDead: t.int({ resolve: async (c, _args, ctx) => (await ctx.loaders.httpConsumerCounts.load(c)).numDead }),
  }),
});

const StreamRecord = builder.objectRef<RecordVersion>('StreamRecord').implement({
  description: 'A record version as consumers receive it (DESIGN.md §2).',
  fields: (t) => ({
    syncId: t.exposeString('syncId'),
    collectionId: t.exposeString('collectionId'),
    upstreamId: t.exposeString('upstreamId'),
    updatedIdx: t.exposeString('updatedIdx'),
    upstreamCreatedAt: t.exposeString('upstreamCreatedAt', { nullable: true }),
    upstreamUpdatedAt: t.exposeString('upstreamUpdatedAt', { nullable: true }),
    deleted: t.exposeBoolean('deleted'),
    data: t.field({ type: 'JSON', resolve: (r) => r.data }),
  }),
});

/** A leased message: its ack token, and its record from the JSON PostgreSQL built for it. */
type MessageJson = { record: RecordView; action?: string; changes?: Record<string, unknown> | null; occurred_at?: string };

/** A leased message: its ack token, and its record (and, for a consumer of change events, the event) from the JSON PostgreSQL built for it. */
const Message = builder.objectRef<Delivered>('Message').implement({
  fields: (t) => ({
    ackToken: t.exposeString('ackToken'),
    record: t.field({ type: StreamRecord, resolve: (d) => recordVersionOfJson((JSON.parse(d.json) as MessageJson).record) }),
    action: t.string({ nullable: true, description: 'change events: inserted | updated | deleted', resolve: (d) => (JSON.parse(d.json) as MessageJson).action ?? null }),
    changes: t.field({ type: 'JSON', nullable: true, description: 'change events: the previous values of the data fields an update changed', resolve: (d) => (JSON.parse(d.json) as MessageJson).changes ?? null }),
    occurredAt: t.string({ nullable: true, description: 'change events: when Syncline recorded the version', resolve: (d) => (JSON.parse(d.json) as MessageJson).occurred_at ?? null }),
  }),
});

const AckResult = builder.objectRef<{ count: number; invalid: string[] }>('AckResult').implement({
  fields: (t) => ({
    count: t.exposeInt('count'),
    invalidAckTokens: t.exposeStringList('invalid'),
  }),
});

const HttpConsumerInput = builder.inputType('HttpConsumerInput', {
  fields: (t) => ({
    name: t.string(),
    streamId: t.id(),
    syncId: t.id(),
    collectionIds: t.stringList(),
    provider: t.string(),
    deliverPolicy: t.string(),
    optStartTime: t.string(),
    optStartIdx: t.string(),
    ackWaitMs: t.int(),
    maxDeliver: t.int(),
    maxAckPending: t.int(),
    messageKind: t.string({ description: 'record (default) | event' }),
    actions: t.stringList(),
    changedFields: t.stringList(),
  }),
});

/** The command's input: ids as uuids, fields given as null left out (but a null name, which the command refuses). */
const consumerInput = ({ name, ...input }: typeof HttpConsumerInput.$inferInput) =>
  withoutUndefined({ name, ...withoutNulls({ ...input, streamId: idInput(input.streamId), syncId: idInput(input.syncId) }) });

builder.queryFields((t) => ({
  httpConsumers: t.prismaConnection({
    type: 'HttpConsumer',
    cursor: 'id',
    resolve: (query, _root, _args, ctx) =>
      ctx.app.prisma.httpConsumer.findMany({ ...query, where: { accountId: requirePrincipal(ctx).accountId }, orderBy: { id: 'asc' } }),
  }),
  httpConsumer: t.prismaField({
    type: 'HttpConsumer',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = rawId(args.id);
      return id ? ctx.app.prisma.httpConsumer.findFirst({ ...query, where: { id, accountId: requirePrincipal(ctx).accountId } }) : null;
    },
  }),
}));

builder.mutationFields((t) => ({
  createHttpConsumer: t.prismaField({
    type: 'HttpConsumer',
    args: { input: t.arg({ type: HttpConsumerInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = await createHttpConsumer(ctx.app, requirePrincipal(ctx), parseInput(createHttpConsumerInput, consumerInput(args.input), 'input'));
      return ctx.app.prisma.httpConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  updateHttpConsumer: t.prismaField({
    type: 'HttpConsumer',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: HttpConsumerInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'http consumer');
      await updateHttpConsumer(ctx.app, requirePrincipal(ctx), id, parseInput(updateHttpConsumerInput, consumerInput(args.input), 'input'));
      return ctx.app.prisma.httpConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  resetHttpConsumer: t.prismaField({
    type: 'HttpConsumer',
    description: 'Delivery starts again at the position the input names: back, records are delivered again; ahead, skipped. Messages in flight are dropped.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: ConsumerResetInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'http consumer');
      await resetHttpConsumer(ctx.app, requirePrincipal(ctx), id, parseInput(resetInput, withoutNulls(args.input), 'input'));
      return ctx.app.prisma.httpConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  deleteHttpConsumer: t.id({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = requireId(args.id, 'http consumer');
      await deleteHttpConsumer(ctx.app, requirePrincipal(ctx), id);
      return id;
    },
  }),
  consumeNext: t.field({
    type: [Message],
    args: { consumerId: t.arg.id({ required: true }), batchSize: t.arg.int(), waitFor: t.arg.int() },
    resolve: async (_root, args, ctx) => {
      const input = parseInput(nextInput, { batch_size: args.batchSize ?? 1, wait_for: args.waitFor ?? 0 }, 'input');
      const consumer = await findHttpConsumer(ctx.app, requirePrincipal(ctx), requireId(args.consumerId, 'http consumer'));
      // The request's byte budget, shared with its other fields (answer-budget.ts): once spent, no message is leased.
      const delivered = await ctx.answerBudget.take(async (left) => {
        if (left <= 0) return { value: [], bytes: 0 };
        const result = await receive(ctx.app, consumer, input.batch_size, input.wait_for ?? 0, left);
        return { value: result.delivered, bytes: result.delivered.reduce((sum, d) => sum + d.json.length, 0) };
      });
      return delivered;
    },
  }),
  ackMessages: t.field({
    type: AckResult,
    args: { consumerId: t.arg.id({ required: true }), ackTokens: t.arg.stringList({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const input = parseInput(ackInput, { ack_tokens: args.ackTokens }, 'input');
      const consumer = await findHttpConsumer(ctx.app, requirePrincipal(ctx), requireId(args.consumerId, 'http consumer'));
      const result = await ack(ctx.app, consumer, input.ack_tokens);
      return { count: result.acked.length, invalid: result.invalid };
    },
  }),
  nackMessages: t.field({
    type: AckResult,
    args: { consumerId: t.arg.id({ required: true }), ackTokens: t.arg.stringList({ required: true }), delayMs: t.arg.int() },
    resolve: async (_root, args, ctx) => {
      const input = parseInput(nackInput, { ack_tokens: args.ackTokens, delay_ms: args.delayMs ?? 0 }, 'input');
      const consumer = await findHttpConsumer(ctx.app, requirePrincipal(ctx), requireId(args.consumerId, 'http consumer'));
      const result = await nack(ctx.app, consumer, input.ack_tokens, input.delay_ms);
      return { count: result.acked.length, invalid: result.invalid };
    },
  }),
}));

export { StreamRecord };
