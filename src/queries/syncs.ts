import type { Sync, SyncCollection, SyncRuntime, SyncWebhookRuntime } from '../generated/prisma/client.ts';
import type { AppContext, Principal } from '../app-context.ts';
import type { RateLimit } from '../domain/syncs/events.ts';
import { NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { Config } from '../config.ts';
import { findProvider } from '../sync/providers/registry.ts';
import { syncWebhooks, type SyncWebhooks } from '../sync/webhooks/webhook-state.ts';
import { syncActivityHere, type CollectionActivity, type SyncActivity } from '../sync/in-flight.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';
import { syncFilterWhere, type SyncFilter } from './sync-filter.ts';
import { syncListingScope, syncsVisibleTo, syncVisibleTo } from './sync-scope.ts';

const iso = (date: Date | null) => date?.toISOString() ?? null;

export type SyncState = 'backfilling' | 'active' | 'paused' | 'error';

/** As the sync projection stores it (`syncs.last_error`). */
export type SyncError = { code: string; message: string; collectionId: string | null; at: string };

export function syncState(sync: Sync, collections: SyncCollection[]): SyncState {
  if (sync.paused) return 'paused';
  if (sync.lastError) return 'error';
  return collections.every((c) => c.backfillDone) ? 'active' : 'backfilling';
}

/** A sync's webhooks as REST answers them (never the secret). */
export const presentSyncWebhooks = (webhooks: SyncWebhooks) => ({
  enabled: webhooks.enabled,
  url: webhooks.url,
  registration: { state: webhooks.registration.state, expires_at: iso(webhooks.registration.expiresAt), error: webhooks.registration.error },
  signing_secret_set: webhooks.signingSecretSet,
  reconcile_interval_ms: webhooks.reconcileIntervalMs,
  manual_setup: webhooks.manualSetup,
});

export const presentSync = (sync: Sync & { collections: SyncCollection[] }, config: Config) => {
  const rateLimit = sync.rateLimit as RateLimit;
  return {
    id: sync.id,
    account_id: sync.accountId,
    name: sync.name,
    external_id: sync.externalId,
    provider: sync.provider,
    stream_id: sync.streamId,
    collection_ids: sync.collectionIds,
    credential_id: sync.credentialId,
    rate_limit: {
      allowed_requests: rateLimit.allowedRequests,
      interval: rateLimit.intervalSeconds,
      max_concurrent_requests: rateLimit.maxConcurrentRequests,
    },
    metadata: sync.metadata,
    poll_interval_ms: sync.pollIntervalMs,
    state: syncState(sync, sync.collections),
    webhooks: presentSyncWebhooks(syncWebhooks(config, findProvider(sync.provider) ?? null, sync)),
    created_at: sync.createdAt.toISOString(),
    updated_at: sync.updatedAt.toISOString(),
  };
};

/**
 * `page.account_id`: root may list another account's syncs, or every account's (`all`); see sync-scope.ts.
 * `filter`: only the syncs it matches (sync-filter.ts).
 */
export async function listSyncs(ctx: AppContext, principal: Principal, page: PageInput & { account_id?: unknown }, streamId?: string, filter: SyncFilter = {}) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.sync.findMany({
    ...args,
    where: { ...args.where, ...syncListingScope(principal, page.account_id), ...(streamId ? { streamId } : {}), ...syncFilterWhere(filter) },
    include: { collections: true },
  });
  return toPage(rows, page, (sync) => presentSync(sync, ctx.config));
}

/** The caller's sync; `operator`: any account's for the root token (inspection only: not its records). */
export async function findSync(ctx: AppContext, principal: Principal, id: string, { operator = false } = {}) {
  const where = operator ? syncVisibleTo(principal, id) : { id, accountId: principal.accountId };
  const sync = await ctx.prisma.sync.findFirst({ where, include: { collections: true } });
  if (!sync) throw new NotFoundError('sync', id);
  return sync;
}

export async function getSync(ctx: AppContext, principal: Principal, id: string) {
  return presentSync(await findSync(ctx, principal, id, { operator: true }), ctx.config);
}

/** A collection's part of a sync's status. */
export interface CollectionStatus {
  collectionId: string;
  records: number;
  deletedRecords: number;
  backfill: {
    done: boolean;
    pages: number;
    records: number;
    total: number | null;
    percent: number | null;
    startedAt: Date | null;
    completedAt: Date | null;
  };
  changesFetched: number;
  /** Upstream requests the collection sent (every attempt), and those spent on delete detection (request-purpose.ts). */
  requestsMade: number;
  deleteDetectionRequests: number;
  lastChangeAt: Date | null;
  lastPollAt: Date | null;
  lastError: string | null;
  /** What the run is doing upstream now; null when the sync does not run on this instance (in-flight.ts). */
  activity: CollectionActivity | null;
}

