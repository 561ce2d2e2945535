import { describe, expect, it } from 'vitest';
import {
  afterAnswer,
  afterFailure,
  afterStep,
  collectionState,
  nextCall,
  retryDelayMs,
  type Answer,
  type CollectionState,
  type Effect,
  type Transition,
} from '../../src/sync/collection-step.ts';
import { STALLED_PAGES_LIMIT } from '../../src/sync/cursor-progress.ts';

const c = 'customer';
const start: CollectionState = { collectionId: c, position: { phase: 'start' }, failures: 0, stalledPages: 0 };
const backfillAt = (cursor: string | null, more: Partial<CollectionState> = {}): CollectionState => ({
  collectionId: c,
  position: { phase: 'backfill', changesCursor: 'evt_0', backfillCursor: cursor },
  failures: 0,
  stalledPages: 0,
  ...more,
});
const changesAt = (cursor: string, more: Partial<CollectionState> = {}): CollectionState => ({
  collectionId: c,
  position: { phase: 'changes', changesCursor: cursor },
  failures: 0,
  stalledPages: 0,
  ...more,
});
const page = (nextCursor: string | null, pageRecords = 100): Answer => ({ type: 'backfill_pages', last: { nextCursor, pageRecords, totalCount: 250 } });
const changes = (cursor: string, count: number, hasMore = false): Answer => ({ type: 'changes', cursor, hasMore, changes: count });
const kinds = (effects: Effect[]) => effects.map((e) => (e.type === 'checkpoint' ? `checkpoint:${e.checkpoint.type}` : e.type === 'log' ? `log:${e.message}` : e.type));

describe('collection step: where a collection starts', () => {
  it.each([
    ['no changes cursor: a backfill begins', { changesCursor: null, backfillCursor: 'cus_9', backfillDone: true }, { phase: 'start' }, { type: 'initial_cursor' }],
    ['a backfill under way resumes at its cursor', { changesCursor: 'evt_0', backfillCursor: 'cus_9', backfillDone: false }, { phase: 'backfill', changesCursor: 'evt_0', backfillCursor: 'cus_9' }, { type: 'backfill_pages', cursor: 'cus_9' }],
    ['a new backfill reads its first page', { changesCursor: 'evt_0', backfillCursor: null, backfillDone: false }, { phase: 'backfill', changesCursor: 'evt_0', backfillCursor: null }, { type: 'backfill_pages', cursor: null }],
    ['a finished backfill polls for changes', { changesCursor: 'evt_0', backfillCursor: null, backfillDone: true }, { phase: 'changes', changesCursor: 'evt_0' }, { type: 'changes', cursor: 'evt_0' }],
  ])('%s', (_, stored, position, call) => {
    const state = collectionState({ collectionId: c, ...stored });
    expect(state).toEqual({ collectionId: c, position, failures: 0, stalledPages: 0 });
    expect(nextCall(state)).toEqual(call);
  });
});

