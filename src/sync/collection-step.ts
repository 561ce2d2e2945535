/**
 * One collection's sync as a state machine, with no I/O: where the collection stands, which
 * provider call its next step makes, and, given what the call answered (or how the step failed),
 * where it stands next and what the runner must do for it. sync-runner.ts makes the calls and
 * performs the effects.
 *
 * A collection with no changes cursor begins a backfill (a new sync, or a resync), lists it page
 * by page from its checkpoint, then polls for changes. A step is one backfill write (the one that
 * begins a backfill goes on to its first page) or one poll; the runner ends each step with the
 * crash guard's bookkeeping and clears the sync's error once no collection fails.
 */
import { CursorStalledError, STALLED_PAGES_LIMIT, stalledPagesAfter } from './cursor-progress.ts';
import type { StepFailure } from './step-failure.ts';

const MAX_ERROR_BACKOFF_MS = 60_000;

export type CollectionPosition =
  /** No changes cursor: a backfill must begin. */
  | { phase: 'start' }
  /** Listing everything from `backfillCursor` (null: the first page); changes are then read from `changesCursor`. */
  | { phase: 'backfill'; changesCursor: string; backfillCursor: string | null }
  | { phase: 'changes'; changesCursor: string };

export interface CollectionState {
  collectionId: string;
  position: CollectionPosition;
  /** Steps failed in a row: the retry delay grows with them. */
  failures: number;
  /** Pages in a row of the current phase that said more follows without moving the cursor (cursor-progress.ts). */
  stalledPages: number;
}

/** The collection's progress as stored (sync_collections). */
export interface StoredProgress {
  collectionId: string;
  changesCursor: string | null;
  backfillCursor: string | null;
  backfillDone: boolean;
}

export function collectionState(stored: StoredProgress): CollectionState {
  const { collectionId, changesCursor } = stored;
  const position: CollectionPosition =
    changesCursor === null
      ? { phase: 'start' }
      : stored.backfillDone
        ? { phase: 'changes', changesCursor }
        : { phase: 'backfill', changesCursor, backfillCursor: stored.backfillCursor };
  return { collectionId, position, failures: 0, stalledPages: 0 };
}

/** What the next call asks the provider. */
export type Call =
  /** Where the changes feed stands now: changes are read from there once the backfill is done. */
  | { type: 'initial_cursor' }
  /** Read the backfill page at `cursor` (with any read ahead after it) and write them. */
  | { type: 'backfill_pages'; cursor: string | null }
  /** Read the changes since `cursor` and append them. */
  | { type: 'changes'; cursor: string };

export function nextCall(state: CollectionState): Call {
  const { position } = state;
  switch (position.phase) {
    case 'start':
      return { type: 'initial_cursor' };
    case 'backfill':
      return { type: 'backfill_pages', cursor: position.backfillCursor };
    case 'changes':
      return { type: 'changes', cursor: position.changesCursor };
    default:
      return exhaustive(position);
  }
}

/** What a call answered; pages and changes are already written, each page but the last with its checkpoint. */
export type Answer =
  | { type: 'initial_cursor'; changesCursor: string }
  /** The last of the pages written. */
  | { type: 'backfill_pages'; last: BackfillPage }
  | { type: 'changes'; cursor: string; hasMore: boolean; changes: number };

export interface BackfillPage {
  nextCursor: string | null;
  pageRecords: number;
  totalCount: number | null;
}

/** A checkpoint: the progress command the runner records (with the sync's reference and generation). */
export type Checkpoint =
  | { type: 'StartBackfill'; data: { collectionId: string; changesCursor: string } }
  | { type: 'RecordBackfillPage'; data: { collectionId: string } & BackfillPage }
  | { type: 'RecordChanges'; data: { collectionId: string; cursor: string; changes: number } };

export function backfillPageCheckpoint(collectionId: string, page: BackfillPage): Extract<Checkpoint, { type: 'RecordBackfillPage' }> {
  return { type: 'RecordBackfillPage', data: { collectionId, nextCursor: page.nextCursor, pageRecords: page.pageRecords, totalCount: page.totalCount } };
}

