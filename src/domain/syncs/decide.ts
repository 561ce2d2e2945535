import type { Command } from '@event-driven-io/emmett';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CommandMetadata } from '../command-metadata.ts';
import { ignoreUnknownEvent, unknownCommand } from '../exhaustive.ts';
import type { SyncEvent, SyncSettings } from './events.ts';

type SyncRef = { syncId: string; accountId: string };

export type CreateSync = Command<'CreateSync', SyncRef & SyncSettings & { streamId: string; provider: string }, CommandMetadata>;
export type UpdateSync = Command<'UpdateSync', SyncRef & SyncSettings, CommandMetadata>;
export type PauseSync = Command<'PauseSync', SyncRef, CommandMetadata>;
export type ResumeSync = Command<'ResumeSync', SyncRef, CommandMetadata>;
export type ResyncSync = Command<'ResyncSync', SyncRef, CommandMetadata>;
export type DeleteSync = Command<'DeleteSync', SyncRef, CommandMetadata>;
/** Progress commands carry the generation of the run that made them; a stale run is refused. */
type RunRef = SyncRef & { generation: number; collectionId: string };
export type StartBackfill = Command<'StartBackfill', RunRef & { changesCursor: string }, CommandMetadata>;
export type RecordBackfillPage = Command<
  'RecordBackfillPage',
  RunRef & { nextCursor: string | null; pageRecords: number; totalCount: number | null },
  CommandMetadata
>;
export type RecordChanges = Command<'RecordChanges', RunRef & { cursor: string; changes: number }, CommandMetadata>;
export type FailSync = Command<'FailSync', SyncRef & { code: string; message: string; collectionId: string | null }, CommandMetadata>;
export type RecoverSync = Command<'RecoverSync', SyncRef, CommandMetadata>;
/** What a registration attempt upstream came to (the runner's WebhookRegistrar). */
export type WebhookRegistrationOutcome =
  | { outcome: 'registered'; url: string; collectionIds: string[]; registrationSealed: string; expiresAt: string | null }
  | { outcome: 'failed'; url: string; collectionIds: string[]; error: string }
  | { outcome: 'unregistered' };
export type RecordWebhookRegistration = Command<'RecordWebhookRegistration', SyncRef & WebhookRegistrationOutcome, CommandMetadata>;

export type SyncCommand =
  | CreateSync
  | UpdateSync
  | PauseSync
  | ResumeSync
  | ResyncSync
  | DeleteSync
  | StartBackfill
  | RecordBackfillPage
  | RecordChanges
  | FailSync
  | RecoverSync
  | RecordWebhookRegistration;

export type CollectionProgress = {
  /** Set once the backfill started; where incremental polling begins. */
  changesCursor: string | null;
  /** Next backfill page; null before the first page and once done. */
  backfillCursor: string | null;
  backfillDone: boolean;
};

export type SyncState =
  | { status: 'absent' }
  | { status: 'deleted' }
  | {
      status: 'open';
      accountId: string;
      paused: boolean;
      /** Bumped by update, resume and resync: each restarts the sync's run. */
      generation: number;
      failed: { code: string; message: string } | null;
      /** A registration upstream is recorded (SyncWebhookRegistered, not yet Unregistered). */
      webhookRegistered: boolean;
      collections: Record<string, CollectionProgress>;
      collectionIds: string[];
    };

type OpenSync = Extract<SyncState, { status: 'open' }>;

export const initialState = (): SyncState => ({ status: 'absent' });

const freshProgress = (): CollectionProgress => ({ changesCursor: null, backfillCursor: null, backfillDone: false });

function assertOpen(state: SyncState, ref: SyncRef): asserts state is OpenSync {
  if (state.status !== 'open' || state.accountId !== ref.accountId) throw new NotFoundError('sync', ref.syncId);
}

export class StaleRunError extends ConflictError {
  constructor(syncId: string) {
    super('stale_run', `sync ${syncId} changed since this run started`);
  }
}

/**
 * Another sync of the account has this `externalId`. Thrown by the syncs projection, whose
 * unique index decides between two appends that race (the command's early check cannot).
 */
export class ExternalIdTakenError extends ConflictError {
  constructor(externalId: string) {
    super('external_id_taken', `another sync of this account has the external_id "${externalId}"`);
  }
}

export type ProgressCommand = StartBackfill | RecordBackfillPage | RecordChanges;

/**
 * A run's checkpoint as an event. The sync runner appends these without loading the sync's
 * stream (a backfill writes one per page, and replaying them all per page would be quadratic);
 * the syncs projection refuses one whose `generation` is not the sync's current one, inside the
 * appending transaction, which serializes with every other append to the sync's stream.
 */
export function progressEvent(command: ProgressCommand): SyncEvent {
  const at = command.metadata.now.toISOString();
  switch (command.type) {
    case 'StartBackfill':
      return { type: 'BackfillStarted', data: { ...command.data, at } };
    case 'RecordBackfillPage':
      return { type: 'BackfillPageFetched', data: { ...command.data, at } };
    case 'RecordChanges':
      return { type: 'ChangesFetched', data: { ...command.data, at } };
  }
}