describe('collection step: transitions', () => {
  it.each<[string, CollectionState, Answer, string[], CollectionState, Transition['then']]>([
    [
      'the initial cursor begins the scan and a backfill; the same step reads the first page',
      start,
      { type: 'initial_cursor', changesCursor: 'evt_1' },
      ['begin_scan', 'checkpoint:StartBackfill'],
      { ...start, position: { phase: 'backfill', changesCursor: 'evt_1', backfillCursor: null } },
      'call',
    ],
    [
      'a backfill page with more after it tells listeners and moves the backfill cursor',
      backfillAt('cus_1', { failures: 3 }),
      page('cus_2'),
      ['notify_progress', 'log:backfill page'],
      backfillAt('cus_2'),
      'step_done',
    ],
    [
      'the last backfill page completes the scan, stores its checkpoint, and changes are polled next',
      backfillAt('cus_2'),
      page(null, 50),
      ['complete_scan', 'checkpoint:RecordBackfillPage', 'log:backfill complete'],
      changesAt('evt_0'),
      'step_done',
    ],
    [
      'a change page moves the cursor, then waits for the next poll',
      changesAt('evt_1'),
      changes('evt_5', 4),
      ['poll_done', 'checkpoint:RecordChanges', 'wait_for_next_poll'],
      changesAt('evt_5'),
      'step_done',
    ],
    [
      'a change page with more after it is followed at once',
      changesAt('evt_1'),
      changes('evt_5', 100, true),
      ['poll_done', 'checkpoint:RecordChanges'],
      changesAt('evt_5'),
      'step_done',
    ],
    ['a poll with nothing new stores nothing', changesAt('evt_1', { failures: 2 }), changes('evt_1', 0), ['poll_done', 'wait_for_next_poll'], changesAt('evt_1'), 'step_done'],
    [
      'deletes at an unmoved cursor are changes: their count is stored',
      changesAt('evt_1'),
      changes('evt_1', 2),
      ['poll_done', 'checkpoint:RecordChanges', 'wait_for_next_poll'],
      changesAt('evt_1'),
      'step_done',
    ],
  ])('%s', (_, state, answer, effects, next, then) => {
    const transition = afterAnswer(state, answer);
    expect(kinds(transition.effects)).toEqual(effects);
    expect(transition.next).toEqual(next);
    expect(transition.then).toEqual(then);
  });

  it('writes the checkpoints a step stores', () => {
    expect(afterAnswer(start, { type: 'initial_cursor', changesCursor: 'evt_1' }).effects[1]).toEqual({
      type: 'checkpoint',
      checkpoint: { type: 'StartBackfill', data: { collectionId: c, changesCursor: 'evt_1' } },
    });
    expect(afterAnswer(backfillAt('cus_2'), page(null, 50)).effects[1]).toEqual({
      type: 'checkpoint',
      checkpoint: { type: 'RecordBackfillPage', data: { collectionId: c, nextCursor: null, pageRecords: 50, totalCount: 250 } },
    });
    expect(afterAnswer(changesAt('evt_1'), changes('evt_5', 4)).effects[1]).toEqual({
      type: 'checkpoint',
      checkpoint: { type: 'RecordChanges', data: { collectionId: c, cursor: 'evt_5', changes: 4 } },
    });
  });

  it('keeps the position until the effects are done, but counts a stalled page at once', () => {
    const transition = afterAnswer(changesAt('evt_1', { stalledPages: 3, failures: 2 }), changes('evt_1', 5, true));
    expect(transition.counted).toEqual(changesAt('evt_1', { stalledPages: 4, failures: 2 }));
    expect(transition.next).toEqual(changesAt('evt_1', { stalledPages: 4 }));
  });

  it('refuses an answer to another call than the state makes', () => {
    expect(() => afterAnswer(start, page(null))).toThrow(TypeError);
  });

  it('ends a good step with the crash guard and clears the sync error', () => {
    expect(afterStep()).toEqual([{ type: 'step_ended' }, { type: 'clear_error' }]);
  });
});

describe('collection step: a cursor that does not move', () => {
  it.each([
    ['backfill', backfillAt('cus_1'), page('cus_1'), []],
    ['changes', changesAt('evt_1'), changes('evt_1', 0, true), ['poll_done']],
  ])('stops the %s after STALLED_PAGES_LIMIT pages in a row', (phase, initial, answer, lastEffects) => {
    let state = initial;
    for (let i = 1; i < STALLED_PAGES_LIMIT; i++) {
      const transition = afterAnswer(state, answer);
      expect(transition.then).toBe('step_done');
      state = transition.next;
      expect(state.stalledPages).toBe(i);
    }
    const last = afterAnswer(state, answer);
    expect(kinds(last.effects)).toEqual(lastEffects);
    expect(last.then).toEqual({
      failed: {
        kind: 'halting',
        code: 'upstream_cursor_stalled',
        message: `the cursor did not advance after ${STALLED_PAGES_LIMIT} pages (${phase} of ${c}: the upstream keeps saying more follows)`,
      },
    });
  });

  it('starts counting again when the cursor moves, and when the listing ends', () => {
    expect(afterAnswer(backfillAt('cus_1', { stalledPages: 7 }), page('cus_2')).next.stalledPages).toBe(0);
    expect(afterAnswer(backfillAt('cus_1', { stalledPages: 7 }), page(null)).next.stalledPages).toBe(0);
    expect(afterAnswer(changesAt('evt_1', { stalledPages: 7 }), changes('evt_1', 0, false)).next.stalledPages).toBe(0);
  });
});

