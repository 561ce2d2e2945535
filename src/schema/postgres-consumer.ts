import { resetInput } from '../commands/consumer-selection.ts';
import {
  createPostgresConsumer,
  createPostgresConsumerInput,
  deletePostgresConsumer,
  resetPostgresConsumer,
  updatePostgresConsumer,
  updatePostgresConsumerInput,
} from '../commands/postgres-consumers.ts';
import { parseInput } from '../commands/parse-input.ts';
import { listSinkDeliveries } from '../consumers/sinks/deliveries.ts';
import { sinkStatusInputOf } from '../consumers/sinks/consumer-row.ts';
import { currentHint } from '../crypto/secret-box.ts';
import type { PostgresConsumer } from '../generated/prisma/client.ts';
import { builder, requirePrincipal } from './builder.ts';
import { ConsumerResetInput } from './consumer-reset.ts';
import { idInput, rawId, requireId } from './ids.ts';
import { withoutNulls, withoutUndefined } from './input.ts';
import { deliveryPageType, logPage, SinkError } from './sink-logs.ts';

const PostgresDeliveryPage = deliveryPageType('Postgres', 'batchId', 'the batch (one transaction in the target), the same on every attempt at it');

/** Where a consumer writes. The password is never exposed: a hint and hasPassword only. */
const PostgresConnection = builder.objectRef<PostgresConsumer>('PostgresConnection').implement({
  fields: (t) => ({
    url: t.exposeString('connectionUrl', { nullable: true, description: 'the URL as given, without its password' }),
    host: t.exposeString('host'),
    port: t.exposeInt('port'),
    database: t.exposeString('database'),
    user: t.exposeString('dbUser'),
    ssl: t.boolean({ resolve: (c) => c.sslMode !== 'disable' }),
    sslMode: t.exposeString('sslMode'),
    password: t.string({ nullable: true, description: 'redacted', resolve: (c) => (c.passwordHint === null ? null : currentHint(c.passwordHint)) }),
    hasPassword: t.boolean({ resolve: (c) => c.passwordEncrypted !== null }),
  }),
});

builder.prismaNode('PostgresConsumer', {
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, accountId: requirePrincipal(ctx).accountId }),
  fields: (t) => ({
    uuid: t.exposeString('id'),
    name: t.exposeString('name'),
    streamId: t.exposeString('streamId'),
    syncId: t.exposeString('syncId', { nullable: true }),
    collectionIds: t.stringList({ nullable: true, resolve: (c) => (c.collectionIds && c.collectionIds.length > 0 ? c.collectionIds : null) }),
    provider: t.exposeString('provider', { nullable: true }),
    messageKind: t.exposeString('messageKind', { description: "record | event: each record's latest version, or every version as a change event" }),
    actions: t.stringList({ nullable: true, description: 'change events of these actions only', resolve: (c) => (c.eventActions.length > 0 ? c.eventActions : null) }),
    changedFields: t.stringList({ nullable: true, description: 'updates that changed one of these data fields only', resolve: (c) => (c.eventChangedFields.length > 0 ? c.eventChangedFields : null) }),
    deliverPolicy: t.exposeString('deliverPolicy', { description: 'of the creation, or of the last reset' }),
    optStartTime: t.expose('optStartTime', { type: 'DateTime', nullable: true }),
    optStartIdx: t.string({ nullable: true, resolve: (c) => (c.optStartIdx === null ? null : String(c.optStartIdx)) }),
    startIdx: t.string({ description: 'delivery started (or starts again) after this stream position', resolve: (c) => String(c.startIdx) }),
    resetCount: t.exposeInt('resetCount'),
    connection: t.field({ type: PostgresConnection, resolve: (c) => c }),
    table: t.string({ description: '`schema.table`', resolve: (c) => `${c.tableSchema}.${c.tableName}` }),
    createTable: t.exposeBoolean('createTable'),
    deletes: t.exposeString('deletes'),
    batchSize: t.exposeInt('batchSize'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    state: t.string({
      description: "The sink runner's state (DESIGN.md §7b): connecting, connected, disconnected or error.",
      resolve: async (c, _args, ctx) => (await ctx.loaders.sinkStatus.load(sinkStatusInputOf(c))).state,
    }),
    lag: t.int({ description: 'Records still to write.', resolve: async (c, _args, ctx) => (await ctx.loaders.sinkStatus.load(sinkStatusInputOf(c))).lag }),
    lagSeconds: t.float({
      description: 'Seconds since the oldest record still to write was written to the stream; 0 when none.',
      resolve: async (c, _args, ctx) => (await ctx.loaders.sinkStatus.load(sinkStatusInputOf(c))).lagSeconds,
    }),
    lastDeliveredAt: t.string({ nullable: true, resolve: async (c, _args, ctx) => (await ctx.loaders.sinkStatus.load(sinkStatusInputOf(c))).lastDeliveredAt }),
    lastError: t.field({ type: SinkError, nullable: true, resolve: async (c, _args, ctx) => (await ctx.loaders.sinkStatus.load(sinkStatusInputOf(c))).lastError }),
    deliveries: t.field({
      type: PostgresDeliveryPage,
      description: 'The delivery log: the last 1,000 attempts, newest first (PostgreSQL consumers never dead-letter).',
      args: { first: t.arg.int({ description: '1–1000, default 100' }), after: t.arg.string() },
      resolve: (c, args, ctx) => listSinkDeliveries(ctx.app, c.id, logPage(args)),
    }),
  }),
});

