import { z } from 'zod';
import type { AppContext, Principal } from '../commands/context.ts';
import type { RecordRow } from '../consumers/delivery.ts';
import type { Record as RecordModel } from '../generated/prisma/client.ts';
import { findSync } from './syncs.ts';

/** The record shape of DESIGN.md §2. */
export const presentRecord = (r: RecordModel) => ({
  sync_id: r.syncId,
  collection_id: r.collectionId,
  upstream_id: r.upstreamId,
  updated_idx: Number(r.updatedIdx),
  upstream_created_at: r.upstreamCreatedAt?.toISOString() ?? null,
  upstream_updated_at: r.upstreamUpdatedAt?.toISOString() ?? null,
  deleted: r.deleted,
  data: r.data,
});

export type RecordView = ReturnType<typeof presentRecord>;

/** The same shape from a raw `records` row (delivery and live feeds read with SQL). */
export const presentRecordRow = (r: RecordRow): RecordView => ({
  sync_id: r.sync_id,
  collection_id: r.collection_id,
  upstream_id: r.upstream_id,
  updated_idx: Number(r.updated_idx),
  upstream_created_at: r.upstream_created_at?.toISOString() ?? null,
  upstream_updated_at: r.upstream_updated_at?.toISOString() ?? null,
  deleted: r.deleted,
  data: r.data as RecordView['data'],
});

export const recordsQuery = z
  .object({
    collection_id: z.string().min(1).max(100).optional(),
    after_idx: z.coerce.number().int().min(0).optional(),
    /** `next_cursor` of a previous page (the last idx), same as after_idx */
    cursor: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** A sync's records in `updated_idx` order, after a position. */
export async function listRecords(ctx: AppContext, principal: Principal, syncId: string, query: z.infer<typeof recordsQuery>) {
  await findSync(ctx, principal, syncId);
  const after = BigInt(query.after_idx ?? query.cursor ?? 0);
  const rows = await ctx.prisma.record.findMany({
    where: { syncId, ...(query.collection_id ? { collectionId: query.collection_id } : {}), updatedIdx: { gt: after } },
    orderBy: { updatedIdx: 'asc' },
    take: query.limit,
  });
  const last = rows[rows.length - 1];
  return { data: rows.map(presentRecord), next_cursor: rows.length === query.limit && last ? String(last.updatedIdx) : null };
}