export type Effect =
  /** Start the backfill's scan afresh (backfill-scan.ts). */
  | { type: 'begin_scan' }
  /** Tombstone the records of objects the completed backfill did not list. */
  | { type: 'complete_scan' }
  | { type: 'checkpoint'; checkpoint: Checkpoint }
  /** Tell live listeners a backfill page was stored (throttled by the runner). */
  | { type: 'notify_progress' }
  /** The upstream was polled now (the status shows it). */
  | { type: 'poll_done' }
  | { type: 'wait_for_next_poll' }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; message: string; fields: Record<string, unknown> }
  /** Put the sync in error; `bestEffort`: a failure to store it is ignored (the step is retried anyway). */
  | { type: 'fail_sync'; code: string; message: string; bestEffort: boolean }
  /** End the whole run (every collection): nothing to do until the sync is resumed or changed. */
  | { type: 'stop_run' }
  | { type: 'discard_read_ahead' }
  /** The step ended, in success or handled failure (crash-guard.ts). */
  | { type: 'step_ended' }
  /** Clear the sync's error once no collection's last step failed. */
  | { type: 'clear_error' }
  | { type: 'wait_to_retry'; ms: number };

export interface Transition {
  /** The state with the answer counted (stalled pages): it holds even when an effect fails. */
  counted: CollectionState;
  /** Performed in order; the first that fails fails the step. */
  effects: Effect[];
  /** The state once every effect is done. */
  next: CollectionState;
  /** Then: another call in the same step, the step's end (afterStep), or its failure (afterFailure). */
  then: 'call' | 'step_done' | { failed: StepFailure };
}

/** After `state`'s call (nextCall) answered `answer`. */
export function afterAnswer(state: CollectionState, answer: Answer): Transition {
  const { collectionId, position } = state;
  if (position.phase === 'start' && answer.type === 'initial_cursor') {
    // The new cursor counts only once StartBackfill is stored: a failed checkpoint retries all of it.
    const { changesCursor } = answer;
    return {
      counted: state,
      effects: [{ type: 'begin_scan' }, { type: 'checkpoint', checkpoint: { type: 'StartBackfill', data: { collectionId, changesCursor } } }],
      next: { ...state, position: { phase: 'backfill', changesCursor, backfillCursor: null } },
      then: 'call',
    };
  }
  if (position.phase === 'backfill' && answer.type === 'backfill_pages') return afterBackfillPages(state, position, answer.last);
  if (position.phase === 'changes' && answer.type === 'changes') return afterChanges(state, position, answer);
  throw new TypeError(`a ${answer.type} answer does not follow a ${position.phase} call`);
}

function afterBackfillPages(state: CollectionState, position: Extract<CollectionPosition, { phase: 'backfill' }>, last: BackfillPage): Transition {
  const { collectionId } = state;
  const counted = { ...state, stalledPages: stalledPagesAfter(state.stalledPages, position.backfillCursor, last.nextCursor) };
  if (counted.stalledPages >= STALLED_PAGES_LIMIT) return stalled(counted, [], 'backfill');
  const done = last.nextCursor === null;
  const logged: Effect = {
    type: 'log',
    // The backfill's completion has its state-change line once its checkpoint is stored (sync-state-log.ts).
    level: 'debug',
    message: done ? 'backfill complete' : 'backfill page',
    fields: { collectionId, pageRecords: last.pageRecords, totalCount: last.totalCount, done },
  };
  if (done) {
    // The last page's checkpoint waits for the scan's completion: the backfill is done once its tombstones are written.
    return {
      counted,
      effects: [{ type: 'complete_scan' }, { type: 'checkpoint', checkpoint: backfillPageCheckpoint(collectionId, last) }, logged],
      next: { ...counted, position: { phase: 'changes', changesCursor: position.changesCursor }, failures: 0 },
      then: 'step_done',
    };
  }
  return {
    counted,
    effects: [{ type: 'notify_progress' }, logged],
    next: { ...counted, position: { ...position, backfillCursor: last.nextCursor }, failures: 0 },
    then: 'step_done',
  };
}

