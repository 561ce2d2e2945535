import { resetInput } from '../commands/consumer-selection.ts';
import {
  createNatsConsumer,
  createNatsConsumerInput,
  deleteNatsConsumer,
  resetNatsConsumer,
  updateNatsConsumer,
  updateNatsConsumerInput,
} from '../commands/nats-consumers.ts';
import type { NatsConsumer } from '../generated/prisma/client.ts';
import { parseInput } from '../commands/parse-input.ts';
import type { NatsSecrets } from '../domain/nats-consumers/events.ts';
import { builder, requirePrincipal } from './builder.ts';
import { ConsumerResetInput } from './consumer-reset.ts';
import { idInput, rawId, requireId } from './ids.ts';
import { withoutNulls, withoutUndefined } from './input.ts';

const hints = (c: NatsConsumer) => c.secretHints as NatsSecrets;

/** A consumer's server settings. Secrets are never exposed: redacted hints and has* flags only. */
const NatsServer = builder.objectRef<NatsConsumer>('NatsServer').implement({
  fields: (t) => ({
    host: t.exposeString('natsHost'),
    port: t.exposeInt('natsPort'),
    tls: t.exposeBoolean('natsTls'),
    user: t.exposeString('natsUser', { nullable: true }),
    jwt: t.string({ nullable: true, description: 'redacted', resolve: (c) => hints(c).jwt ?? null }),
    nkeySeed: t.string({ nullable: true, description: 'redacted', resolve: (c) => hints(c).nkey_seed ?? null }),
    password: t.string({ nullable: true, description: 'redacted', resolve: (c) => hints(c).password ?? null }),
    token: t.string({ nullable: true, description: 'redacted', resolve: (c) => hints(c).token ?? null }),
    hasJwt: t.boolean({ resolve: (c) => hints(c).jwt !== undefined }),
    hasNkeySeed: t.boolean({ resolve: (c) => hints(c).nkey_seed !== undefined }),
    hasPassword: t.boolean({ resolve: (c) => hints(c).password !== undefined }),
    hasToken: t.boolean({ resolve: (c) => hints(c).token !== undefined }),
  }),
});

const NatsPublishError = builder.objectRef<{ message: string; at: string }>('NatsPublishError').implement({
  fields: (t) => ({
    message: t.exposeString('message'),
    at: t.exposeString('at'),
  }),
});

builder.prismaNode('NatsConsumer', {
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, accountId: requirePrincipal(ctx).accountId }),
  fields: (t) => ({
    uuid: t.exposeString('id'),
    name: t.exposeString('name'),
    streamId: t.exposeString('streamId'),
    syncId: t.exposeString('syncId', { nullable: true }),
    collectionIds: t.stringList({ nullable: true, resolve: (c) => (c.collectionIds.length > 0 ? c.collectionIds : null) }),
    provider: t.exposeString('provider', { nullable: true }),
    subjectPrefix: t.exposeString('subjectPrefix'),
    messageKind: t.exposeString('messageKind', { description: "record | event: each record's latest version, or every version as a change event" }),
    actions: t.stringList({ nullable: true, description: 'change events of these actions only', resolve: (c) => (c.eventActions.length > 0 ? c.eventActions : null) }),
    changedFields: t.stringList({ nullable: true, description: 'updates that changed one of these data fields only', resolve: (c) => (c.eventChangedFields.length > 0 ? c.eventChangedFields : null) }),
    deliverPolicy: t.exposeString('deliverPolicy', { description: "all | new | by_start_time | by_start_idx: the last reset's, else the creation's" }),
    optStartTime: t.expose('optStartTime', { type: 'DateTime', nullable: true }),
    optStartIdx: t.string({ nullable: true, resolve: (c) => (c.optStartIdx === null ? null : String(c.optStartIdx)) }),
    startIdx: t.string({ description: 'publishing starts after this stream position (set at creation and by each reset)', resolve: (c) => String(c.startIdx) }),
    resetCount: t.exposeInt('resetCount'),
    nats: t.field({ type: NatsServer, resolve: (c) => c }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    lastPublishedIdx: t.string({ resolve: async (c, _args, ctx) => String((await ctx.loaders.natsConsumerStatus.load(c)).lastPublishedIdx) }),
    lag: t.int({ resolve: async (c, _args, ctx) => (await ctx.loaders.natsConsumerStatus.load(c)).lag }),
    lastError: t.field({ type: NatsPublishError, nullable: true, resolve: async (c, _args, ctx) => (await ctx.loaders.natsConsumerStatus.load(c)).lastError }),
    connectionState: t.string({ resolve: async (c, _args, ctx) => (await ctx.loaders.natsConsumerStatus.load(c)).connectionState }),
    messagesPublished: t.string({ resolve: async (c, _args, ctx) => String((await ctx.loaders.natsConsumerStatus.load(c)).messagesPublished) }),
    state: t.string({
      description: "The sink runner's state (DESIGN.md §7b): connecting, connected, disconnected or error; the same as connectionState.",
      resolve: async (c, _args, ctx) => (await ctx.loaders.natsConsumerStatus.load(c)).connectionState,
    }),
    lagSeconds: t.float({
      description: 'Seconds since the oldest record still to publish was written; 0 when none.',
      resolve: async (c, _args, ctx) => (await ctx.loaders.natsConsumerStatus.load(c)).lagSeconds,
    }),
    lastDeliveredAt: t.string({ nullable: true, resolve: async (c, _args, ctx) => (await ctx.loaders.natsConsumerStatus.load(c)).lastPublishedAt }),
  }),
});

