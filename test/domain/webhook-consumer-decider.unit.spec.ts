import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, expect, it } from 'vitest';
import { decide, evolve, initialState, webhookConsumerDecider, type WebhookConsumerCommand } from '../../src/domain/webhook-consumers/decide.ts';
import type { WebhookConsumerEvent, WebhookConsumerSettings } from '../../src/domain/webhook-consumers/events.ts';
import { InvariantError } from '../../src/errors.ts';
import { refused } from './refused.ts';

const now = new Date('2026-01-01T00:00:00.000Z');
const metadata = { now };
const at = now.toISOString();
const ref = { consumerId: 'w1', accountId: 'a1' };
const otherAccount = { ...ref, accountId: 'a2' };
// No nulls in expected events: Emmett's subset assertion does not descend into them.
const selection = { streamId: 'st1', syncId: 's1', collectionIds: ['stripe:invoice'], provider: 'stripe' };
const settings: WebhookConsumerSettings = {
  name: 'billing-hook',
  url: 'https://hooks.example.com/syncline',
  headersSealed: 'v1.sealed-headers',
  headerHints: { authorization: '…f2a9' },
  batchSize: 10,
  timeoutMs: 30_000,
  maxDeliver: -1,
  retryWindowMs: 86_400_000,
  maxInFlight: 1,
};
const secret = { secretSealed: 'v1.sealed-secret', secretHint: '…AbCd' };
const createData = { ...ref, ...selection, ...settings, ...secret, start: { deliverPolicy: 'all' as const }, startIdx: '0' };

const created: WebhookConsumerEvent = { type: 'WebhookConsumerCreated', data: { ...createData, createdAt: at } };
const deleted: WebhookConsumerEvent = { type: 'WebhookConsumerDeleted', data: { ...ref, deletedAt: at } };
const rotated: WebhookConsumerEvent = {
  type: 'WebhookConsumerSecretRotated',
  data: { ...ref, secretSealed: 'v1.second', secretHint: '…EfGh', previousSecretSealed: 'v1.sealed-secret', previousValidUntil: '2026-01-02T00:00:00.000Z', rotatedAt: at },
};

describe('webhook consumer decider', () => {
  const given = DeciderSpecification.for(webhookConsumerDecider);

  it('creates a consumer once, with its selection, start position and sealed secret', () => {
    given([]).when({ type: 'CreateWebhookConsumer', data: createData, metadata }).then([created]);
    given([])
      .when({ type: 'CreateWebhookConsumer', data: { ...createData, start: { deliverPolicy: 'by_start_idx', optStartIdx: '42' }, startIdx: '41' }, metadata })
      .then([{ type: 'WebhookConsumerCreated', data: { ...createData, start: { deliverPolicy: 'by_start_idx', optStartIdx: '42' }, startIdx: '41', createdAt: at } }]);
    given([created]).when({ type: 'CreateWebhookConsumer', data: createData, metadata }).thenThrows(refused(409, 'consumer_exists'));
    given([created, deleted]).when({ type: 'CreateWebhookConsumer', data: createData, metadata }).thenThrows(refused(409, 'consumer_exists'));
  });

  it("updates the owner's live consumer", () => {
    const changed = { ...settings, url: 'https://hooks.example.com/v2', batchSize: 100, maxInFlight: 4 };
    given([created])
      .when({ type: 'UpdateWebhookConsumer', data: { ...ref, ...changed }, metadata })
      .then([{ type: 'WebhookConsumerUpdated', data: { ...ref, ...changed, updatedAt: at } }]);
    given([created]).when({ type: 'UpdateWebhookConsumer', data: { ...otherAccount, ...settings }, metadata }).thenThrows(refused(404, 'not_found'));
    given([]).when({ type: 'UpdateWebhookConsumer', data: { ...ref, ...settings }, metadata }).thenThrows(refused(404, 'not_found'));
  });

  it('rotates the secret, keeping the previous one valid for the grace period or not at all', () => {
    const rotate = { type: 'RotateWebhookConsumerSecret' as const, data: { ...ref, secretSealed: 'v1.second', secretHint: '…EfGh', previousValidMs: 86_400_000 }, metadata };
    given([created]).when(rotate).then([rotated]);
    // A second rotation keeps the secret of the first as the previous one.
    expect(decide({ ...rotate, data: { ...rotate.data, secretSealed: 'v1.third' } }, evolve(evolve(initialState(), created), rotated))).toEqual([
      {
        type: 'WebhookConsumerSecretRotated',
        data: { ...ref, secretSealed: 'v1.third', secretHint: '…EfGh', previousSecretSealed: 'v1.second', previousValidUntil: '2026-01-02T00:00:00.000Z', rotatedAt: at },
      },
    ]);
    // A leaked secret is dropped at once.
    expect(decide({ ...rotate, data: { ...rotate.data, previousValidMs: 0 } }, evolve(initialState(), created))).toEqual([
      { type: 'WebhookConsumerSecretRotated', data: { ...ref, secretSealed: 'v1.second', secretHint: '…EfGh', previousSecretSealed: null, previousValidUntil: null, rotatedAt: at } },
    ]);
    given([created]).when({ ...rotate, data: { ...rotate.data, accountId: 'a2' } }).thenThrows(refused(404, 'not_found'));
  });

  it('records a reset with its new start position in the history', () => {
    const start = { deliverPolicy: 'by_start_time' as const, optStartTime: '2025-12-31T00:00:00.000Z' };
    given([created, rotated])
      .when({ type: 'ResetWebhookConsumer', data: { ...ref, start, startIdx: '17' }, metadata })
      .then([{ type: 'WebhookConsumerReset', data: { ...ref, start, startIdx: '17', resetAt: at } }]);
    given([created, deleted]).when({ type: 'ResetWebhookConsumer', data: { ...ref, start, startIdx: '17' }, metadata }).thenThrows(refused(404, 'not_found'));
  });

  it("deletes only the owner's live consumer, once", () => {
    given([created]).when({ type: 'DeleteWebhookConsumer', data: ref, metadata }).then([deleted]);
    given([created]).when({ type: 'DeleteWebhookConsumer', data: otherAccount, metadata }).thenThrows(refused(404, 'not_found'));
    given([created, deleted]).when({ type: 'DeleteWebhookConsumer', data: ref, metadata }).thenThrows(refused(404, 'not_found'));
  });

  it('refuses a command of unknown type as a bug, and keeps its state over an unknown event', () => {
    const unknown = { type: 'PauseWebhookConsumer', data: ref, metadata } as unknown as WebhookConsumerCommand;
    given([created]).when(unknown).thenThrows((error) => error instanceof InvariantError && error.code === 'unknown_command');
    const state = evolve(initialState(), created);
    expect(evolve(state, { type: 'WebhookConsumerPaused', data: ref } as unknown as WebhookConsumerEvent)).toBe(state);
  });
});
