import type pg from 'pg';
import type { AppContext } from '../app-context.ts';
import { appendRecords } from './ingest/append-records.ts';

export interface ScanTarget {
  syncId: string;
  /** The run's sync generation. */
  generation: number;
  streamId: string;
  collectionId: string;
}

/**
 * Tracks which objects a backfill listed, so that when it completes the records of objects no
 * longer upstream become tombstones. A first backfill finds nothing to remove; a resync does
 * (objects deleted while the sync was paused or before the provider's events feed reaches back).
 *
 * A scan that begins with no live record of the collection can never tombstone anything (every
 * record written after it began is newer than the listing), so it is stored with `started_idx`
 * 0 and what its pages list is not stored at all: a first backfill writes no scan rows.
 */
export class BackfillScan {
  /** Per collection: whether this run's pages must be stored (null: not read yet). */
  private readonly tracking = new Map<string, boolean>();

  constructor(private readonly ctx: AppContext) {}

  /** Starts (or restarts) the scan of a collection: forgets what an earlier backfill saw. */
  async begin(target: ScanTarget): Promise<void> {
    await this.ctx.pool.query('DELETE FROM backfill_seen WHERE sync_id = $1 AND collection_id = $2', [target.syncId, target.collectionId]);
    const { rows } = await this.ctx.pool.query<{ started_idx: string | bigint }>(
      `INSERT INTO backfill_scans (sync_id, collection_id, generation, started_idx)
       VALUES ($1, $2, $4, CASE
         WHEN EXISTS (SELECT 1 FROM records WHERE sync_id = $1 AND collection_id = $2 AND NOT deleted)
         THEN COALESCE((SELECT last_idx FROM stream_heads WHERE stream_id = $3), 0) ELSE 0 END)
       ON CONFLICT (sync_id, collection_id) DO UPDATE SET generation = EXCLUDED.generation, started_idx = EXCLUDED.started_idx
       RETURNING started_idx`,
      [target.syncId, target.collectionId, target.streamId, target.generation],
    );
    this.tracking.set(target.collectionId, String(rows[0]!.started_idx) !== '0');
  }

  /** Stores the ids a page listed, in the page's transaction (`db`) when given. */
  async saw(target: ScanTarget, upstreamIds: string[], db: pg.ClientBase | pg.Pool = this.ctx.pool): Promise<void> {
    if (upstreamIds.length === 0 || !(await this.isTracking(target, db))) return;
    await db.query(
      `INSERT INTO backfill_seen (sync_id, collection_id, upstream_id) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING`,
      [target.syncId, target.collectionId, upstreamIds],
    );
  }

  /** Whether the pages of this scan must be stored (`saw`); false for a scan that can tombstone nothing. */
  tracks(target: ScanTarget): Promise<boolean> {
    return this.isTracking(target, this.ctx.pool);
  }

  /** A scan with nothing to tombstone (or none: completed, or begun before scans) needs no rows. */
  private async isTracking(target: ScanTarget, db: pg.ClientBase | pg.Pool): Promise<boolean> {
    const known = this.tracking.get(target.collectionId);
    if (known !== undefined) return known;
    const { rows } = await db.query<{ started_idx: string | bigint }>('SELECT started_idx FROM backfill_scans WHERE sync_id = $1 AND collection_id = $2', [
      target.syncId,
      target.collectionId,
    ]);
    const tracking = rows.length > 0 && String(rows[0]!.started_idx) !== '0';
    this.tracking.set(target.collectionId, tracking);
    return tracking;
  }

  /**
   * Tombstones the live records the backfill did not see and that were last written before it
   * began (anything written since is newer than the listing), then forgets the scan.
   */
  async complete(target: ScanTarget): Promise<number> {
    this.tracking.delete(target.collectionId);
    const owned = await this.ctx.pool.query('SELECT 1 FROM backfill_scans WHERE sync_id = $1 AND collection_id = $2 AND generation = $3', [
      target.syncId,
      target.collectionId,
      target.generation,
    ]);
    if (owned.rowCount === 0) return 0; // completed already, or another run's scan
    const { rows } = await this.ctx.pool.query<{ upstream_id: string; data: Record<string, unknown>; upstream_created_at: Date | null }>(
      `SELECT r.upstream_id, r.data, r.upstream_created_at FROM records r
       JOIN backfill_scans s ON s.sync_id = r.sync_id AND s.collection_id = r.collection_id
       WHERE r.sync_id = $1 AND r.collection_id = $2 AND s.generation = $3 AND NOT r.deleted AND r.updated_idx <= s.started_idx
         AND NOT EXISTS (SELECT 1 FROM backfill_seen b WHERE b.sync_id = r.sync_id AND b.collection_id = r.collection_id AND b.upstream_id = r.upstream_id)`,
      [target.syncId, target.collectionId, target.generation],
    );
    for (let i = 0; i < rows.length; i += 500) {
      await appendRecords(this.ctx, {
        syncId: target.syncId,
        streamId: target.streamId,
        collectionId: target.collectionId,
        source: 'backfill',
        objects: rows.slice(i, i + 500).map((row) => ({
          upstreamId: row.upstream_id,
          data: row.data,
          upstreamCreatedAt: row.upstream_created_at,
          upstreamUpdatedAt: null,
          deleted: true,
        })),
      });
    }
    await this.ctx.pool.query('DELETE FROM backfill_seen WHERE sync_id = $1 AND collection_id = $2', [target.syncId, target.collectionId]);
    await this.ctx.pool.query('DELETE FROM backfill_scans WHERE sync_id = $1 AND collection_id = $2 AND generation = $3', [target.syncId, target.collectionId, target.generation]);
    return rows.length;
  }
}
