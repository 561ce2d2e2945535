import type pg from 'pg';
import type { AppContext } from '../../app-context.ts';
import { progressEvent, type ProgressCommand } from '../../domain/syncs/decide.ts';
import { appendEventsInTransaction } from '../../db/raw-append.ts';

/**
 * Appends a run's checkpoint (`progressEvent`) to the sync's stream inside `db`'s transaction,
 * projected there too; a stale run gets `StaleRunError` from the projection, which rolls the
 * whole transaction back. The stream row is locked first, so this append never loses a race
 * (a concurrent Emmett append waits, then retries on its version conflict). The caller tells
 * live listeners after the commit (`ctx.bus.publish({channel: 'sync', …})`).
 */
export async function appendSyncProgressInTransaction(ctx: Pick<AppContext, 'inlineProjections'>, db: pg.ClientBase, command: ProgressCommand): Promise<void> {
  await appendEventsInTransaction(db, ctx.inlineProjections, `sync-${command.data.syncId}`, [progressEvent(command)], { lockStream: true });
}
