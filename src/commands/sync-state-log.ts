import type { SyncEvent } from '../domain/syncs/events.ts';
import type { Logger } from '../logger.ts';

/**
 * The one log line of each state change of a sync (docs/OPERATIONS.md "Logs"), written once its
 * event is appended: `stateChange` names it as notifications do. A run starting is told by the
 * runner (`sync.started`).
 */
export function logSyncStateChange(logger: Logger, event: SyncEvent): void {
  const { syncId, accountId } = event.data;
  switch (event.type) {
    case 'SyncFailed':
      logger.warn(
        { stateChange: 'sync.error', syncId, accountId, collectionId: event.data.collectionId ?? undefined, code: event.data.code },
        `sync error: ${event.data.message}`,
      );
      return;
    case 'SyncRecovered':
      logger.info({ stateChange: 'sync.recovered', syncId, accountId }, 'sync recovered');
      return;
    case 'SyncPaused':
      logger.info({ stateChange: 'sync.paused', syncId, accountId }, 'sync paused');
      return;
    case 'SyncResumed':
      logger.info({ stateChange: 'sync.resumed', syncId, accountId }, 'sync resumed');
      return;
    case 'BackfillPageFetched':
      if (event.data.nextCursor === null) logger.info({ stateChange: 'sync.backfill_completed', syncId, accountId, collectionId: event.data.collectionId }, 'backfill completed');
      return;
    default:
      return;
  }
}
