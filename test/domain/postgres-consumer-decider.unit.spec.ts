import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, it } from 'vitest';
import { postgresConsumerDecider } from '../../src/domain/postgres-consumers/decide.ts';
import type { PostgresConsumerSettings, StartAt } from '../../src/domain/postgres-consumers/events.ts';
import { ConflictError, NotFoundError } from '../../src/errors.ts';

const now = new Date('2026-01-01T00:00:00.000Z');
const metadata = { now };
const at = now.toISOString();
// No nulls: Emmett's subset assertion cannot compare them.
const settings: PostgresConsumerSettings = {
  name: 'warehouse',
  connection: { host: 'db.example.com', port: 5432, database: 'analytics', user: 'syncline', sslMode: 'verify-full', url: 'postgres://syncline@db.example.com:5432/analytics' },
  passwordSealed: 'v1.sealed',
  passwordHint: '…wxyz',
  table: { schema: 'public', name: 'syncline_records' },
  createTable: true,
  deletes: 'mark',
  batchSize: 500,
};
const ref = { consumerId: 'p1', accountId: 'a1' };
const selection = { streamId: 's1', syncId: 'sync-1', collectionIds: ['stripe:customer'], provider: 'stripe' };
const start: StartAt = { deliverPolicy: 'all', startIdx: '0' };
const created = { type: 'PostgresConsumerCreated' as const, data: { ...ref, ...settings, selection, start, createdAt: at } };
const deleted = { type: 'PostgresConsumerDeleted' as const, data: { ...ref, deletedAt: at } };

describe('postgres consumer decider', () => {
  const given = DeciderSpecification.for(postgresConsumerDecider);

  it('creates a consumer once', () => {
    given([])
      .when({ type: 'CreatePostgresConsumer', data: { ...ref, ...settings, selection, start }, metadata })
      .then([created]);
    given([created])
      .when({ type: 'CreatePostgresConsumer', data: { ...ref, ...settings, selection, start }, metadata })
      .thenThrows((e) => e instanceof ConflictError);
  });

  it("updates the owner's live consumer", () => {
    given([created])
      .when({ type: 'UpdatePostgresConsumer', data: { ...ref, ...settings, deletes: 'delete', batchSize: 100 }, metadata })
      .then([{ type: 'PostgresConsumerUpdated', data: { ...ref, ...settings, deletes: 'delete', batchSize: 100, updatedAt: at } }]);
    given([created])
      .when({ type: 'UpdatePostgresConsumer', data: { ...ref, accountId: 'a2', ...settings }, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
  });

  it('resets to a new start position, as often as asked: each reset is an event of the history', () => {
    const back: StartAt = { deliverPolicy: 'by_start_idx', optStartIdx: '42', startIdx: '41' };
    const reset = { type: 'PostgresConsumerReset' as const, data: { ...ref, start: back, resetAt: at } };
    given([created]).when({ type: 'ResetPostgresConsumer', data: { ...ref, start: back }, metadata }).then([reset]);
    const ahead: StartAt = { deliverPolicy: 'new', startIdx: '900' };
    given([created, reset])
      .when({ type: 'ResetPostgresConsumer', data: { ...ref, start: ahead }, metadata })
      .then([{ type: 'PostgresConsumerReset', data: { ...ref, start: ahead, resetAt: at } }]);
    given([created])
      .when({ type: 'ResetPostgresConsumer', data: { ...ref, accountId: 'a2', start: back }, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
    given([created, deleted])
      .when({ type: 'ResetPostgresConsumer', data: { ...ref, start: back }, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
  });

  it('deletes once; nothing of a deleted or absent consumer can change', () => {
    given([created]).when({ type: 'DeletePostgresConsumer', data: ref, metadata }).then([deleted]);
    given([created, deleted])
      .when({ type: 'DeletePostgresConsumer', data: ref, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
    given([created, deleted])
      .when({ type: 'UpdatePostgresConsumer', data: { ...ref, ...settings }, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
    given([])
      .when({ type: 'DeletePostgresConsumer', data: ref, metadata })
      .thenThrows((e) => e instanceof NotFoundError);
    given([created, deleted])
      .when({ type: 'CreatePostgresConsumer', data: { ...ref, ...settings, selection, start }, metadata })
      .thenThrows((e) => e instanceof ConflictError);
  });
});