/** Status: state, per-collection backfill progress and counts, last poll, errors, request accounting. */
export interface SyncStatus {
  syncId: string;
  state: SyncState;
  lastError: SyncError | null;
  requestsMade: number;
  rateLimitWaitMs: number;
  retries: number;
  lastPollAt: Date | null;
  /** Provider webhooks' counters (sync_webhook_runtime); null while the sync has webhooks disabled. */
  webhooks: WebhookCounters | null;
  collections: CollectionStatus[];
}

export interface WebhookCounters {
  received: number;
  verified: number;
  rejected: number;
  duplicates: number;
  lastReceivedAt: Date | null;
  /** Versions polls wrote while webhooks were enabled: changes webhooks missed. */
  changesMissed: number;
}

function webhookCounters(sync: Sync, runtime: SyncWebhookRuntime | null): WebhookCounters | null {
  if (!sync.webhooksEnabled) return null;
  return {
    received: Number(runtime?.received ?? 0),
    verified: Number(runtime?.verified ?? 0),
    rejected: Number(runtime?.rejected ?? 0),
    duplicates: Number(runtime?.duplicates ?? 0),
    lastReceivedAt: runtime?.lastReceivedAt ?? null,
    changesMissed: Number(runtime?.changesMissed ?? 0),
  };
}

export async function syncStatus(ctx: AppContext, principal: Principal, id: string): Promise<SyncStatus> {
  const status = (await syncStatuses(ctx, principal, [id])).get(id.toLowerCase());
  if (!status) throw new NotFoundError('sync', id);
  return status;
}

/**
 * The statuses of the syncs the caller may inspect among `ids` (as syncStatus: any account's
 * for root), keyed by lowercase id; an id it may not see is absent. Four statements for any number of syncs.
 */
export async function syncStatuses(ctx: AppContext, principal: Principal, ids: readonly string[]): Promise<Map<string, SyncStatus>> {
  // Ids arrive checked (REST's idParam, GraphQL's requireId); one that is not a uuid names no sync.
  const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
  if (wanted.length === 0) return new Map();
  const [syncs, runtimes, webhookRuntimes, counts] = await Promise.all([
    ctx.prisma.sync.findMany({ where: syncsVisibleTo(principal, wanted), include: { collections: true } }),
    ctx.prisma.syncRuntime.findMany({ where: { syncId: { in: wanted } } }),
    ctx.prisma.syncWebhookRuntime.findMany({ where: { syncId: { in: wanted } } }),
    // Records per collection, and the requests the runs flushed (sync_collection_runtime): one statement.
    ctx.pool.query<CollectionCountsRow>(
      `SELECT sync_id, collection_id, COALESCE(r.live, 0) AS live, COALESCE(r.deleted, 0) AS deleted,
              COALESCE(t.requests_made, 0) AS requests_made, COALESCE(t.delete_detection_requests, 0) AS delete_detection_requests
       FROM (SELECT sync_id, collection_id, count(*) FILTER (WHERE NOT deleted) AS live, count(*) FILTER (WHERE deleted) AS deleted
             FROM records WHERE sync_id = ANY($1::uuid[]) GROUP BY sync_id, collection_id) r
       FULL JOIN (SELECT sync_id, collection_id, requests_made, delete_detection_requests
                  FROM sync_collection_runtime WHERE sync_id = ANY($1::uuid[])) t USING (sync_id, collection_id)`,
      [wanted],
    ),
  ]);
  const runtimeOf = new Map(runtimes.map((r) => [r.syncId, r]));
  const webhookRuntimeOf = new Map(webhookRuntimes.map((r) => [r.syncId, r]));
  const countsOf = new Map<string, Map<string, CollectionCountsRow>>();
  for (const row of counts.rows) {
    const bySync = countsOf.get(row.sync_id) ?? new Map<string, CollectionCountsRow>();
    bySync.set(row.collection_id, row);
    countsOf.set(row.sync_id, bySync);
  }
  return new Map(syncs.map((sync) => [sync.id, statusOf(sync, runtimeOf.get(sync.id) ?? null, webhookRuntimeOf.get(sync.id) ?? null, countsOf.get(sync.id) ?? new Map(), syncActivityHere(sync.id))]));
}

