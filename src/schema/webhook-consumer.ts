import { resetInput } from '../commands/consumer-selection.ts';
import { parseInput } from '../commands/parse-input.ts';
import {
  createWebhookConsumer,
  createWebhookConsumerInput,
  deleteWebhookConsumer,
  resetWebhookConsumer,
  rotateWebhookConsumerSecret,
  rotateWebhookSecretInput,
  updateWebhookConsumer,
  updateWebhookConsumerInput,
} from '../commands/webhook-consumers.ts';
import { redeliverDeadLettersInput, redeliverWebhookDeadLetters } from '../commands/webhook-redelivery.ts';
import { listSinkDeadLetters } from '../consumers/sinks/dead-letters.ts';
import { listSinkDeliveries } from '../consumers/sinks/deliveries.ts';
import { sinkStatusInputOf } from '../consumers/sinks/consumer-row.ts';
import { builder, requirePrincipal } from './builder.ts';
import { ConsumerResetInput } from './consumer-reset.ts';
import { idInput, rawId, requireId } from './ids.ts';
import { withoutNulls, withoutUndefined } from './input.ts';
import { deadLetterPageType, deliveryPageType, logPage, SinkError } from './sink-logs.ts';

const WEBHOOK_ID = 'the batch: its webhook-id header, the same on every attempt at it';
const WebhookDeliveryPage = deliveryPageType('Webhook', 'webhookId', WEBHOOK_ID);
const WebhookDeadLetterPage = deadLetterPageType('Webhook', 'webhookId', `the last batch that held it (${WEBHOOK_ID})`);

builder.prismaNode('WebhookConsumer', {
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, accountId: requirePrincipal(ctx).accountId }),
  description: 'Pushes the records of a stream to a URL, signed as Standard Webhooks says (DESIGN.md §7b).',
  fields: (t) => ({
    uuid: t.exposeString('id'),
    name: t.exposeString('name'),
    streamId: t.exposeString('streamId'),
    syncId: t.exposeString('syncId', { nullable: true }),
    collectionIds: t.stringList({ nullable: true, resolve: (c) => (c.collectionIds.length > 0 ? c.collectionIds : null) }),
    provider: t.exposeString('provider', { nullable: true }),
    url: t.exposeString('url'),
    headers: t.field({ type: 'JSON', description: 'header name → a hint of its value (values are sealed)', resolve: (c) => c.headerHints }),
    secretHint: t.exposeString('secretHint', { description: 'a hint of the signing secret, which is shown only by create and rotate' }),
    previousSecretValidUntil: t.expose('previousSecretValidUntil', { type: 'DateTime', nullable: true }),
    batchSize: t.exposeInt('batchSize'),
    timeoutMs: t.exposeInt('timeoutMs'),
    maxDeliver: t.exposeInt('maxDeliver', { description: '-1: retry forever' }),
    retryWindowMs: t.float({ resolve: (c) => Number(c.retryWindowMs) }),
    maxInFlight: t.exposeInt('maxInFlight'),
    messageKind: t.exposeString('messageKind', { description: "record | event: each record's latest version, or every version as a change event" }),
    actions: t.stringList({ nullable: true, description: 'change events of these actions only', resolve: (c) => (c.eventActions.length > 0 ? c.eventActions : null) }),
    changedFields: t.stringList({ nullable: true, description: 'updates that changed one of these data fields only', resolve: (c) => (c.eventChangedFields.length > 0 ? c.eventChangedFields : null) }),
    deliverPolicy: t.exposeString('deliverPolicy', { description: 'the start position of the creation or the last reset' }),
    optStartTime: t.expose('optStartTime', { type: 'DateTime', nullable: true }),
    optStartIdx: t.string({ nullable: true, resolve: (c) => (c.optStartIdx === null ? null : String(c.optStartIdx)) }),
    resetCount: t.exposeInt('resetCount'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    state: t.string({
      description: "The sink runner's state (DESIGN.md §7b): connecting, connected, disconnected or error.",
      resolve: async (c, _args, ctx) => (await ctx.loaders.sinkStatus.load(sinkStatusInputOf(c))).state,
    }),
    lag: t.int({ description: 'Records still to deliver.', resolve: async (c, _args, ctx) => (await ctx.loaders.sinkStatus.load(sinkStatusInputOf(c))).lag }),
    lagSeconds: t.float({
      description: 'Seconds since the oldest record still to deliver was written; 0 when none.',
      resolve: async (c, _args, ctx) => (await ctx.loaders.sinkStatus.load(sinkStatusInputOf(c))).lagSeconds,
    }),
    lastDeliveredAt: t.string({ nullable: true, resolve: async (c, _args, ctx) => (await ctx.loaders.sinkStatus.load(sinkStatusInputOf(c))).lastDeliveredAt }),
    lastError: t.field({ type: SinkError, nullable: true, resolve: async (c, _args, ctx) => (await ctx.loaders.sinkStatus.load(sinkStatusInputOf(c))).lastError }),
    deliveries: t.field({
      type: WebhookDeliveryPage,
      description: 'The delivery log: the last 1,000 attempts, newest first.',
      args: { first: t.arg.int({ description: '1–1000, default 100' }), after: t.arg.string() },
      resolve: (c, args, ctx) => listSinkDeliveries(ctx.app, c.id, logPage(args)),
    }),
    deadLetters: t.field({
      type: WebhookDeadLetterPage,
      description: 'Records (change events: versions) whose batch ran out of attempts or of its retry window, newest first.',
      args: { first: t.arg.int({ description: '1–1000, default 100' }), after: t.arg.string() },
      resolve: (c, args, ctx) => listSinkDeadLetters(ctx.app, c.id, logPage(args)),
    }),
  }),
});

