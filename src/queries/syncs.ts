import type { Sync, SyncCollection, SyncRuntime } from '../generated/prisma/client.ts';
import type { AppContext, Principal } from '../app-context.ts';
import type { RateLimit } from '../domain/syncs/events.ts';
import { NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { syncActivityHere, type SyncActivity } from '../sync/in-flight.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';
import { syncListingScope, syncsVisibleTo, syncVisibleTo } from './sync-scope.ts';

export type SyncState = 'backfilling' | 'active' | 'paused' | 'error';

type SyncError = { code: string; message: string; collectionId: string | null; at: string };

export function syncState(sync: Sync, collections: SyncCollection[]): SyncState {
  if (sync.paused) return 'paused';
  if (sync.lastError) return 'error';
  return collections.every((c) => c.backfillDone) ? 'active' : 'backfilling';
}

export const presentSync = (sync: Sync & { collections: SyncCollection[] }) => {
  const rateLimit = sync.rateLimit as RateLimit;
  return {
    id: sync.id,
    account_id: sync.accountId,
    name: sync.name,
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
    created_at: sync.createdAt.toISOString(),
    updated_at: sync.updatedAt.toISOString(),
  };
};

/** `page.account_id`: root may list another account's syncs, or every account's (`all`); see sync-scope.ts. */
export async function listSyncs(ctx: AppContext, principal: Principal, page: PageInput & { account_id?: unknown }, streamId?: string) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.sync.findMany({
    ...args,
    where: { ...args.where, ...syncListingScope(principal, page.account_id), ...(streamId ? { streamId } : {}) },
    include: { collections: true },
  });
  return toPage(rows, page, presentSync);
}

/** The caller's sync; `operator`: any account's for the root token (inspection only: not its records). */
export async function findSync(ctx: AppContext, principal: Principal, id: string, { operator = false } = {}) {
  const where = operator ? syncVisibleTo(principal, id) : { id, accountId: principal.accountId };
  const sync = await ctx.prisma.sync.findFirst({ where, include: { collections: true } });
  if (!sync) throw new NotFoundError('sync', id);
  return sync;
}

export async function getSync(ctx: AppContext, principal: Principal, id: string) {
  return presentSync(await findSync(ctx, principal, id, { operator: true }));
}

/** Status: state, per-collection backfill progress and counts, last poll, errors, request accounting. */
export async function getSyncStatus(ctx: AppContext, principal: Principal, id: string) {
  const status = (await syncStatuses(ctx, principal, [id])).get(id.toLowerCase());
  if (!status) throw new NotFoundError('sync', id);
  return status;
}

export type SyncStatusView = ReturnType<typeof presentStatus>;

/**
 * The statuses of the syncs the caller may inspect among `ids` (as getSyncStatus: any account's
 * for root), keyed by lowercase id; an id it may not see is absent. Three statements for any number of syncs.
 */
export async function syncStatuses(ctx: AppContext, principal: Principal, ids: readonly string[]): Promise<Map<string, SyncStatusView>> {
  // Ids arrive checked (REST's idParam, GraphQL's requireId); one that is not a uuid names no sync.
  const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
  if (wanted.length === 0) return new Map();
  const [syncs, runtimes, counts] = await Promise.all([
    ctx.prisma.sync.findMany({ where: syncsVisibleTo(principal, wanted), include: { collections: true } }),
    ctx.prisma.syncRuntime.findMany({ where: { syncId: { in: wanted } } }),
    ctx.pool.query<{ sync_id: string; collection_id: string; live: string; deleted: string }>(
      `SELECT sync_id, collection_id, count(*) FILTER (WHERE NOT deleted) AS live, count(*) FILTER (WHERE deleted) AS deleted
       FROM records WHERE sync_id = ANY($1::uuid[]) GROUP BY sync_id, collection_id`,
      [wanted],
    ),
  ]);
  const runtimeOf = new Map(runtimes.map((r) => [r.syncId, r]));
  const countsOf = new Map<string, Map<string, { live: string; deleted: string }>>();
  for (const row of counts.rows) {
    const bySync = countsOf.get(row.sync_id) ?? new Map<string, { live: string; deleted: string }>();
    bySync.set(row.collection_id, row);
    countsOf.set(row.sync_id, bySync);
  }
  return new Map(syncs.map((sync) => [sync.id, presentStatus(sync, runtimeOf.get(sync.id) ?? null, countsOf.get(sync.id) ?? new Map(), syncActivityHere(sync.id))]));
}

function presentStatus(
  sync: Sync & { collections: SyncCollection[] },
  runtime: SyncRuntime | null,
  counts: Map<string, { live: string; deleted: string }>,
  activity: SyncActivity | null,
) {
  const now = Date.now();
  const lastError = sync.lastError as SyncError | null;
  const order = new Map(sync.collectionIds.map((id, i) => [id, i]));
  const collections = [...sync.collections].sort((a, b) => (order.get(a.collectionId) ?? 0) - (order.get(b.collectionId) ?? 0));
  return {
    sync_id: sync.id,
    state: syncState(sync, sync.collections),
    last_error: lastError ? { code: lastError.code, message: lastError.message, collection_id: lastError.collectionId, at: lastError.at } : null,
    requests_made: Number(runtime?.requestsMade ?? 0),
    rate_limit_wait_ms: Number(runtime?.rateLimitWaitMs ?? 0),
    retries: Number(runtime?.retries ?? 0),
    last_poll_at: runtime?.lastPollAt?.toISOString() ?? null,
    collections: collections.map((c) => {
      const count = counts.get(c.collectionId);
      const percent = c.backfillDone ? 100 : c.totalCount ? Math.min(99.9, Math.round((1000 * c.backfillRecords) / c.totalCount) / 10) : null;
      return {
        collection_id: c.collectionId,
        records: Number(count?.live ?? 0),
        deleted_records: Number(count?.deleted ?? 0),
        backfill: {
          done: c.backfillDone,
          pages: c.backfillPages,
          records: c.backfillRecords,
          total: c.totalCount,
          percent,
          started_at: c.backfillStartedAt?.toISOString() ?? null,
          completed_at: c.backfillCompletedAt?.toISOString() ?? null,
        },
        changes_fetched: c.changesFetched,
        last_change_at: c.lastChangeAt?.toISOString() ?? null,
        last_poll_at: runtime?.lastPollAt?.toISOString() ?? null,
        last_error: lastError && (lastError.collectionId === c.collectionId || lastError.collectionId === null) ? lastError.message : null,
        // What the run is doing upstream now; null when the sync does not run on this instance (in-flight.ts).
        ...(activity ? activity.view(c.collectionId, now) : { in_flight: null, waiting: null }),
      };
    }),
  };
}