/** A collection's numbers as `pg` answers them (bigints as text). */
interface CollectionCountsRow {
  sync_id: string;
  collection_id: string;
  live: string;
  deleted: string;
  requests_made: string;
  delete_detection_requests: string;
}

/** `GET /v1/syncs/{id}/status`. */
export async function getSyncStatus(ctx: AppContext, principal: Principal, id: string) {
  return presentSyncStatus(await syncStatus(ctx, principal, id));
}

function statusOf(
  sync: Sync & { collections: SyncCollection[] },
  runtime: SyncRuntime | null,
  webhookRuntime: SyncWebhookRuntime | null,
  counts: Map<string, CollectionCountsRow>,
  activity: SyncActivity | null,
): SyncStatus {
  const now = Date.now();
  const lastError = sync.lastError as SyncError | null;
  const order = new Map(sync.collectionIds.map((id, i) => [id, i]));
  const collections = [...sync.collections].sort((a, b) => (order.get(a.collectionId) ?? 0) - (order.get(b.collectionId) ?? 0));
  return {
    syncId: sync.id,
    state: syncState(sync, sync.collections),
    lastError,
    requestsMade: Number(runtime?.requestsMade ?? 0),
    rateLimitWaitMs: Number(runtime?.rateLimitWaitMs ?? 0),
    retries: Number(runtime?.retries ?? 0),
    lastPollAt: runtime?.lastPollAt ?? null,
    webhooks: webhookCounters(sync, webhookRuntime),
    collections: collections.map((c) => {
      const count = counts.get(c.collectionId);
      const percent = c.backfillDone ? 100 : c.totalCount ? Math.min(99.9, Math.round((1000 * c.backfillRecords) / c.totalCount) / 10) : null;
      return {
        collectionId: c.collectionId,
        records: Number(count?.live ?? 0),
        deletedRecords: Number(count?.deleted ?? 0),
        backfill: {
          done: c.backfillDone,
          pages: c.backfillPages,
          records: c.backfillRecords,
          total: c.totalCount,
          percent,
          startedAt: c.backfillStartedAt,
          completedAt: c.backfillCompletedAt,
        },
        changesFetched: c.changesFetched,
        requestsMade: Number(count?.requests_made ?? 0),
        deleteDetectionRequests: Number(count?.delete_detection_requests ?? 0),
        lastChangeAt: c.lastChangeAt,
        lastPollAt: runtime?.lastPollAt ?? null,
        lastError: lastError && (lastError.collectionId === c.collectionId || lastError.collectionId === null) ? lastError.message : null,
        activity: activity ? activity.view(c.collectionId, now) : null,
      };
    }),
  };
}

function presentActivity(activity: CollectionActivity | null) {
  if (!activity) return { in_flight: null, waiting: null };
  const { inFlight, waiting } = activity;
  return {
    in_flight: inFlight.map((r) => ({ method: r.method, path: r.path, since: r.since.toISOString(), age_ms: r.ageMs })),
    waiting: waiting && { reason: waiting.reason, since: waiting.since.toISOString(), until: iso(waiting.until), age_ms: waiting.ageMs },
  };
}

export const presentSyncStatus = (status: SyncStatus) => ({
  sync_id: status.syncId,
  state: status.state,
  last_error: status.lastError
    ? { code: status.lastError.code, message: status.lastError.message, collection_id: status.lastError.collectionId, at: status.lastError.at }
    : null,
  requests_made: status.requestsMade,
  rate_limit_wait_ms: status.rateLimitWaitMs,
  retries: status.retries,
  last_poll_at: iso(status.lastPollAt),
  webhooks: status.webhooks && {
    received: status.webhooks.received,
    verified: status.webhooks.verified,
    rejected: status.webhooks.rejected,
    duplicates: status.webhooks.duplicates,
    last_received_at: iso(status.webhooks.lastReceivedAt),
    changes_missed: status.webhooks.changesMissed,
  },
  collections: status.collections.map((c) => ({
    collection_id: c.collectionId,
    records: c.records,
    deleted_records: c.deletedRecords,
    backfill: {
      done: c.backfill.done,
      pages: c.backfill.pages,
      records: c.backfill.records,
      total: c.backfill.total,
      percent: c.backfill.percent,
      started_at: iso(c.backfill.startedAt),
      completed_at: iso(c.backfill.completedAt),
    },
    changes_fetched: c.changesFetched,
    requests_made: c.requestsMade,
    delete_detection_requests: c.deleteDetectionRequests,
    last_change_at: iso(c.lastChangeAt),
    last_poll_at: iso(c.lastPollAt),
    last_error: c.lastError,
    ...presentActivity(c.activity),
  })),
});
