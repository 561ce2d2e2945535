import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, it } from 'vitest';
import { natsConsumerDecider } from '../../src/domain/nats-consumers/decide.ts';
import type { NatsConsumerSettings } from '../../src/domain/nats-consumers/events.ts';
import { ConflictError, NotFoundError } from '../../src/errors.ts';

const now = new Date('2026-01-01T00:00:00.000Z');
const metadata = { now };
const at = now.toISOString();
const settings: NatsConsumerSettings = {
  name: 'synadia',
  syncId: 'sync-1',
  subjectPrefix: 'sequin-records',
  // no nulls: Emmett's subset assertion cannot compare them
  nats: { host: 'connect.ngs.global', port: 4222, tls: true, user: 'sequin' },
  secretsSealed: 'v1.sealed',
  secretHints: { jwt: 'eyJ0…ifQ' },
};
const ref = { consumerId: 'n1', accountId: 'a1' };
const created = {
  type: 'NatsConsumerCreated' as const,
  data: { ...ref, ...settings, streamId: 's1', deliverPolicy: 'all' as const, startIdx: '0', createdAt: at },
};

describe('nats consumer decider', () => {
  const given = DeciderSpecification.for(natsConsumerDecider);

  it('creates a consumer once', () => {
    given([])
      .when({ type: 'CreateNatsConsumer', data: { ...ref, ...settings, streamId: 's1', deliverPolicy: 'all', startIdx: '0' }, metadata })
      .then([created]);
    given([created])
      .when({ type: 'CreateNatsConsumer', data: { ...ref, ...settings, streamId: 's1', deliverPolicy: 'all', startIdx: '0' }, metadata })
      .thenThrows((e) => e instanceof ConflictError);
  });

  it("updates and deletes only the owner's live consumer", () => {
    given([created])
      .when({ type: 'UpdateNatsConsumer', data: { ...ref, ...settings, subjectPrefix: 'acme' }, metadata })
      .then([{ type: 'NatsConsumerUpdated', data: { ...ref, ...settings, subjectPrefix: 'acme', updatedAt: at } }]);
    given([created])
      .when({ type: 'UpdateNatsConsumer', data: { ...ref, accountId: 'a2', ...settings }, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
    given([created])
      .when({ type: 'DeleteNatsConsumer', data: ref, metadata })
      .then([{ type: 'NatsConsumerDeleted', data: { ...ref, deletedAt: at } }]);
    given([created, { type: 'NatsConsumerDeleted', data: { ...ref, deletedAt: at } }])
      .when({ type: 'DeleteNatsConsumer', data: ref, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
  });

  it('records resets of a live consumer, numbered from 1', () => {
    const reset = { type: 'ResetNatsConsumer' as const, data: { ...ref, deliverPolicy: 'by_start_time' as const, optStartTime: '2026-01-01T00:00:00.000Z', startIdx: '7' }, metadata };
    const first = { type: 'NatsConsumerReset' as const, data: { ...reset.data, resetCount: 1, resetAt: at } };
    given([created]).when(reset).then([first]);
    given([created, first])
      .when({ ...reset, data: { ...ref, deliverPolicy: 'all', startIdx: '0' } })
      .then([{ type: 'NatsConsumerReset', data: { ...ref, deliverPolicy: 'all', startIdx: '0', resetCount: 2, resetAt: at } }]);
    given([created, { type: 'NatsConsumerDeleted', data: { ...ref, deletedAt: at } }])
      .when(reset)
      .thenThrows((e) => e instanceof NotFoundError);
    given([created])
      .when({ ...reset, data: { ...reset.data, accountId: 'a2' } })
      .thenThrows((e) => e instanceof NotFoundError);
  });
});
