import {
  createNatsConsumer,
  createNatsConsumerInput,
  deleteNatsConsumer,
  updateNatsConsumer,
  updateNatsConsumerInput,
} from '../commands/nats-consumers.ts';
import { parseInput } from '../commands/parse-input.ts';
import { presentNatsServer } from '../queries/nats-consumers.ts';
import { builder, requirePrincipal } from './builder.ts';
import { rawId, requireId } from './ids.ts';

type NatsServerView = ReturnType<typeof presentNatsServer>;

/** Secrets are never exposed: redacted hints and has* flags only. */
const NatsServer = builder.objectRef<NatsServerView>('NatsServer').implement({
  fields: (t) => ({
    host: t.exposeString('host'),
    port: t.exposeInt('port'),
    tls: t.exposeBoolean('tls'),
    user: t.exposeString('user', { nullable: true }),
    jwt: t.exposeString('jwt', { nullable: true, description: 'redacted' }),
    nkeySeed: t.exposeString('nkey_seed', { nullable: true, description: 'redacted' }),
    password: t.exposeString('password', { nullable: true, description: 'redacted' }),
    token: t.exposeString('token', { nullable: true, description: 'redacted' }),
    hasJwt: t.exposeBoolean('has_jwt'),
    hasNkeySeed: t.exposeBoolean('has_nkey_seed'),
    hasPassword: t.exposeBoolean('has_password'),
    hasToken: t.exposeBoolean('has_token'),
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
    subjectPrefix: t.exposeString('subjectPrefix'),
    deliverPolicy: t.exposeString('deliverPolicy'),
    nats: t.field({ type: NatsServer, resolve: (c) => presentNatsServer(c) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    lastPublishedIdx: t.string({ resolve: async (c, _args, ctx) => String((await ctx.loaders.natsConsumerStatus.load(c)).lastPublishedIdx) }),
    lag: t.int({ resolve: async (c, _args, ctx) => (await ctx.loaders.natsConsumerStatus.load(c)).lag }),
    lastError: t.field({ type: NatsPublishError, nullable: true, resolve: async (c, _args, ctx) => (await ctx.loaders.natsConsumerStatus.load(c)).lastError }),
    connectionState: t.string({ resolve: async (c, _args, ctx) => (await ctx.loaders.natsConsumerStatus.load(c)).connectionState }),
    messagesPublished: t.string({ resolve: async (c, _args, ctx) => String((await ctx.loaders.natsConsumerStatus.load(c)).messagesPublished) }),
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
    subjectPrefix: t.string(),
    deliverPolicy: t.string(),
    nats: t.field({ type: NatsServerInput }),
  }),
});

const withoutUndefined = (object: Record<string, unknown>) => Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
const idOrNull = (id: string | number | null | undefined) => (id == null ? id : (rawId(id) ?? String(id)));

/** GraphQL's camelCase input → the REST shape, so both go through one zod schema. */
function toRestShape(input: typeof NatsConsumerInput.$inferInput): Record<string, unknown> {
  const nats = input.nats;
  return withoutUndefined({
    name: input.name ?? undefined,
    stream_id: idOrNull(input.streamId),
    sync_id: idOrNull(input.syncId),
    subject_prefix: input.subjectPrefix ?? undefined,
    deliver_policy: input.deliverPolicy ?? undefined,
    nats:
      nats == null
        ? undefined
        : withoutUndefined({
            host: nats.host ?? undefined,
            port: nats.port ?? undefined,
            tls: nats.tls ?? undefined,
            // null is meaningful in an update: it removes the stored value
            user: nats.user,
            jwt: nats.jwt,
            nkey_seed: nats.nkeySeed,
            password: nats.password,
            token: nats.token,
          }),
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
      const id = await createNatsConsumer(ctx.app, requirePrincipal(ctx), parseInput(createNatsConsumerInput, toRestShape(args.input), 'input'));
      return ctx.app.prisma.natsConsumer.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  updateNatsConsumer: t.prismaField({
    type: 'NatsConsumer',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: NatsConsumerInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'nats consumer');
      await updateNatsConsumer(ctx.app, requirePrincipal(ctx), id, parseInput(updateNatsConsumerInput, toRestShape(args.input), 'input'));
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
