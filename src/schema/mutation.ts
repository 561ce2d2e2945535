import { runMutation, runMutationInput, type MutationRunResult } from '../commands/mutations.ts';
import type { MutationRecord } from '../domain/mutations/events.ts';
import type { MutationItem } from '../generated/prisma/client.ts';
import { parseInput } from '../commands/parse-input.ts';
import { itemOutcome, type MutationItemErrorView } from '../queries/mutations.ts';
import { builder, requirePrincipal } from './builder.ts';
import { idInput } from './ids.ts';
import { withoutNulls } from './input.ts';

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

const appliedRecord = (item: MutationItem) => {
  const outcome = itemOutcome(item);
  return outcome.ok ? outcome.record : null;
};
const itemError = (item: MutationItem) => {
  const outcome = itemOutcome(item);
  return outcome.ok ? null : outcome.error;
};

const MutationItemResult = builder.objectRef<MutationItem>('MutationItemResult').implement({
  fields: (t) => ({
    ok: t.boolean({ resolve: (i) => itemOutcome(i).ok }),
    record: t.field({ type: MutatedRecord, nullable: true, resolve: appliedRecord }),
    error: t.field({ type: MutationItemError, nullable: true, resolve: itemError }),
  }),
});

const AwaitedConsumer = builder.objectRef<NonNullable<MutationRunResult['awaitedConsumers']>[number]>('AwaitedConsumer').implement({
  fields: (t) => ({
    consumerId: t.exposeString('consumerId'),
    acked: t.exposeBoolean('acked', { description: 'The consumer acked every resulting version before the timeout.' }),
  }),
});

const MutationResult = builder.objectRef<MutationRunResult>('MutationResult').implement({
  fields: (t) => ({
    runId: t.string({ description: 'The run, as listed in `Sync.mutations`.', resolve: (r) => r.run.id }),
    syncId: t.string({ resolve: (r) => r.run.syncId }),
    collectionId: t.string({ resolve: (r) => r.run.collectionId }),
    kind: t.string({ resolve: (r) => r.run.kind }),
    idempotencyKey: t.string({ nullable: true, resolve: (r) => r.run.idempotencyKey }),
    replayed: t.exposeBoolean('replayed', { description: 'The stored result of an earlier call with the same idempotency key.' }),
    items: t.field({ type: [MutationItemResult], description: 'One per input item, in order.', resolve: (r) => r.run.items }),
    awaitedConsumers: t.field({ type: [AwaitedConsumer], nullable: true, resolve: (r) => r.awaitedConsumers ?? null }),
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
  // A relation: Prisma loads every listed sync's runs in one query (no N+1).
  t.relatedConnection('mutationRuns', {
    cursor: 'id',
    description: "The sync's mutation runs, oldest first (the audit trail).",
    query: (_args, ctx) => ({ where: { accountId: requirePrincipal(ctx).accountId }, orderBy: [{ createdAt: 'asc' as const }, { id: 'asc' as const }] }),
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
    awaitConsumerIds: t.idList({ description: 'Consumers to wait for (HTTP, NATS, webhook, PostgreSQL): the answer comes once they acked or delivered the resulting versions.' }),
    awaitConsumersTimeout: t.int({ description: 'ms (default 5000, at most 60000)' }),
  }),
});

/** The command's input: ids as uuids, fields given as null left out. */
const runInput = (input: typeof RunMutationInput.$inferInput) =>
  withoutNulls({ ...input, syncId: idInput(input.syncId), awaitConsumerIds: input.awaitConsumerIds?.map((id) => idInput(id)) });

builder.mutationFields((t) => ({
  runMutation: t.field({
    type: MutationResult,
    args: { input: t.arg({ type: RunMutationInput, required: true }) },
    description: "Creates, updates or deletes up to 100 objects upstream through a sync's provider; each item is answered on its own.",
    resolve: (_root, args, ctx) => runMutation(ctx.app, requirePrincipal(ctx), parseInput(runMutationInput, runInput(args.input), 'input')),
  }),
}));