/** The create and rotate answers: the signing secret exists in clear only here. */
const WebhookConsumerWithSecret = builder.objectRef<{ id: string; secret: string }>('WebhookConsumerWithSecret').implement({
  fields: (t) => ({
    secret: t.exposeString('secret', { description: 'the signing secret (`whsec_…`), shown this once' }),
    webhookConsumer: t.prismaField({
      type: 'WebhookConsumer',
      resolve: (query, issued, _args, ctx) => ctx.app.prisma.webhookConsumer.findUniqueOrThrow({ ...query, where: { id: issued.id } }),
    }),
  }),
});

const startFields = {
  deliverPolicy: 'all | new | by_start_time | by_start_idx',
  optStartTime: 'ISO 8601, with by_start_time',
  optStartIdx: 'a stream position, with by_start_idx',
};

const WebhookConsumerInput = builder.inputType('WebhookConsumerInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    url: t.string({ required: true }),
    streamId: t.id(),
    syncId: t.id(),
    collectionIds: t.stringList(),
    provider: t.string(),
    deliverPolicy: t.string({ description: startFields.deliverPolicy }),
    optStartTime: t.string({ description: startFields.optStartTime }),
    optStartIdx: t.string({ description: startFields.optStartIdx }),
    messageKind: t.string({ description: 'record (default) | event; at creation' }),
    actions: t.stringList(),
    changedFields: t.stringList(),
    headers: t.field({ type: 'JSON', description: 'header name → value' }),
    batchSize: t.int(),
    timeoutMs: t.int(),
    maxDeliver: t.int(),
    retryWindowMs: t.float(),
    maxInFlight: t.int(),
  }),
});

const WebhookConsumerPatchInput = builder.inputType('WebhookConsumerPatchInput', {
  fields: (t) => ({
    name: t.string(),
    url: t.string(),
    headers: t.field({ type: 'JSON', description: 'merged by name: a value sets a header, null removes it; null for the whole field removes every header' }),
    batchSize: t.int(),
    timeoutMs: t.int(),
    maxDeliver: t.int(),
    retryWindowMs: t.float(),
    maxInFlight: t.int(),
  }),
});

builder.queryFields((t) => ({
  webhookConsumers: t.prismaConnection({
    type: 'WebhookConsumer',
    cursor: 'id',
    resolve: (query, _root, _args, ctx) =>
      ctx.app.prisma.webhookConsumer.findMany({ ...query, where: { accountId: requirePrincipal(ctx).accountId }, orderBy: { id: 'asc' } }),
  }),
  webhookConsumer: t.prismaField({
    type: 'WebhookConsumer',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = rawId(args.id);
      return id ? ctx.app.prisma.webhookConsumer.findFirst({ ...query, where: { id, accountId: requirePrincipal(ctx).accountId } }) : null;
    },
  }),
}));

builder.mutationFields((t) => ({
  createWebhookConsumer: t.field({
    type: WebhookConsumerWithSecret,
    args: { input: t.arg({ type: WebhookConsumerInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const input = withoutNulls({ ...args.input, streamId: idInput(args.input.streamId), syncId: idInput(args.input.syncId) });
      return createWebhookConsumer(ctx.app, requirePrincipal(ctx), parseInput(createWebhookConsumerInput, input, 'input'));
    },
  }),
  updateWebhookConsumer: t.prismaField({
    type: 'WebhookConsumer',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: WebhookConsumerPatchInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'webhook consumer');
      // `headers: null` removes every header; any other null leaves its setting as it is.
      const { headers, ...settings } = args.input;
      const patch = { ...withoutNulls(settings), ...withoutUndefined({ headers }) };
      await updateWebhookConsumer(ctx.app, requirePrincipal(ctx), id, parseInput(updateWebhookConsumerInput, patch, 'input'));
      return ctx.app.prisma.webhookConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  deleteWebhookConsumer: t.id({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = requireId(args.id, 'webhook consumer');
      await deleteWebhookConsumer(ctx.app, requirePrincipal(ctx), id);
      return id;
    },
  }),
  rotateWebhookConsumerSecret: t.field({
    type: WebhookConsumerWithSecret,
    args: {
      id: t.arg.id({ required: true }),
      previousSecretValidMs: t.arg.float({ description: 'the replaced secret keeps signing this long (default 24 hours; 0: stop at once)' }),
    },
    resolve: async (_root, args, ctx) => {
      const input = parseInput(rotateWebhookSecretInput, withoutNulls({ previousSecretValidMs: args.previousSecretValidMs }), 'input');
      return rotateWebhookConsumerSecret(ctx.app, requirePrincipal(ctx), requireId(args.id, 'webhook consumer'), input);
    },
  }),
  resetWebhookConsumer: t.prismaField({
    type: 'WebhookConsumer',
    description: 'Delivery starts again at the position the input names: back, records are delivered again; ahead, skipped.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: ConsumerResetInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'webhook consumer');
      await resetWebhookConsumer(ctx.app, requirePrincipal(ctx), id, parseInput(resetInput, withoutNulls(args.input), 'input'));
      return ctx.app.prisma.webhookConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  redeliverWebhookDeadLetters: t.int({
    description:
      'Delivers dead letters again (their records at their current versions) before the next batch: those of upstreamIds, or all of them (exactly one of the two). Answers how many were asked for.',
    args: { id: t.arg.id({ required: true }), upstreamIds: t.arg.stringList(), all: t.arg.boolean() },
    resolve: async (_root, args, ctx) => {
      const input = parseInput(redeliverDeadLettersInput, withoutNulls({ upstreamIds: args.upstreamIds, all: args.all }), 'input');
      return (await redeliverWebhookDeadLetters(ctx.app, requirePrincipal(ctx), requireId(args.id, 'webhook consumer'), input)).requested;
    },
  }),
}));
