import { z } from 'zod';
import type { AppContext, Principal } from '../app-context.ts';
import type { RecordRow } from '../projections/record-row.ts';
import { recordPageJson } from './record-pages.ts';
import { findSync } from './syncs.ts';

/** The record shape of DESIGN.md §2. */
export interface RecordView {
  sync_id: string;
  collection_id: string;
  upstream_id: string;
  updated_idx: number;
  upstream_created_at: string | null;
  upstream_updated_at: string | null;
  deleted: boolean;
  data: unknown;
}

/** The same shape from a raw `records` row (delivery and live feeds read with SQL). */
export const presentRecordRow = (r: RecordRow): RecordView => ({
  sync_id: r.sync_id,
  collection_id: r.collection_id,
  upstream_id: r.upstream_id,
  updated_idx: Number(r.updated_idx),
  upstream_created_at: r.upstream_created_at?.toISOString() ?? null,
  upstream_updated_at: r.upstream_updated_at?.toISOString() ?? null,
  deleted: r.deleted,
  data: r.data,
});

/** A record version as GraphQL reads it: the same fields, named as the model names them. */
export interface RecordVersion {
  syncId: string;
  collectionId: string;
  upstreamId: string;
  /** Decimal: positions outgrow GraphQL's 32-bit Int. */
  updatedIdx: string;
  upstreamCreatedAt: string | null;
  upstreamUpdatedAt: string | null;
  deleted: boolean;
  data: unknown;
}

export const recordVersionOfRow = (r: RecordRow): RecordVersion => ({
  syncId: r.sync_id,
  collectionId: r.collection_id,
  upstreamId: r.upstream_id,
  updatedIdx: String(Number(r.updated_idx)),
  upstreamCreatedAt: r.upstream_created_at?.toISOString() ?? null,
  upstreamUpdatedAt: r.upstream_updated_at?.toISOString() ?? null,
  deleted: r.deleted,
  data: r.data,
});

/** From the JSON a record was delivered as (DESIGN.md §2), its timestamps as written there. */
export const recordVersionOfJson = (r: RecordView): RecordVersion => ({
  syncId: r.sync_id,
  collectionId: r.collection_id,
  upstreamId: r.upstream_id,
  updatedIdx: String(r.updated_idx),
  upstreamCreatedAt: r.upstream_created_at,
  upstreamUpdatedAt: r.upstream_updated_at,
  deleted: r.deleted,
  data: r.data,
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

/**
 * A sync's records in `updated_idx` order, after a position, as the JSON text of the answer
 * `{"data":[…],"next_cursor":…}`: at most `limit` records and, past the first, at most
 * SYNCLINE_MAX_ANSWER_BYTES of them (record-pages.ts); `next_cursor` continues either way.
 */
export async function listRecordsJson(ctx: AppContext, principal: Principal, syncId: string, query: z.infer<typeof recordsQuery>): Promise<string> {
  await findSync(ctx, principal, syncId);
  const page = await recordPageJson(ctx.pool, {
    syncId,
    collectionId: query.collection_id,
    afterIdx: BigInt(query.after_idx ?? query.cursor ?? 0),
    limit: query.limit,
    maxBytes: ctx.config.SYNCLINE_MAX_ANSWER_BYTES,
  });
  return `{"data":[${page.json.join(',')}],"next_cursor":${page.nextAfter === null ? 'null' : `"${page.nextAfter}"`}}`;
}
