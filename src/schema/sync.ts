import { changeSyncLifecycle, createSync, createSyncInput, updateSync, updateSyncInput } from '../commands/syncs.ts';
import { parseInput } from '../commands/parse-input.ts';
import type { RateLimit as RateLimitModel } from '../domain/syncs/events.ts';
import { findProvider } from '../sync/providers/registry.ts';
import { syncWebhooks, type SyncWebhooks as SyncWebhooksModel } from '../sync/webhooks/webhook-state.ts';
import { syncState, syncStatus, type WebhookCounters as WebhookCountersModel, type CollectionStatus as CollectionStatusModel, type SyncError as SyncErrorModel, type SyncStatus as SyncStatusModel } from '../queries/syncs.ts';
import { parseSyncFilter, syncFilterWhere } from '../queries/sync-filter.ts';
import { syncListingScope, syncVisibleTo } from '../queries/sync-scope.ts';
import { builder, requirePrincipal } from './builder.ts';
import { idInput, rawId, requireId } from './ids.ts';
import { withoutNulls, withoutUndefined } from './input.ts';
import type { InFlightRequest as InFlightRequestModel, UpstreamWait as UpstreamWaitModel } from '../sync/in-flight.ts';

const iso = (date: Date | null) => date?.toISOString() ?? null;

const BackfillProgress = builder.objectRef<CollectionStatusModel['backfill']>('BackfillProgress').implement({
  fields: (t) => ({
    done: t.exposeBoolean('done'),
    pages: t.exposeInt('pages'),
    records: t.exposeInt('records'),
    total: t.exposeInt('total', { nullable: true }),
    percent: t.exposeFloat('percent', { nullable: true }),
    startedAt: t.string({ nullable: true, resolve: (b) => iso(b.startedAt) }),
    completedAt: t.string({ nullable: true, resolve: (b) => iso(b.completedAt) }),
  }),
});

const InFlightRequest = builder.objectRef<InFlightRequestModel>('InFlightRequest').implement({
  fields: (t) => ({
    method: t.exposeString('method'),
    path: t.exposeString('path', { description: 'Without the query string.' }),
    since: t.string({ resolve: (r) => r.since.toISOString() }),
    ageMs: t.exposeInt('ageMs'),
  }),
});

const UpstreamWait = builder.objectRef<UpstreamWaitModel>('UpstreamWait').implement({
  fields: (t) => ({
    reason: t.exposeString('reason', { description: 'rate_limit | backoff | step_retry' }),
    since: t.string({ resolve: (w) => w.since.toISOString() }),
    until: t.string({ nullable: true, resolve: (w) => iso(w.until) }),
    ageMs: t.exposeInt('ageMs'),
  }),
});

const CollectionStatus = builder.objectRef<CollectionStatusModel>('CollectionStatus').implement({
  fields: (t) => ({
    collectionId: t.exposeString('collectionId'),
    records: t.exposeInt('records'),
    deletedRecords: t.exposeInt('deletedRecords'),
    backfill: t.field({ type: BackfillProgress, resolve: (c) => c.backfill }),
    changesFetched: t.exposeInt('changesFetched', { description: 'Record versions written by polls (objects re-listed unchanged do not count).' }),
    requestsMade: t.exposeInt('requestsMade', { description: 'Upstream requests the collection sent (every attempt, backfill and polls).' }),
    deleteDetectionRequests: t.exposeInt('deleteDetectionRequests', {
      description: 'Of requestsMade, those spent only on finding deleted objects (docs/SYNCS.md#status says which, per provider).',
    }),
    lastChangeAt: t.string({ nullable: true, resolve: (c) => iso(c.lastChangeAt) }),
    lastPollAt: t.string({ nullable: true, resolve: (c) => iso(c.lastPollAt) }),
    lastError: t.exposeString('lastError', { nullable: true }),
    inFlight: t.field({
      type: [InFlightRequest],
      nullable: true,
      description: 'Requests on the wire now, oldest first; null when the sync does not run on the instance that answers.',
      resolve: (c) => c.activity?.inFlight ?? null,
    }),
    waiting: t.field({ type: UpstreamWait, nullable: true, description: 'A rate-limit or backoff wait in progress.', resolve: (c) => c.activity?.waiting ?? null }),
  }),
});

