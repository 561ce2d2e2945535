import { runMutation, runMutationInput } from '../commands/mutations.ts';
import type { MutationRecord } from '../domain/mutations/events.ts';
import { parseInput } from '../commands/parse-input.ts';
import type { MutationItemAnswer, MutationItemErrorView } from '../queries/mutations.ts';
import { builder, requirePrincipal } from './builder.ts';
import { rawId } from './ids.ts';

const MutatedRecord = builder.objectRef<MutationRecord>('MutatedRecord').implement({
  description: 'The record version a mutation item produced (DESIGN.md §2). `updatedIdx` is null when the stream holds none.',
  fields: (t) => ({
    syncId: t.exposeString('sync_id'),
    collectionId: t.exposeString('collection_id'),
    upstreamId: t.exposeString('upstream_id'),
    updatedIdx: t.string({ nullable: true, resolve: (r) => (r.updated_idx === null ? null : String(r.updated_idx)) }),
    upstreamCreatedAt: t.exposeString('upstream_created_at', { nullable: true }),
    upstreamUpdatedAt: t.exposeString('upstream_updated_at', { nullable: true }),
    deleted: t.exposeBoolean('deleted'),
    data: t.field({ type: 'JSON', resolve: (r) => r.data }),
  }),
});

const MutationItemError = builder.objectRef<MutationItemErrorView>('MutationItemError').implement({
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.exposeString('message'),
    upstreamStatus: t.exposeInt('upstream_status', { nullable: true }),
  }),
});

const MutationItemResult = builder.objectRef<MutationItemAnswer>('MutationItemResult').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    record: t.field({ type: MutatedRecord, nullable: true, resolve: (i) => (i.ok ? i.record : null) }),
    error: t.field({ type: MutationItemError, nullable: true, resolve: (i) => (i.ok ? null : i.error) }),
  }),
});

type RunResult = Awaited<ReturnType<typeof runMutation>>;

const AwaitedConsumer = builder.objectRef<NonNullable<RunResult['awaited_consumers']>[number]>('AwaitedConsumer').implement({
  fields: (t) => ({
    consumerId: t.exposeString('consumer_id'),
    acked: t.exposeBoolean('acked', { description: 'The consumer acked every resulting version before the timeout.' }),
  }),
});

const MutationResult = builder.objectRef<RunResult>('MutationResult').implement({
  fields: (t) => ({
    runId: t.exposeString('id', { description: 'The run, as listed in `Sync.mutations`.' }),
    syncId: t.exposeString('sync_id'),
    collectionId: t.exposeString('collection_id'),
    kind: t.exposeString('kind'),
    idempotencyKey: t.exposeString('idempotency_key', { nullable: true }),
    replayed: t.exposeBoolean('replayed', { description: 'The stored result of an earlier call with the same idempotency key.' }),
    items: t.field({ type: [MutationItemResult], description: 'One per input item, in order.', resolve: (r) => r.data }),
    awaitedConsumers: t.field({ type: [AwaitedConsumer], nullable: true, resolve: (r) => r.awaited_consumers ?? null }),
  }),
});

builder.prismaObject('MutationItem', {
  fields: (t) => ({
    index: t.exposeInt('index'),
    upstreamId: t.exposeString('upstreamId', { nullable: true }),
    fields: t.exposeStringList('fields', { description: 'Names of the fields the item set (never their values).' }),
    status: t.exposeString('status', { description: 'requested | applied | failed' }),
    record: t.field({ type: MutatedRecord, nullable: true, resolve: (i) => i.record as MutationRecord | null }),
    error: t.field({ type: MutationItemError, nullable: true, resolve: (i) => i.error as MutationItemErrorView | null }),
    settledAt: t.expose('settledAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.prismaNode('MutationRun', {
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, accountId: requirePrincipal(ctx).accountId }),
  fields: (t) => ({
    uuid: t.exposeString('id'),
    syncId: t.exposeString('syncId'),
    collectionId: t.exposeString('collectionId'),
    kind: t.exposeString('kind'),
    idempotencyKey: t.exposeString('idempotencyKey', { nullable: true }),
    status: t.exposeString('status', { description: 'running | completed' }),
    attempts: t.exposeInt('attempts'),
    itemCount: t.exposeInt('itemCount'),
    appliedCount: t.exposeInt('appliedCount'),
    failedCount: t.exposeInt('failedCount'),
    requestedByTokenId: t.exposeString('requestedBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    items: t.relation('items', { query: { orderBy: { index: 'asc' } } }),
  }),
});

builder.prismaObjectField('Sync', 'mutations', (t) =>
  t.prismaConnection({
    type: 'MutationRun',
    cursor: 'id',
    description: "The sync's mutation runs, oldest first (the audit trail).",
    resolve: (query, sync, _args, ctx) =>
      ctx.app.prisma.mutationRun.findMany({
        ...query,
        where: { syncId: sync.id, accountId: requirePrincipal(ctx).accountId },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      }),
  }),
);

const RunMutationInput = builder.inputType('RunMutationInput', {
  fields: (t) => ({
    kind: t.string({ required: true, description: 'create | update | delete' }),
    syncId: t.id({ required: true }),
    collectionId: t.string({ required: true }),
    data: t.field({ type: ['JSON'], description: "Items in the provider's object shape; update and delete items carry the upstream `id`." }),
    upstreamIds: t.stringList({ description: 'For deletes: the ids alone.' }),
    idempotencyKey: t.string(),
    awaitConsumerIds: t.idList({ description: 'HTTP or NATS consumers to wait for: the answer comes once they acked the resulting versions.' }),
    awaitConsumersTimeout: t.int({ description: 'ms (default 5000, at most 60000)' }),
  }),
});

/** GraphQL's camelCase input → the REST shape, so both go through one zod schema. */
function toRestShape(input: typeof RunMutationInput.$inferInput): Record<string, unknown> {
  const mapped: Record<string, unknown> = {
    kind: input.kind,
    sync_id: rawId(input.syncId) ?? String(input.syncId),
    collection_id: input.collectionId,
    data: input.data ?? undefined,
    upstream_ids: input.upstreamIds ?? undefined,
    idempotency_key: input.idempotencyKey ?? undefined,
    await_consumer_ids: input.awaitConsumerIds?.map((id) => rawId(id) ?? String(id)),
    await_consumers_timeout: input.awaitConsumersTimeout ?? undefined,
  };
  return Object.fromEntries(Object.entries(mapped).filter(([, v]) => v !== undefined));
}

builder.mutationFields((t) => ({
  runMutation: t.field({
    type: MutationResult,
    args: { input: t.arg({ type: RunMutationInput, required: true }) },
    description: "Creates, updates or deletes up to 100 objects upstream through a sync's provider; each item is answered on its own.",
    resolve: (_root, args, ctx) => runMutation(ctx.app, requirePrincipal(ctx), parseInput(runMutationInput, toRestShape(args.input), 'input')),
  }),
}));