function assertCurrentRun(state: OpenSync, run: RunRef): void {
  if (run.generation !== state.generation) throw new StaleRunError(run.syncId);
  if (!state.collectionIds.includes(run.collectionId)) {
    throw new ConflictError('collection_not_synced', `collection ${run.collectionId} is not part of this sync`);
  }
}

export function decide(command: SyncCommand, state: SyncState): SyncEvent[] {
  const at = command.metadata.now.toISOString();
  const { syncId, accountId } = command.data;
  const ref = { syncId, accountId };
  if (command.type === 'CreateSync') {
    if (state.status !== 'absent') throw new ConflictError('sync_exists', `sync ${syncId} already exists`);
    return [{ type: 'SyncCreated', data: { ...command.data, createdAt: at } }];
  }
  assertOpen(state, ref);
  switch (command.type) {
    case 'UpdateSync':
      return [{ type: 'SyncUpdated', data: { ...command.data, updatedAt: at } }];
    case 'PauseSync':
      return state.paused ? [] : [{ type: 'SyncPaused', data: { ...ref, at } }];
    case 'ResumeSync':
      return state.paused || state.failed ? [{ type: 'SyncResumed', data: { ...ref, at } }] : [];
    case 'ResyncSync':
      return [{ type: 'SyncResyncRequested', data: { ...ref, collectionIds: state.collectionIds, at } }];
    case 'DeleteSync':
      return [{ type: 'SyncDeleted', data: { ...ref, at } }];
    case 'StartBackfill':
    case 'RecordBackfillPage':
    case 'RecordChanges':
      assertCurrentRun(state, command.data);
      return [progressEvent(command)];
    case 'FailSync':
      if (state.failed?.code === command.data.code && state.failed.message === command.data.message) return [];
      return [{ type: 'SyncFailed', data: { ...command.data, at } }];
    case 'RecoverSync':
      return state.failed ? [{ type: 'SyncRecovered', data: { ...ref, at } }] : [];
    case 'RecordWebhookRegistration': {
      const { data } = command;
      if (data.outcome === 'registered') {
        const { url, collectionIds, registrationSealed, expiresAt } = data;
        return [{ type: 'SyncWebhookRegistered', data: { ...ref, url, collectionIds, registrationSealed, expiresAt, at } }];
      }
      if (data.outcome === 'failed') return [{ type: 'SyncWebhookRegistrationFailed', data: { ...ref, url: data.url, collectionIds: data.collectionIds, error: data.error, at } }];
      return state.webhookRegistered ? [{ type: 'SyncWebhookUnregistered', data: { ...ref, at } }] : [];
    }
    default:
      return unknownCommand(command);
  }
}

function withCollection(state: OpenSync, collectionId: string, change: Partial<CollectionProgress>): OpenSync {
  const current = state.collections[collectionId] ?? freshProgress();
  return { ...state, collections: { ...state.collections, [collectionId]: { ...current, ...change } } };
}

export function evolve(state: SyncState, event: SyncEvent): SyncState {
  if (event.type === 'SyncCreated') {
    return {
      status: 'open',
      accountId: event.data.accountId,
      paused: false,
      generation: 0,
      failed: null,
      webhookRegistered: false,
      collectionIds: event.data.collectionIds,
      collections: Object.fromEntries(event.data.collectionIds.map((id) => [id, freshProgress()])),
    };
  }
  if (state.status !== 'open') return state;
  switch (event.type) {
    case 'SyncUpdated':
      return {
        ...state,
        generation: state.generation + 1,
        collectionIds: event.data.collectionIds,
        collections: Object.fromEntries(event.data.collectionIds.map((id) => [id, state.collections[id] ?? freshProgress()])),
      };
    case 'SyncPaused':
      return { ...state, paused: true };
    case 'SyncResumed':
      return { ...state, paused: false, failed: null, generation: state.generation + 1 };
    case 'SyncResyncRequested':
      return {
        ...state,
        generation: state.generation + 1,
        collections: Object.fromEntries(event.data.collectionIds.map((id) => [id, freshProgress()])),
      };
    case 'SyncDeleted':
      return { status: 'deleted' };
    case 'BackfillStarted':
      return withCollection(state, event.data.collectionId, { changesCursor: event.data.changesCursor, backfillCursor: null, backfillDone: false });
    case 'BackfillPageFetched':
      return withCollection(state, event.data.collectionId, {
        backfillCursor: event.data.nextCursor,
        backfillDone: event.data.nextCursor === null,
      });
    case 'ChangesFetched':
      return withCollection(state, event.data.collectionId, { changesCursor: event.data.cursor });
    case 'SyncFailed':
      return { ...state, failed: { code: event.data.code, message: event.data.message } };
    case 'SyncRecovered':
      return { ...state, failed: null };
    case 'SyncWebhookRegistered':
      return { ...state, webhookRegistered: true };
    case 'SyncWebhookUnregistered':
      return { ...state, webhookRegistered: false };
    case 'SyncWebhookRegistrationFailed':
      return state;
    default:
      return ignoreUnknownEvent(event, state);
  }
}

export const syncDecider = { decide, evolve, initialState };