const SyncError = builder.objectRef<SyncErrorModel>('SyncError').implement({
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.exposeString('message'),
    collectionId: t.exposeString('collectionId', { nullable: true }),
    at: t.exposeString('at'),
  }),
});

const WebhookCounters = builder.objectRef<WebhookCountersModel>('WebhookCounters').implement({
  fields: (t) => ({
    received: t.exposeInt('received'),
    verified: t.exposeInt('verified'),
    rejected: t.exposeInt('rejected', { description: 'Refused: signature missing or invalid, timestamp outside the tolerance, body too large or unreadable.' }),
    duplicates: t.exposeInt('duplicates', { description: 'Redeliveries of a delivery id already received.' }),
    lastReceivedAt: t.string({ nullable: true, resolve: (w) => iso(w.lastReceivedAt) }),
    changesMissed: t.exposeInt('changesMissed', { description: 'Record versions polls wrote while webhooks were enabled: changes webhooks missed.' }),
  }),
});

const WebhookRegistration = builder.objectRef<SyncWebhooksModel['registration']>('WebhookRegistration').implement({
  fields: (t) => ({
    state: t.exposeString('state', { description: 'registered | manual | pending | failed | disabled' }),
    expiresAt: t.string({ nullable: true, resolve: (r) => iso(r.expiresAt) }),
    error: t.exposeString('error', { nullable: true }),
  }),
});

const SyncWebhooks = builder.objectRef<SyncWebhooksModel>('SyncWebhooks').implement({
  description: 'Provider webhooks (docs/PROVIDER-WEBHOOKS.md); the signing secret is never answered.',
  fields: (t) => ({
    enabled: t.exposeBoolean('enabled'),
    url: t.exposeString('url', { description: 'Where the provider sends them: SYNCLINE_PUBLIC_URL + /v1/webhooks/in/{id} (the path alone without it).' }),
    registration: t.field({ type: WebhookRegistration, resolve: (w) => w.registration }),
    signingSecretSet: t.exposeBoolean('signingSecretSet'),
    reconcileIntervalMs: t.exposeInt('reconcileIntervalMs', { nullable: true }),
    manualSetup: t.exposeString('manualSetup', { nullable: true, description: "With `manual`: what to do in the provider's settings." }),
  }),
});

export const SyncStatus = builder.objectRef<SyncStatusModel>('SyncStatus').implement({
  fields: (t) => ({
    syncId: t.exposeString('syncId'),
    state: t.exposeString('state'),
    lastError: t.field({ type: SyncError, nullable: true, resolve: (s) => s.lastError }),
    requestsMade: t.exposeInt('requestsMade'),
    rateLimitWaitMs: t.exposeInt('rateLimitWaitMs'),
    retries: t.exposeInt('retries'),
    lastPollAt: t.string({ nullable: true, resolve: (s) => iso(s.lastPollAt) }),
    webhooks: t.field({ type: WebhookCounters, nullable: true, description: 'Provider webhooks; null while disabled.', resolve: (s) => s.webhooks }),
    collections: t.field({ type: [CollectionStatus], resolve: (s) => s.collections }),
  }),
});

const RateLimit = builder.objectRef<RateLimitModel>('RateLimit').implement({
  fields: (t) => ({
    allowedRequests: t.exposeInt('allowedRequests'),
    interval: t.exposeFloat('intervalSeconds', { description: 'seconds' }),
    maxConcurrentRequests: t.exposeInt('maxConcurrentRequests'),
  }),
});