const PostgresConnectionInput = builder.inputType('PostgresConnectionInput', {
  fields: (t) => ({
    url: t.string(),
    host: t.string(),
    port: t.int(),
    database: t.string(),
    user: t.string(),
    password: t.string({ description: 'null in an update removes it' }),
    ssl: t.boolean(),
    sslMode: t.string(),
  }),
});

const PostgresConsumerInput = builder.inputType('PostgresConsumerInput', {
  fields: (t) => ({
    name: t.string(),
    streamId: t.id(),
    syncId: t.id(),
    collectionIds: t.stringList(),
    provider: t.string(),
    deliverPolicy: t.string(),
    optStartTime: t.string(),
    optStartIdx: t.string(),
    messageKind: t.string({ description: 'record (default) | event; at creation' }),
    actions: t.stringList(),
    changedFields: t.stringList(),
    connection: t.field({ type: PostgresConnectionInput }),
    table: t.string(),
    createTable: t.boolean(),
    deletes: t.string(),
    batchSize: t.int(),
  }),
});

/** The command's input: ids as uuids; null leaves a setting out, but removes a stored password. */
function postgresConsumerInput({ connection, name, ...input }: typeof PostgresConsumerInput.$inferInput): Record<string, unknown> {
  return withoutUndefined({
    name,
    ...withoutNulls({ ...input, streamId: idInput(input.streamId), syncId: idInput(input.syncId) }),
    connection: connection == null ? undefined : withoutUndefined({ ...withoutNulls({ ...connection, password: undefined }), password: connection.password }),
  });
}

builder.queryFields((t) => ({
  postgresConsumers: t.prismaConnection({
    type: 'PostgresConsumer',
    cursor: 'id',
    resolve: (query, _root, _args, ctx) =>
      ctx.app.prisma.postgresConsumer.findMany({ ...query, where: { accountId: requirePrincipal(ctx).accountId }, orderBy: { id: 'asc' } }),
  }),
  postgresConsumer: t.prismaField({
    type: 'PostgresConsumer',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = rawId(args.id);
      return id ? ctx.app.prisma.postgresConsumer.findFirst({ ...query, where: { id, accountId: requirePrincipal(ctx).accountId } }) : null;
    },
  }),
}));

builder.mutationFields((t) => ({
  createPostgresConsumer: t.prismaField({
    type: 'PostgresConsumer',
    args: { input: t.arg({ type: PostgresConsumerInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = await createPostgresConsumer(ctx.app, requirePrincipal(ctx), parseInput(createPostgresConsumerInput, postgresConsumerInput(args.input), 'input'));
      return ctx.app.prisma.postgresConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  updatePostgresConsumer: t.prismaField({
    type: 'PostgresConsumer',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: PostgresConsumerInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'postgres consumer');
      await updatePostgresConsumer(ctx.app, requirePrincipal(ctx), id, parseInput(updatePostgresConsumerInput, postgresConsumerInput(args.input), 'input'));
      return ctx.app.prisma.postgresConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  resetPostgresConsumer: t.prismaField({
    type: 'PostgresConsumer',
    description: 'Delivery starts again at the position given: back (a replay) or ahead.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: ConsumerResetInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'postgres consumer');
      await resetPostgresConsumer(ctx.app, requirePrincipal(ctx), id, parseInput(resetInput, withoutNulls(args.input), 'input'));
      return ctx.app.prisma.postgresConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  deletePostgresConsumer: t.id({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = requireId(args.id, 'postgres consumer');
      await deletePostgresConsumer(ctx.app, requirePrincipal(ctx), id);
      return id;
    },
  }),
}));
