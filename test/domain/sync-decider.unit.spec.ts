import { DeciderSpecification } from '@event-driven-io/emmett';
import { describe, expect, it } from 'vitest';
import { progressEvent, StaleRunError, syncDecider, type ProgressCommand } from '../../src/domain/syncs/decide.ts';
import type { SyncEvent, SyncSettings } from '../../src/domain/syncs/events.ts';
import { AppError, InvariantError } from '../../src/errors.ts';
import { refused } from './refused.ts';

const now = new Date('2026-01-01T00:00:00.000Z');
const metadata = { now };
const at = now.toISOString();
const ref = { syncId: 's1', accountId: 'a1' };
const otherAccount = { ...ref, accountId: 'a2' };
// No nulls in expected events: Emmett's subset assertion does not descend into them.
const settings: SyncSettings = {
  name: 'billing',
  collectionIds: ['stripe:customer', 'stripe:invoice'],
  rateLimit: { allowedRequests: 25, intervalSeconds: 1, maxConcurrentRequests: 0 },
  credentialId: 'c1',
  metadata: { region: 'eu' },
  pollIntervalMs: 5_000,
  externalId: 'tenant-1',
};
// The events carry the external id as the command gave it (its uniqueness is the read model's).
const narrowed: SyncSettings = { ...settings, collectionIds: ['stripe:customer'], externalId: 'tenant-2' };

const created: SyncEvent = { type: 'SyncCreated', data: { ...ref, ...settings, streamId: 'st1', provider: 'stripe', createdAt: at } };
const updated: SyncEvent = { type: 'SyncUpdated', data: { ...ref, ...narrowed, updatedAt: at } };
const paused: SyncEvent = { type: 'SyncPaused', data: { ...ref, at } };
const resumed: SyncEvent = { type: 'SyncResumed', data: { ...ref, at } };
const resynced: SyncEvent = { type: 'SyncResyncRequested', data: { ...ref, collectionIds: settings.collectionIds, at } };
const deleted: SyncEvent = { type: 'SyncDeleted', data: { ...ref, at } };
const failure = { code: 'upstream_error', message: 'stripe answered 500', collectionId: 'stripe:invoice' };
const failed: SyncEvent = { type: 'SyncFailed', data: { ...ref, ...failure, at } };
const recovered: SyncEvent = { type: 'SyncRecovered', data: { ...ref, at } };

const run = { ...ref, generation: 0, collectionId: 'stripe:invoice' };
const startBackfill: ProgressCommand = { type: 'StartBackfill', data: { ...run, changesCursor: '1767225600' }, metadata };
const recordPage: ProgressCommand = {
  type: 'RecordBackfillPage',
  data: { ...run, nextCursor: 'in_100', pageRecords: 100, totalCount: 250 },
  metadata,
};
const recordChanges = { type: 'RecordChanges' as const, data: { ...run, cursor: '1767225700', changes: 3 }, metadata };
const progressCommands = [startBackfill, recordPage, recordChanges];

