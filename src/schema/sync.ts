import { changeSyncLifecycle, createSync, createSyncInput, updateSync, updateSyncInput } from '../commands/syncs.ts';
import { parseInput } from '../commands/parse-input.ts';
import { getSyncStatus, presentSync, syncState } from '../queries/syncs.ts';
import { syncListingScope, syncVisibleTo } from '../queries/sync-scope.ts';
import { builder, requirePrincipal } from './builder.ts';
import { rawId, requireId } from './ids.ts';
import type { InFlightView, WaitView } from '../sync/in-flight.ts';

type StatusView = Awaited<ReturnType<typeof getSyncStatus>>;
type CollectionStatusView = StatusView['collections'][number];

const BackfillProgress = builder.objectRef<CollectionStatusView['backfill']>('BackfillProgress').implement({
  fields: (t) => ({
    done: t.exposeBoolean('done'),
    pages: t.exposeInt('pages'),
    records: t.exposeInt('records'),
    total: t.exposeInt('total', { nullable: true }),
    percent: t.exposeFloat('percent', { nullable: true }),
    startedAt: t.exposeString('started_at', { nullable: true }),
    completedAt: t.exposeString('completed_at', { nullable: true }),
  }),
});

const InFlightRequest = builder.objectRef<InFlightView>('InFlightRequest').implement({
  fields: (t) => ({
    method: t.exposeString('method'),
    path: t.exposeString('path', { description: 'Without the query string.' }),
    since: t.exposeString('since'),
    ageMs: t.exposeInt('age_ms'),
  }),
});

const UpstreamWait = builder.objectRef<WaitView>('UpstreamWait').implement({
  fields: (t) => ({
    reason: t.exposeString('reason', { description: 'rate_limit | backoff | step_retry' }),
    since: t.exposeString('since'),
    until: t.exposeString('until', { nullable: true }),
    ageMs: t.exposeInt('age_ms'),
  }),
});

const CollectionStatus = builder.objectRef<CollectionStatusView>('CollectionStatus').implement({
  fields: (t) => ({
    collectionId: t.exposeString('collection_id'),
    records: t.exposeInt('records'),
    deletedRecords: t.exposeInt('deleted_records'),
    backfill: t.field({ type: BackfillProgress, resolve: (c) => c.backfill }),
    changesFetched: t.exposeInt('changes_fetched'),
    lastChangeAt: t.exposeString('last_change_at', { nullable: true }),
    lastPollAt: t.exposeString('last_poll_at', { nullable: true }),
    lastError: t.exposeString('last_error', { nullable: true }),
    inFlight: t.field({
      type: [InFlightRequest],
      nullable: true,
      description: 'Requests on the wire now, oldest first; null when the sync does not run on the instance that answers.',
      resolve: (c) => c.in_flight,
    }),
    waiting: t.field({ type: UpstreamWait, nullable: true, description: 'A rate-limit or backoff wait in progress.', resolve: (c) => c.waiting }),
  }),
});

const SyncError = builder.objectRef<NonNullable<StatusView['last_error']>>('SyncError').implement({
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.exposeString('message'),
    collectionId: t.exposeString('collection_id', { nullable: true }),
    at: t.exposeString('at'),
  }),
});

export const SyncStatus = builder.objectRef<StatusView>('SyncStatus').implement({
  fields: (t) => ({
    syncId: t.exposeString('sync_id'),
    state: t.exposeString('state'),
    lastError: t.field({ type: SyncError, nullable: true, resolve: (s) => s.last_error }),
    requestsMade: t.exposeInt('requests_made'),
    rateLimitWaitMs: t.exposeInt('rate_limit_wait_ms'),
    retries: t.exposeInt('retries'),
    lastPollAt: t.exposeString('last_poll_at', { nullable: true }),
    collections: t.field({ type: [CollectionStatus], resolve: (s) => s.collections }),
  }),
});

const RateLimit = builder.objectRef<ReturnType<typeof presentSync>['rate_limit']>('RateLimit').implement({
  fields: (t) => ({
    allowedRequests: t.exposeInt('allowed_requests'),
    interval: t.exposeFloat('interval', { description: 'seconds' }),
    maxConcurrentRequests: t.exposeInt('max_concurrent_requests'),
  }),
});

