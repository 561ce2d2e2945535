import { describe, expect, it } from 'vitest';
import { mutationDecider, type MutationCommand } from '../../src/domain/mutations/decide.ts';
import type { MutationEvent, MutationRecord } from '../../src/domain/mutations/events.ts';
import { ConflictError, InvariantError, NotFoundError } from '../../src/errors.ts';

const now = new Date('2026-01-01T00:00:00.000Z');
const metadata = { now };
const at = now.toISOString();
const ref = { runId: 'r1', accountId: 'a1', syncId: 's1' };
const request = {
  ...ref,
  collectionId: 'stripe:customer',
  kind: 'create' as const,
  idempotencyKey: 'k1',
  requestHash: 'h1',
  requestedBy: 't1',
  items: [
    { index: 0, upstreamId: null, fields: ['email'] },
    { index: 1, upstreamId: null, fields: ['email'] },
  ],
};
const record: MutationRecord = {
  sync_id: 's1',
  collection_id: 'stripe:customer',
  upstream_id: 'cus_1',
  updated_idx: 7,
  upstream_created_at: at,
  upstream_updated_at: at,
  deleted: false,
  data: { id: 'cus_1' },
};
const requested = { type: 'MutationRequested' as const, data: { ...request, attempt: 1, at } };
const applied = { type: 'MutationApplied' as const, data: { ...ref, index: 0, record, at } };
const failed = {
  type: 'MutationFailed' as const,
  data: { ...ref, index: 1, upstreamId: null, error: { code: 'parameter_unknown', message: 'no', upstreamStatus: 400 }, at },
};

/** decide(command, state of `history`); Emmett's DeciderSpecification cannot compare events holding nulls. */
const given = (history: MutationEvent[]) => ({
  when: (command: MutationCommand) => {
    const decide = () => mutationDecider.decide(command, history.reduce(mutationDecider.evolve, mutationDecider.initialState()));
    return {
      then: (expected: MutationEvent[]) => expect(decide()).toEqual(expected),
      thenThrows: (check: (error: unknown) => boolean) => {
        let thrown: unknown = null;
        try {
          decide();
        } catch (error) {
          thrown = error;
        }
        expect(thrown !== null && check(thrown)).toBe(true);
      },
    };
  },
});

describe('mutation run decider', () => {

  it('records a request once, a retry of an unfinished run as the next attempt, and nothing once complete', () => {
    given([]).when({ type: 'RequestMutation', data: request, metadata }).then([requested]);
    given([requested, applied])
      .when({ type: 'RequestMutation', data: request, metadata })
      .then([{ type: 'MutationRequested', data: { ...request, attempt: 2, at } }]);
    given([requested, applied, failed]).when({ type: 'RequestMutation', data: request, metadata }).then([]);
  });

  it('refuses a different request under the same key, and runs of another account or sync', () => {
    given([requested])
      .when({ type: 'RequestMutation', data: { ...request, requestHash: 'h2' }, metadata })
      .thenThrows((e) => e instanceof ConflictError && e.code === 'idempotency_key_reused');
    given([requested])
      .when({ type: 'RequestMutation', data: { ...request, accountId: 'a2' }, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
    given([requested])
      .when({ type: 'ApplyMutationItem', data: { ...ref, syncId: 's2', index: 0, record }, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
  });

  it('settles each item once', () => {
    given([requested]).when({ type: 'ApplyMutationItem', data: { ...ref, index: 0, record }, metadata }).then([applied]);
    given([requested]).when({ type: 'FailMutationItem', data: { ...ref, index: 1, upstreamId: null, error: failed.data.error }, metadata }).then([failed]);
    given([requested, applied]).when({ type: 'ApplyMutationItem', data: { ...ref, index: 0, record }, metadata }).then([]);
    given([requested, applied]).when({ type: 'FailMutationItem', data: { ...ref, index: 0, upstreamId: null, error: failed.data.error }, metadata }).then([]);
    given([]).when({ type: 'ApplyMutationItem', data: { ...ref, index: 0, record }, metadata }).thenThrows((e) => e instanceof NotFoundError);
    given([requested]).when({ type: 'ApplyMutationItem', data: { ...ref, index: 5, record }, metadata }).thenThrows((e) => e instanceof InvariantError && e.code === 'mutation_item_not_in_run');
  });
});