describe('collection step: failures', () => {
  const state = changesAt('evt_1', { failures: 2, stalledPages: 1 });

  it.each([
    ['a stopped run ends quietly', { kind: 'stopped' } as const, ['discard_read_ahead', 'step_ended']],
    ['a stale run ends quietly: the new run takes over', { kind: 'stale_run' } as const, ['discard_read_ahead', 'step_ended']],
    [
      'a halting failure puts the sync in error and stops the run',
      { kind: 'halting', code: 'upstream_body_too_large', message: 'too large' } as const,
      ['discard_read_ahead', 'step_ended', 'log:sync stopped: retrying cannot help', 'fail_sync', 'stop_run'],
    ],
    ['a rejected credential puts the sync in error and stops the run', { kind: 'credential_rejected', message: 'Stripe rejected the credential (HTTP 401): no' } as const, ['discard_read_ahead', 'step_ended', 'fail_sync', 'stop_run']],
  ])('%s', (_, failure, effects) => {
    const handling = afterFailure(state, failure, 0.5);
    expect(kinds(handling.effects)).toEqual(effects);
    expect(handling.retry).toBe(false);
    expect(handling.next).toEqual(state);
  });

  it('names the error it puts the sync in', () => {
    const failSync = (effects: Effect[]) => effects.find((e) => e.type === 'fail_sync');
    expect(failSync(afterFailure(state, { kind: 'halting', code: 'upstream_page_too_large', message: 'm' }, 0).effects)).toEqual({ type: 'fail_sync', code: 'upstream_page_too_large', message: 'm', bestEffort: false });
    expect(failSync(afterFailure(state, { kind: 'credential_rejected', message: 'm' }, 0).effects)).toEqual({ type: 'fail_sync', code: 'upstream_auth_failed', message: 'm', bestEffort: false });
  });

  it('retries any other failure after a growing delay, showing the error meanwhile', () => {
    const error = new Error('socket hang up');
    const handling = afterFailure(state, { kind: 'retryable', code: 'upstream_error', message: error.message, error }, 0);
    expect(handling.retry).toBe(true);
    expect(handling.next).toEqual({ ...state, failures: 3 });
    expect(handling.effects).toEqual([
      { type: 'discard_read_ahead' },
      { type: 'step_ended' },
      { type: 'log', level: 'warn', message: 'sync step failed', fields: { collectionId: c, err: error, retryInMs: 2000 } },
      { type: 'fail_sync', code: 'upstream_error', message: 'socket hang up', bestEffort: true },
      { type: 'wait_to_retry', ms: 2000 },
    ]);
  });

  it('lists the collection afresh at once when the upstream no longer keeps its changes, saying so in the status', () => {
    const message = 'stripe: Customers events were last read 31 days ago; resyncing the collection from a full listing';
    const handling = afterFailure(state, { kind: 'changes_expired', code: 'upstream_changes_expired', message }, 0);
    expect(handling.retry).toBe(true);
    expect(handling.next).toEqual({ ...state, position: { phase: 'start' }, failures: 0, stalledPages: 0 });
    expect(nextCall(handling.next)).toEqual({ type: 'initial_cursor' });
    expect(handling.effects).toEqual([
      { type: 'discard_read_ahead' },
      { type: 'step_ended' },
      { type: 'log', level: 'warn', message: 'changes expired upstream: resyncing the collection', fields: { collectionId: c, reason: message } },
      { type: 'fail_sync', code: 'upstream_changes_expired', message, bestEffort: true },
    ]);
  });

  it.each([
    [1, 0, 500],
    [1, 0.999_999, 1000],
    [3, 0, 2000],
    [6, 0, 16_000],
    [7, 0, 30_000],
    [8, 0.999_999, 60_000],
    [50, 0, 30_000],
  ])('waits after %i failures (jitter %s) about %i ms', (failures, jitter, ms) => {
    expect(retryDelayMs(failures, jitter)).toBeCloseTo(ms, -1);
  });
});