builder.prismaNode('Sync', {
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, accountId: requirePrincipal(ctx).accountId }),
  fields: (t) => ({
    uuid: t.exposeString('id'),
    accountId: t.exposeString('accountId'),
    name: t.exposeString('name'),
    provider: t.exposeString('provider'),
    streamId: t.exposeString('streamId'),
    collectionIds: t.exposeStringList('collectionIds'),
    credentialId: t.exposeString('credentialId'),
    metadata: t.expose('metadata', { type: 'JSON' }),
    pollIntervalMs: t.exposeInt('pollIntervalMs'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    rateLimit: t.field({ type: RateLimit, select: { collections: true }, resolve: (s) => presentSync(s).rate_limit }),
    state: t.string({ select: { collections: true }, resolve: (s) => syncState(s, s.collections) }),
    status: t.field({ type: SyncStatus, resolve: (s, _args, ctx) => ctx.loaders.syncStatus.load(s.id) }),
  }),
});

const RateLimitInput = builder.inputType('RateLimitInput', {
  fields: (t) => ({
    allowedRequests: t.int({ required: true }),
    interval: t.float({ required: true, description: 'seconds' }),
    maxConcurrentRequests: t.int(),
  }),
});

const SyncInput = builder.inputType('SyncInput', {
  fields: (t) => ({
    provider: t.string(),
    streamId: t.id(),
    name: t.string(),
    collectionIds: t.stringList(),
    rateLimit: t.field({ type: RateLimitInput }),
    credentialId: t.id(),
    metadata: t.field({ type: 'JSON' }),
    pollIntervalMs: t.int(),
  }),
});

/** GraphQL's camelCase input → the REST shape, so both go through one zod schema. */
function toRestShape(input: typeof SyncInput.$inferInput): Record<string, unknown> {
  const mapped: Record<string, unknown> = {
    provider: input.provider,
    stream_id: input.streamId == null ? input.streamId : (rawId(input.streamId) ?? String(input.streamId)),
    name: input.name,
    collection_ids: input.collectionIds,
    rate_limit: input.rateLimit
      ? {
          allowed_requests: input.rateLimit.allowedRequests,
          interval: input.rateLimit.interval,
          ...(input.rateLimit.maxConcurrentRequests != null ? { max_concurrent_requests: input.rateLimit.maxConcurrentRequests } : {}),
        }
      : input.rateLimit,
    credential_id: input.credentialId == null ? input.credentialId : (rawId(input.credentialId) ?? String(input.credentialId)),
    metadata: input.metadata ?? undefined,
    poll_interval_ms: input.pollIntervalMs,
  };
  return Object.fromEntries(Object.entries(mapped).filter(([, v]) => v !== undefined && v !== null));
}

builder.queryFields((t) => ({
  syncs: t.prismaConnection({
    type: 'Sync',
    cursor: 'id',
    args: { streamId: t.arg.id(), accountId: t.arg.string({ description: 'Root token only: another account\'s syncs, or "all".' }) },
    resolve: (query, _root, args, ctx) => {
      const streamId = args.streamId ? rawId(args.streamId) : null;
      return ctx.app.prisma.sync.findMany({
        ...query,
        where: { ...syncListingScope(requirePrincipal(ctx), args.accountId ?? undefined), ...(streamId ? { streamId } : {}) },
        orderBy: { id: 'asc' },
      });
    },
  }),
  sync: t.prismaField({
    type: 'Sync',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = rawId(args.id);
      return id ? ctx.app.prisma.sync.findFirst({ ...query, where: syncVisibleTo(requirePrincipal(ctx), id) }) : null;
    },
  }),
}));

const lifecycle = { pauseSync: 'PauseSync', resumeSync: 'ResumeSync', resyncSync: 'ResyncSync' } as const;

builder.mutationFields((t) => ({
  createSync: t.prismaField({
    type: 'Sync',
    args: { input: t.arg({ type: SyncInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = await createSync(ctx.app, requirePrincipal(ctx), parseInput(createSyncInput, toRestShape(args.input), 'input'));
      return ctx.app.prisma.sync.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  updateSync: t.prismaField({
    type: 'Sync',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: SyncInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'sync');
      await updateSync(ctx.app, requirePrincipal(ctx), id, parseInput(updateSyncInput, toRestShape(args.input), 'input'));
      return ctx.app.prisma.sync.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  deleteSync: t.id({
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = requireId(args.id, 'sync');
      await changeSyncLifecycle(ctx.app, requirePrincipal(ctx), id, 'DeleteSync');
      return id;
    },
  }),
  ...Object.fromEntries(
    Object.entries(lifecycle).map(([field, command]) => [
      field,
      t.prismaField({
        type: 'Sync',
        args: { id: t.arg.id({ required: true }) },
        resolve: async (query, _root, args, ctx) => {
          const id = requireId(args.id, 'sync');
          await changeSyncLifecycle(ctx.app, requirePrincipal(ctx), id, command);
          return ctx.app.prisma.sync.findUniqueOrThrow({ ...query, where: { id } });
        },
      }),
    ]),
  ),
}));
