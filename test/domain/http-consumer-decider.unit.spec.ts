import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, it } from 'vitest';
import { httpConsumerDecider, type HttpConsumerCommand } from '../../src/domain/http-consumers/decide.ts';
import type { HttpConsumerEvent, HttpConsumerSettings } from '../../src/domain/http-consumers/events.ts';
import { AppError, InvariantError } from '../../src/errors.ts';
import { refused } from './refused.ts';

const now = new Date('2026-01-01T00:00:00.000Z');
const metadata = { now };
const at = now.toISOString();
const ref = { consumerId: 'h1', accountId: 'a1' };
const otherAccount = { ...ref, accountId: 'a2' };
// No nulls in expected events (a consumer of the whole stream has a null syncId and collectionIds):
// Emmett's subset assertion does not descend into them.
const settings: HttpConsumerSettings = {
  name: 'billing-worker',
  syncId: 's1',
  collectionIds: ['stripe:invoice'],
  deliverPolicy: 'all',
  ackWaitMs: 30_000,
  maxDeliver: -1,
  maxAckPending: 1_000,
};
const changed: HttpConsumerSettings = { ...settings, name: 'invoices', ackWaitMs: 60_000, maxDeliver: 5 };

const created: HttpConsumerEvent = { type: 'HttpConsumerCreated', data: { ...ref, ...settings, streamId: 'st1', startIdx: '0', createdAt: at } };
const updated: HttpConsumerEvent = { type: 'HttpConsumerUpdated', data: { ...ref, ...changed, updatedAt: at } };
const deleted: HttpConsumerEvent = { type: 'HttpConsumerDeleted', data: { ...ref, deletedAt: at } };

describe('HTTP consumer decider', () => {
  const given = DeciderSpecification.for(httpConsumerDecider);

  describe('CreateHttpConsumer', () => {
    const create = { type: 'CreateHttpConsumer' as const, data: { ...ref, ...settings, streamId: 'st1', startIdx: '0' }, metadata };

    it('creates a consumer that starts after the given idx', () => {
      given([]).when(create).then([created]);
      given([])
        .when({ ...create, data: { ...create.data, deliverPolicy: 'new', startIdx: '4711' } })
        .then([{ type: 'HttpConsumerCreated', data: { ...created.data, deliverPolicy: 'new', startIdx: '4711' } }]);
    });

    it('refuses an id already used, even by a deleted consumer', () => {
      given([created]).when(create).thenThrows(refused(409, 'consumer_exists'));
      given([created, deleted]).when(create).thenThrows(refused(409, 'consumer_exists'));
    });
  });

  describe('UpdateHttpConsumer', () => {
    const update = { type: 'UpdateHttpConsumer' as const, data: { ...ref, ...changed }, metadata };

    it("replaces the consumer's settings, again and again", () => {
      given([created]).when(update).then([updated]);
      given([created, updated]).when({ ...update, data: { ...ref, ...settings } }).then([{ type: 'HttpConsumerUpdated', data: { ...ref, ...settings, updatedAt: at } }]);
    });

    it("refuses a missing, deleted or another account's consumer", () => {
      given([]).when(update).thenThrows(refused(404, 'not_found'));
      given([created, updated, deleted]).when(update).thenThrows(refused(404, 'not_found'));
      given([created]).when({ ...update, data: { ...update.data, accountId: 'a2' } }).thenThrows(refused(404, 'not_found'));
    });
  });

  describe('DeleteHttpConsumer', () => {
    const remove = { type: 'DeleteHttpConsumer' as const, data: ref, metadata };

    it('deletes a consumer', () => {
      given([created]).when(remove).then([deleted]);
      given([created, updated]).when(remove).then([deleted]);
    });

    it("refuses a missing, already deleted or another account's consumer", () => {
      given([]).when(remove).thenThrows(refused(404, 'not_found'));
      given([created, deleted]).when(remove).thenThrows(refused(404, 'not_found'));
      given([created]).when({ ...remove, data: otherAccount }).thenThrows(refused(404, 'not_found'));
    });
  });

  describe('ResetHttpConsumer', () => {
    const reset = { type: 'ResetHttpConsumer' as const, data: { ...ref, deliverPolicy: 'by_start_idx' as const, optStartIdx: '42', startIdx: '41' }, metadata };
    const firstReset: HttpConsumerEvent = { type: 'HttpConsumerReset', data: { ...reset.data, resetCount: 1, resetAt: at } };

    it('records the new start and numbers the resets, whatever the settings changes in between', () => {
      given([created]).when(reset).then([firstReset]);
      given([created, firstReset, updated])
        .when({ ...reset, data: { ...ref, deliverPolicy: 'new', startIdx: '99' } })
        .then([{ type: 'HttpConsumerReset', data: { ...ref, deliverPolicy: 'new', startIdx: '99', resetCount: 2, resetAt: at } }]);
    });

    it("refuses a missing, deleted or another account's consumer", () => {
      given([]).when(reset).thenThrows(refused(404, 'not_found'));
      given([created, deleted]).when(reset).thenThrows(refused(404, 'not_found'));
      given([created]).when({ ...reset, data: { ...reset.data, accountId: 'a2' } }).thenThrows(refused(404, 'not_found'));
    });
  });

  it('fails on a command of a type it does not know, as a bug (a logged 500), not a refusal', () => {
    const bogus = { type: 'PauseHttpConsumer', data: ref, metadata } as unknown as HttpConsumerCommand;
    given([created]).when(bogus).thenThrows((e) => e instanceof InvariantError && !(e instanceof AppError) && e.code === 'unknown_command');
  });

  it('reads past an event type this release does not know', () => {
    const future = { type: 'HttpConsumerPaused', data: { ...ref, at } } as unknown as HttpConsumerEvent;
    given([created, future]).when({ type: 'DeleteHttpConsumer', data: ref, metadata }).then([deleted]);
  });
});