const NatsServerInput = builder.inputType('NatsServerInput', {
  fields: (t) => ({
    host: t.string(),
    port: t.int(),
    tls: t.boolean(),
    user: t.string(),
    jwt: t.string(),
    nkeySeed: t.string(),
    password: t.string(),
    token: t.string(),
  }),
});

const NatsConsumerInput = builder.inputType('NatsConsumerInput', {
  fields: (t) => ({
    name: t.string(),
    streamId: t.id(),
    syncId: t.id(),
    collectionIds: t.stringList(),
    provider: t.string(),
    subjectPrefix: t.string(),
    deliverPolicy: t.string(),
    optStartTime: t.string(),
    optStartIdx: t.string(),
    messageKind: t.string({ description: 'record (default) | event; at creation' }),
    actions: t.stringList(),
    changedFields: t.stringList(),
    nats: t.field({ type: NatsServerInput }),
  }),
});

/** The command's input: ids as uuids; null leaves a setting out, but removes a stored user or secret in an update. */
function natsConsumerInput(input: typeof NatsConsumerInput.$inferInput): Record<string, unknown> {
  const nats = input.nats;
  return withoutUndefined({
    ...input,
    name: input.name ?? undefined,
    streamId: idInput(input.streamId),
    syncId: idInput(input.syncId),
    subjectPrefix: input.subjectPrefix ?? undefined,
    deliverPolicy: input.deliverPolicy ?? undefined,
    collectionIds: input.collectionIds ?? undefined,
    provider: input.provider ?? undefined,
    optStartTime: input.optStartTime ?? undefined,
    optStartIdx: input.optStartIdx ?? undefined,
    messageKind: input.messageKind ?? undefined,
    actions: input.actions ?? undefined,
    changedFields: input.changedFields ?? undefined,
    nats: nats == null ? undefined : withoutUndefined({ ...nats, host: nats.host ?? undefined, port: nats.port ?? undefined, tls: nats.tls ?? undefined }),
  });
}

builder.queryFields((t) => ({
  natsConsumers: t.prismaConnection({
    type: 'NatsConsumer',
    cursor: 'id',
    resolve: (query, _root, _args, ctx) =>
      ctx.app.prisma.natsConsumer.findMany({ ...query, where: { accountId: requirePrincipal(ctx).accountId }, orderBy: { id: 'asc' } }),
  }),
  natsConsumer: t.prismaField({
    type: 'NatsConsumer',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = rawId(args.id);
      return id ? ctx.app.prisma.natsConsumer.findFirst({ ...query, where: { id, accountId: requirePrincipal(ctx).accountId } }) : null;
    },
  }),
}));

builder.mutationFields((t) => ({
  createNatsConsumer: t.prismaField({
    type: 'NatsConsumer',
    args: { input: t.arg({ type: NatsConsumerInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = await createNatsConsumer(ctx.app, requirePrincipal(ctx), parseInput(createNatsConsumerInput, natsConsumerInput(args.input), 'input'));
      return ctx.app.prisma.natsConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  updateNatsConsumer: t.prismaField({
    type: 'NatsConsumer',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: NatsConsumerInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'nats consumer');
      await updateNatsConsumer(ctx.app, requirePrincipal(ctx), id, parseInput(updateNatsConsumerInput, natsConsumerInput(args.input), 'input'));
      return ctx.app.prisma.natsConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  resetNatsConsumer: t.prismaField({
    type: 'NatsConsumer',
    description: 'Publishing starts again at the position the input names: back, records are published again; ahead, skipped.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: ConsumerResetInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'nats consumer');
      await resetNatsConsumer(ctx.app, requirePrincipal(ctx), id, parseInput(resetInput, withoutNulls(args.input), 'input'));
      return ctx.app.prisma.natsConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  deleteNatsConsumer: t.id({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = requireId(args.id, 'nats consumer');
      await deleteNatsConsumer(ctx.app, requirePrincipal(ctx), id);
      return id;
    },
  }),
}));