export const SyncRef = builder.prismaNode('Sync', {
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id, accountId: requirePrincipal(ctx).accountId }),
  fields: (t) => ({
    uuid: t.exposeString('id'),
    accountId: t.exposeString('accountId'),
    name: t.exposeString('name'),
    externalId: t.exposeString('externalId', { nullable: true, description: "The caller's own id for the sync (a tenant's id), unique per account." }),
    provider: t.exposeString('provider'),
    streamId: t.exposeString('streamId'),
    collectionIds: t.exposeStringList('collectionIds'),
    credentialId: t.exposeString('credentialId'),
    metadata: t.expose('metadata', { type: 'JSON' }),
    pollIntervalMs: t.exposeInt('pollIntervalMs'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    rateLimit: t.field({ type: RateLimit, resolve: (s) => s.rateLimit as RateLimitModel }),
    state: t.string({ select: { collections: true }, resolve: (s) => syncState(s, s.collections) }),
    status: t.field({ type: SyncStatus, resolve: (s, _args, ctx) => ctx.loaders.syncStatus.load(s.id) }),
    webhooks: t.field({ type: SyncWebhooks, resolve: (s, _args, ctx) => syncWebhooks(ctx.app.config, findProvider(s.provider) ?? null, s) }),
  }),
});

const SyncWebhooksInput = builder.inputType('SyncWebhooksInput', {
  fields: (t) => ({
    enabled: t.boolean(),
    signingSecret: t.string({ description: 'Write-only, sealed at rest. `null` in updateSync removes it.' }),
    reconcileIntervalMs: t.int({ description: 'At least pollIntervalMs. `null` in updateSync removes it.' }),
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
    externalId: t.string({ description: 'Unique per account: 1–255 characters, trimmed, no control characters. `null` in updateSync removes it.' }),
    webhooks: t.field({ type: SyncWebhooksInput }),
  }),
});

/** The command's input: ids as uuids, fields given as null left out, but for `externalId`, whose null clears it. */
const syncInput = ({ externalId, webhooks, ...input }: typeof SyncInput.$inferInput) => ({
  ...withoutUndefined({ externalId }),
  ...(webhooks ? { webhooks: withoutUndefined({ ...webhooks, enabled: webhooks.enabled ?? undefined }) } : {}),
  ...withoutNulls({ ...input, streamId: idInput(input.streamId), credentialId: idInput(input.credentialId), rateLimit: input.rateLimit && withoutNulls(input.rateLimit) }),
});

const SyncMetadataFilter = builder.inputType('SyncMetadataFilter', {
  description: 'The top-level metadata key `key` holds the string `value` (or a number or boolean written so).',
  fields: (t) => ({
    key: t.string({ required: true }),
    value: t.string({ required: true }),
  }),
});

builder.queryFields((t) => ({
  syncs: t.prismaConnection({
    type: 'Sync',
    cursor: 'id',
    description: 'Filters narrow the list: every one given must hold.',
    args: {
      streamId: t.arg.id(),
      accountId: t.arg.string({ description: 'Root token only: another account\'s syncs, or "all".' }),
      externalId: t.arg.string({ description: 'Only the sync with this external id.' }),
      provider: t.arg.string({ description: "Only this provider's syncs." }),
      metadata: t.arg({ type: [SyncMetadataFilter], description: 'Only syncs whose metadata has each of these values (up to 50 keys).' }),
    },
    resolve: (query, _root, args, ctx) => {
      const streamId = args.streamId ? rawId(args.streamId) : null;
      const filter = parseSyncFilter(withoutNulls({ externalId: args.externalId, provider: args.provider, metadata: args.metadata }));
      return ctx.app.prisma.sync.findMany({
        ...query,
        where: { ...syncListingScope(requirePrincipal(ctx), args.accountId ?? undefined), ...(streamId ? { streamId } : {}), ...syncFilterWhere(filter) },
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
      const id = await createSync(ctx.app, requirePrincipal(ctx), parseInput(createSyncInput, syncInput(args.input), 'input'));
      return ctx.app.prisma.sync.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  updateSync: t.prismaField({
    type: 'Sync',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: SyncInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = requireId(args.id, 'sync');
      await updateSync(ctx.app, requirePrincipal(ctx), id, parseInput(updateSyncInput, syncInput(args.input), 'input'));
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