describe('sync decider', () => {
  const given = DeciderSpecification.for(syncDecider);

  describe('CreateSync', () => {
    const create = { type: 'CreateSync' as const, data: { ...ref, ...settings, streamId: 'st1', provider: 'stripe' }, metadata };

    it('creates a sync', () => {
      given([]).when(create).then([created]);
    });

    it('refuses an id already used, even by a deleted sync', () => {
      given([created]).when(create).thenThrows(refused(409, 'sync_exists'));
      given([created, deleted]).when(create).thenThrows(refused(409, 'sync_exists'));
    });
  });

  describe('UpdateSync', () => {
    const update = { type: 'UpdateSync' as const, data: { ...ref, ...narrowed }, metadata };

    it("replaces the sync's settings", () => {
      given([created]).when(update).then([updated]);
    });

    it("refuses a missing, deleted or another account's sync", () => {
      given([]).when(update).thenThrows(refused(404, 'not_found'));
      given([created, deleted]).when(update).thenThrows(refused(404, 'not_found'));
      given([created]).when({ ...update, data: { ...update.data, accountId: 'a2' } }).thenThrows(refused(404, 'not_found'));
    });
  });

  describe('PauseSync', () => {
    const pause = { type: 'PauseSync' as const, data: ref, metadata };

    it('pauses a running sync, and does nothing to a paused one', () => {
      given([created]).when(pause).then([paused]);
      given([created, paused]).when(pause).thenNothingHappened();
    });

    it("refuses a missing, deleted or another account's sync", () => {
      given([]).when(pause).thenThrows(refused(404, 'not_found'));
      given([created, deleted]).when(pause).thenThrows(refused(404, 'not_found'));
      given([created]).when({ ...pause, data: otherAccount }).thenThrows(refused(404, 'not_found'));
    });
  });

  describe('ResumeSync', () => {
    const resume = { type: 'ResumeSync' as const, data: ref, metadata };

    it('resumes a paused or failed sync, and does nothing to a running one', () => {
      given([created, paused]).when(resume).then([resumed]);
      given([created, failed]).when(resume).then([resumed]);
      given([created]).when(resume).thenNothingHappened();
      given([created, paused, resumed]).when(resume).thenNothingHappened();
      given([created, failed, resumed]).when(resume).thenNothingHappened();
    });

    it("refuses a missing, deleted or another account's sync", () => {
      given([]).when(resume).thenThrows(refused(404, 'not_found'));
      given([created, paused, deleted]).when(resume).thenThrows(refused(404, 'not_found'));
      given([created, paused]).when({ ...resume, data: otherAccount }).thenThrows(refused(404, 'not_found'));
    });
  });

  describe('ResyncSync', () => {
    const resync = { type: 'ResyncSync' as const, data: ref, metadata };

    it("restarts the backfill of the sync's current collections", () => {
      given([created]).when(resync).then([resynced]);
      given([created, updated])
        .when(resync)
        .then([{ type: 'SyncResyncRequested', data: { ...ref, collectionIds: narrowed.collectionIds, at } }]);
    });

    it("refuses a missing, deleted or another account's sync", () => {
      given([]).when(resync).thenThrows(refused(404, 'not_found'));
      given([created, deleted]).when(resync).thenThrows(refused(404, 'not_found'));
      given([created]).when({ ...resync, data: otherAccount }).thenThrows(refused(404, 'not_found'));
    });
  });

  describe('DeleteSync', () => {
    const remove = { type: 'DeleteSync' as const, data: ref, metadata };

    it('deletes a sync, paused or not', () => {
      given([created]).when(remove).then([deleted]);
      given([created, paused]).when(remove).then([deleted]);
    });

    it("refuses a missing, already deleted or another account's sync", () => {
      given([]).when(remove).thenThrows(refused(404, 'not_found'));
      given([created, deleted]).when(remove).thenThrows(refused(404, 'not_found'));
      given([created]).when({ ...remove, data: otherAccount }).thenThrows(refused(404, 'not_found'));
    });
  });

  describe('run progress (StartBackfill, RecordBackfillPage, RecordChanges)', () => {
    const atGeneration = <C extends ProgressCommand>(command: C, generation: number): C => ({ ...command, data: { ...command.data, generation } });

    it("records the current run's checkpoints", () => {
      given([created]).when(startBackfill).then([{ type: 'BackfillStarted', data: { ...startBackfill.data, at } }]);
      given([created]).when(recordPage).then([{ type: 'BackfillPageFetched', data: { ...recordPage.data, at } }]);
      given([created]).when(recordChanges).then([{ type: 'ChangesFetched', data: { ...recordChanges.data, at } }]);
    });

    it('records them from a paused or failed sync: the run stops at its next check', () => {
      given([created, paused]).when(recordPage).then([{ type: 'BackfillPageFetched', data: { ...recordPage.data, at } }]);
      given([created, failed]).when(recordChanges).then([{ type: 'ChangesFetched', data: { ...recordChanges.data, at } }]);
    });

    it('refuses a run that an update, a resume or a resync made stale', () => {
      for (const command of progressCommands) {
        given([created, updated]).when(command).thenThrows((e) => e instanceof StaleRunError && refused(409, 'stale_run')(e));
        given([created, paused, resumed]).when(command).thenThrows(refused(409, 'stale_run'));
        given([created, resynced]).when(command).thenThrows(refused(409, 'stale_run'));
      }
    });

    it('accepts the run each restart began', () => {
      const customers = atGeneration({ ...recordChanges, data: { ...recordChanges.data, collectionId: 'stripe:customer' } }, 1);
      given([created, updated]).when(customers).then([{ type: 'ChangesFetched', data: { ...customers.data, at } }]);
      given([created, paused, resumed, resynced])
        .when(atGeneration(startBackfill, 2))
        .then([{ type: 'BackfillStarted', data: { ...startBackfill.data, generation: 2, at } }]);
    });

    it('refuses a collection the sync does not (or no longer) sync', () => {
      const other = { ...recordChanges, data: { ...recordChanges.data, collectionId: 'stripe:charge' } };
      given([created]).when(other).thenThrows(refused(409, 'collection_not_synced'));
      const dropped = atGeneration(recordPage, 1);
      given([created, updated]).when(dropped).thenThrows(refused(409, 'collection_not_synced'));
    });

    it("refuses a missing, deleted or another account's sync", () => {
      given([]).when(startBackfill).thenThrows(refused(404, 'not_found'));
      given([created, deleted]).when(recordPage).thenThrows(refused(404, 'not_found'));
      given([created]).when({ ...recordChanges, data: { ...recordChanges.data, accountId: 'a2' } }).thenThrows(refused(404, 'not_found'));
    });

    it('appends, without the checks, the event decide would append (progressEvent)', () => {
      for (const command of progressCommands) {
        expect([progressEvent(command)]).toEqual(syncDecider.decide(command, [created].reduce(syncDecider.evolve, syncDecider.initialState())));
      }
    });
  });

  describe('FailSync', () => {
    const fail = { type: 'FailSync' as const, data: { ...ref, ...failure }, metadata };

    it('records a failure once, and a different one again', () => {
      given([created]).when(fail).then([failed]);
      given([created, failed]).when(fail).thenNothingHappened();
      given([created, failed])
        .when({ ...fail, data: { ...fail.data, message: 'stripe answered 503' } })
        .then([{ type: 'SyncFailed', data: { ...ref, ...failure, message: 'stripe answered 503', at } }]);
      given([created, failed, recovered]).when(fail).then([failed]);
      given([created, failed, resumed]).when(fail).then([failed]);
    });

    it("refuses a missing, deleted or another account's sync", () => {
      given([]).when(fail).thenThrows(refused(404, 'not_found'));
      given([created, deleted]).when(fail).thenThrows(refused(404, 'not_found'));
      given([created]).when({ ...fail, data: { ...fail.data, accountId: 'a2' } }).thenThrows(refused(404, 'not_found'));
    });
  });

  describe('RecoverSync', () => {
    const recover = { type: 'RecoverSync' as const, data: ref, metadata };

    it('clears a failure, and does nothing to a sync without one', () => {
      given([created, failed]).when(recover).then([recovered]);
      given([created]).when(recover).thenNothingHappened();
      given([created, failed, recovered]).when(recover).thenNothingHappened();
      given([created, failed, resumed]).when(recover).thenNothingHappened();
    });

    it("refuses a missing, deleted or another account's sync", () => {
      given([]).when(recover).thenThrows(refused(404, 'not_found'));
      given([created, failed, deleted]).when(recover).thenThrows(refused(404, 'not_found'));
      given([created, failed]).when({ ...recover, data: otherAccount }).thenThrows(refused(404, 'not_found'));
    });
  });

  it('fails on a command of a type it does not know, as a bug (a logged 500), not a refusal', () => {
    const bogus = { type: 'ArchiveSync', data: ref, metadata } as unknown as Parameters<typeof syncDecider.decide>[0];
    given([created]).when(bogus).thenThrows((e) => e instanceof InvariantError && !(e instanceof AppError) && e.code === 'unknown_command');
  });

  it('reads past an event type this release does not know', () => {
    const future = { type: 'SyncArchived', data: { ...ref, at } } as unknown as SyncEvent;
    given([created, future]).when({ type: 'PauseSync', data: ref, metadata }).then([paused]);
  });
  describe('RecordWebhookRegistration', () => {
    const registration = { url: 'https://syncline.example.test/v1/webhooks/in/s1', collectionIds: ['stripe:customer'] };
    const record = (outcome: object) => ({ type: 'RecordWebhookRegistration' as const, data: { ...ref, ...outcome }, metadata }) as Parameters<typeof syncDecider.decide>[0];
    const registered: SyncEvent = {
      type: 'SyncWebhookRegistered',
      data: { ...ref, ...registration, registrationSealed: 'v1.sealed', expiresAt: '2026-01-31T00:00:00.000Z', at },
    };

    it('records a registration, a failure, and a removal of what was registered', () => {
      given([created]).when(record({ outcome: 'registered', ...registration, registrationSealed: 'v1.sealed', expiresAt: '2026-01-31T00:00:00.000Z' })).then([registered]);
      given([created]).when(record({ outcome: 'failed', ...registration, error: 'refused' })).then([
        { type: 'SyncWebhookRegistrationFailed', data: { ...ref, ...registration, error: 'refused', at } },
      ]);
      given([created, registered]).when(record({ outcome: 'unregistered' })).then([{ type: 'SyncWebhookUnregistered', data: { ...ref, at } }]);
    });

    it('removes nothing that was not registered, and nothing of a deleted sync', () => {
      given([created]).when(record({ outcome: 'unregistered' })).then([]);
      given([created, registered, { type: 'SyncWebhookUnregistered', data: { ...ref, at } }]).when(record({ outcome: 'unregistered' })).then([]);
      given([created, registered, deleted]).when(record({ outcome: 'unregistered' })).thenThrows(refused(404, 'not_found'));
    });
  });
});
