/**
 * A sync that crashed the process is not restarted blindly (issue 21, finding 2: a hostile
 * upstream killed the server again within seconds of every restart).
 *
 * When a run starts it writes one row (`sync_crash_markers`: this boot, the sync's generation)
 * and deletes it once every collection of the run has ended its first step, in success or in a
 * handled failure, or when the run stops. A row that another boot left behind means that boot
 * died while this sync's first step after a start was in flight: the start counts it, unless the
 * sync's checkpoints moved since the row was written (that boot made progress: a process killed
 * from outside while the sync was working, not a sync stuck on a step). A run resumes from its
 * last checkpoint, so a step that kills the process is the first step of every start, at the
 * same position; after SYNCLINE_SYNC_CRASH_LIMIT such deaths in a row the sync is put in `error`
 * (`sync_crash_limit`) instead of being started. A resume or an update (a new generation) starts
 * a fresh count. Syncs that complete their first step are cleared, so they are not blamed for
 * another sync's crash; a sync whose first step was still on the wire when the process died (a
 * slow upstream) is counted once, and cleared by its next completed step.
 *
 * Writes: one upsert per run start and one delete per run, never per page. With several
 * instances the row follows the sync's lease; in embedded mode there is one process.
 */
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../app-context.ts';
import type { SyncCollection } from '../generated/prisma/client.ts';
import { handleSync } from '../commands/syncs.ts';

/** This process's boot: a row of another boot, still there at a start, is a boot that died. */
const BOOT_ID = randomUUID();

type SyncAtStart = { id: string; accountId: string; generation: number; collectionIds: string[]; collections: SyncCollection[] };

/**
 * Where the sync stands: what any completed step moves (a backfill page, a completion, a poll that
 * moved the changes cursor, with or without changes written: a poll re-reading what a killed run
 * already wrote writes nothing, yet it made progress). The changes cursor counts once the
 * backfill is done: before, it is only the "now" a backfill's first step takes, not progress.
 */
function position(sync: SyncAtStart): string {
  return JSON.stringify(
    [...sync.collections]
      .sort((a, b) => a.collectionId.localeCompare(b.collectionId))
      .map((c) => [c.collectionId, c.backfillDone, c.backfillPages, c.backfillRecords, c.backfillCursor, c.backfillDone ? c.changesCursor : null, c.changesFetched]),
  );
}

export class CrashGuard {
  private readonly pending: Set<string>;
  private cleared = false;

  private constructor(
    private readonly ctx: AppContext,
    private readonly syncId: string,
    collectionIds: string[],
  ) {
    this.pending = new Set(collectionIds);
  }

  /**
   * Marks the run's first steps in flight and counts the previous boot's death in them. Null when
   * the sync crashed the process too often: it is put in error (`sync_crash_limit`) and must not run.
   */
  static async begin(ctx: AppContext, sync: SyncAtStart): Promise<CrashGuard | null> {
    const { rows } = await ctx.pool.query<{ crashes: number }>(
      `INSERT INTO sync_crash_markers (sync_id, generation, boot_id, position, crashes) VALUES ($1, $2, $3, $4, 0)
       ON CONFLICT (sync_id) DO UPDATE SET
         crashes = CASE WHEN sync_crash_markers.generation <> EXCLUDED.generation OR sync_crash_markers.position <> EXCLUDED.position THEN 0
                        WHEN sync_crash_markers.boot_id = EXCLUDED.boot_id THEN sync_crash_markers.crashes
                        ELSE sync_crash_markers.crashes + 1 END,
         generation = EXCLUDED.generation, boot_id = EXCLUDED.boot_id, position = EXCLUDED.position, started_at = clock_timestamp()
       RETURNING crashes`,
      [sync.id, sync.generation, BOOT_ID, position(sync)],
    );
    const crashes = rows[0]!.crashes;
    const limit = ctx.config.SYNCLINE_SYNC_CRASH_LIMIT;
    if (crashes < limit) return new CrashGuard(ctx, sync.id, sync.collectionIds);
    ctx.logger.error({ syncId: sync.id, crashes, limit }, 'sync not started: the process died during its first step too often');
    const message =
      `the server process died ${crashes} times in a row while this sync's first step after a start was in flight ` +
      `(SYNCLINE_SYNC_CRASH_LIMIT=${limit}); it is not started again until it is resumed or updated`;
    await handleSync(ctx, { type: 'FailSync', data: { syncId: sync.id, accountId: sync.accountId, code: 'sync_crash_limit', message, collectionId: null }, metadata: { now: ctx.now() } });
    return null;
  }

  /** A collection's first step of this run ended (success or handled failure): the process survived it. */
  stepEnded(collectionId: string): void {
    if (this.cleared || !this.pending.delete(collectionId) || this.pending.size > 0) return;
    void this.clear();
  }

  /** The run ended or was stopped: whatever it had in flight did not kill the process. */
  async clear(): Promise<void> {
    if (this.cleared) return;
    this.cleared = true;
    await this.ctx.pool
      .query('DELETE FROM sync_crash_markers WHERE sync_id = $1 AND boot_id = $2', [this.syncId, BOOT_ID])
      .catch((error: unknown) => this.ctx.logger.warn({ err: error, syncId: this.syncId }, 'crash marker not cleared'));
  }
}