function afterChanges(state: CollectionState, position: Extract<CollectionPosition, { phase: 'changes' }>, answer: Extract<Answer, { type: 'changes' }>): Transition {
  const { collectionId } = state;
  const before = position.changesCursor;
  const counted = { ...state, stalledPages: stalledPagesAfter(state.stalledPages, before, answer.hasMore ? answer.cursor : null) };
  const effects: Effect[] = [{ type: 'poll_done' }];
  if (counted.stalledPages >= STALLED_PAGES_LIMIT) return stalled(counted, effects, 'changes');
  // A poll that found nothing and did not move the cursor stores nothing.
  const moved = answer.cursor !== before || answer.changes > 0;
  if (moved) effects.push({ type: 'checkpoint', checkpoint: { type: 'RecordChanges', data: { collectionId, cursor: answer.cursor, changes: answer.changes } } });
  if (!answer.hasMore) effects.push({ type: 'wait_for_next_poll' });
  return {
    counted,
    effects,
    next: { ...counted, position: moved ? { phase: 'changes', changesCursor: answer.cursor } : position, failures: 0 },
    then: 'step_done',
  };
}

function stalled(counted: CollectionState, effects: Effect[], phase: 'backfill' | 'changes'): Transition {
  const error = new CursorStalledError(counted.stalledPages, `${phase} of ${counted.collectionId}: the upstream keeps saying more follows`);
  return { counted, effects, next: counted, then: { failed: { kind: 'halting', code: error.code, message: error.message } } };
}

/** After a step that ended well. */
export function afterStep(): Effect[] {
  return [{ type: 'step_ended' }, { type: 'clear_error' }];
}

export interface FailureHandling {
  effects: Effect[];
  next: CollectionState;
  /** false: the collection's run is over. */
  retry: boolean;
}

/** After a step of `state` failed; `jitter` in [0, 1) spreads the retries of many syncs. */
export function afterFailure(state: CollectionState, failure: StepFailure, jitter: number): FailureHandling {
  const effects: Effect[] = [{ type: 'discard_read_ahead' }, { type: 'step_ended' }];
  const { collectionId } = state;
  switch (failure.kind) {
    case 'stopped':
    case 'stale_run': // the scheduler is about to start the new run
      return { effects, next: state, retry: false };
    case 'halting':
      effects.push(
        { type: 'log', level: 'warn', message: 'sync stopped: retrying cannot help', fields: { collectionId, code: failure.code, reason: failure.message } },
        { type: 'fail_sync', code: failure.code, message: failure.message, bestEffort: false },
        { type: 'stop_run' }, // nothing to do until the sync is resumed or updated
      );
      return { effects, next: state, retry: false };
    case 'credential_rejected':
      effects.push(
        { type: 'fail_sync', code: 'upstream_auth_failed', message: failure.message, bestEffort: false },
        { type: 'stop_run' }, // nothing to do until the credential or the sync changes
      );
      return { effects, next: state, retry: false };
    case 'changes_expired':
      // The stored cursor stays until the new backfill's StartBackfill replaces it: a crash before that meets the expiry again.
      effects.push(
        { type: 'log', level: 'warn', message: 'changes expired upstream: resyncing the collection', fields: { collectionId, reason: failure.message } },
        { type: 'fail_sync', code: failure.code, message: failure.message, bestEffort: true },
      );
      return { effects, next: { ...state, position: { phase: 'start' }, failures: 0, stalledPages: 0 }, retry: true };
    case 'retryable': {
      const failures = state.failures + 1;
      const delay = retryDelayMs(failures, jitter);
      effects.push(
        { type: 'log', level: 'warn', message: 'sync step failed', fields: { collectionId, err: failure.error, retryInMs: Math.round(delay) } },
        { type: 'fail_sync', code: failure.code, message: failure.message, bestEffort: true },
        { type: 'wait_to_retry', ms: delay },
      );
      return { effects, next: { ...state, failures }, retry: true };
    }
    default:
      return exhaustive(failure);
  }
}

/** Exponential from 1 s up to a minute, times 0.5–1 (`jitter`). */
export function retryDelayMs(failures: number, jitter: number): number {
  return Math.min(MAX_ERROR_BACKOFF_MS, 500 * 2 ** Math.min(failures, 10)) * (0.5 + jitter / 2);
}

function exhaustive(value: never): never {
  throw new TypeError(`unexpected ${JSON.stringify(value)}`);
}
