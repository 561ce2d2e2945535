import type { AppContext, Principal } from '../app-context.ts';
import type { MutationKind, MutationRecord } from '../domain/mutations/events.ts';
import type { MutationItem, MutationRun } from '../generated/prisma/client.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';
import { findSync } from './syncs.ts';

/** The values the mutations read model stores in `mutation_runs.status` and `mutation_items.status` (src/projections/mutations.ts). */
type RunStatus = 'running' | 'completed';
type ItemStatus = 'requested' | 'applied' | 'failed';

/** A run as stored, its items in order. */
export type MutationRunWithItems = MutationRun & { items: MutationItem[] };

export type MutationItemErrorView = { code: string; message: string; upstream_status: number | null };

export type MutationItemAnswer = { ok: true; record: MutationRecord } | { ok: false; error: MutationItemErrorView };

const notSettled: MutationItemErrorView = { code: 'not_applied', message: 'the item was not sent upstream yet', upstream_status: null };

/** An item's outcome: the record it wrote, or why it did not (not sent yet counts as an error). */
export function itemOutcome(item: MutationItem): MutationItemAnswer {
  if (item.status === 'applied') return { ok: true, record: item.record as MutationRecord };
  return { ok: false, error: (item.error as MutationItemErrorView | null) ?? notSettled };
}

/** The answer of a run: the same for the call that ran it and for every retry with its idempotency key. */
export const presentRunAnswer = (run: MutationRunWithItems) => ({
  id: run.id,
  sync_id: run.syncId,
  collection_id: run.collectionId,
  kind: run.kind as MutationKind,
  idempotency_key: run.idempotencyKey,
  data: run.items.map(itemOutcome),
});

export function findRunWithItems(ctx: AppContext, runId: string): Promise<MutationRunWithItems> {
  return ctx.prisma.mutationRun.findUniqueOrThrow({ where: { id: runId }, include: { items: { orderBy: { index: 'asc' } } } });
}

/** An audit item: the record it wrote is not read, only its position (`auditItems`). */
type AuditItem = Omit<MutationItem, 'record'> & { updatedIdx: number | null };

/** A run in the audit trail: who asked for what, and each item's outcome. */
export const presentRunAudit = (run: MutationRun & { items: AuditItem[] }) => ({
  id: run.id,
  sync_id: run.syncId,
  collection_id: run.collectionId,
  kind: run.kind as MutationKind,
  idempotency_key: run.idempotencyKey,
  status: run.status as RunStatus,
  attempts: run.attempts,
  item_count: run.itemCount,
  applied: run.appliedCount,
  failed: run.failedCount,
  requested_by_token_id: run.requestedBy,
  created_at: run.createdAt.toISOString(),
  completed_at: run.completedAt?.toISOString() ?? null,
  items: run.items.map((item) => ({
    index: item.index,
    upstream_id: item.upstreamId,
    fields: item.fields,
    status: item.status as ItemStatus,
    updated_idx: item.updatedIdx,
    error: item.error as MutationItemErrorView | null,
    settled_at: item.settledAt?.toISOString() ?? null,
  })),
});

/** `GET /v1/syncs/{id}/mutations`: the sync's runs, oldest first. */
export async function listMutationRuns(ctx: AppContext, principal: Principal, syncId: string, page: PageInput) {
  await findSync(ctx, principal, syncId);
  const args = keysetArgs(page);
  const runs = await ctx.prisma.mutationRun.findMany({
    ...args,
    where: { ...args.where, syncId, accountId: principal.accountId },
    include: { items: { orderBy: { index: 'asc' }, omit: { record: true } } },
  });
  const positions = await itemPositions(ctx, runs.map((r) => r.id));
  const rows = runs.map((run) => ({ ...run, items: run.items.map((item) => ({ ...item, updatedIdx: positions.get(`${run.id}:${item.index}`) ?? null })) }));
  return toPage(rows, page, presentRunAudit);
}

/**
 * The position each applied item wrote, read in PostgreSQL: a page of 1,000 runs of 100 items
 * would otherwise bring every record the items wrote into the server (issue 21).
 */
async function itemPositions(ctx: AppContext, runIds: string[]): Promise<Map<string, number>> {
  const { rows } = await ctx.pool.query<{ key: string; updated_idx: string }>(
    `SELECT run_id || ':' || item_index AS key, record->>'updated_idx' AS updated_idx
     FROM mutation_items WHERE run_id = ANY($1::uuid[]) AND record ? 'updated_idx' AND jsonb_typeof(record->'updated_idx') = 'number'`,
    [runIds],
  );
  return new Map(rows.map((r) => [r.key, Number(r.updated_idx)]));
}
