import type { Event } from '@event-driven-io/emmett';

export type RecordVersion = {
  upstreamId: string;
  /** The provider's object exactly as its API returned it. */
  data: Record<string, unknown>;
  /** sha-256 of the JSON text of `data`; equal hashes mean byte-identical versions. */
  dataHash: string;
  upstreamCreatedAt: string | null;
  upstreamUpdatedAt: string | null;
  deleted: boolean;
};

/** A batch of record versions of one collection of one sync (stream `records-<syncId>-<collectionId>`). */
export type RecordsChanged = Event<
  'RecordsChanged',
  { syncId: string; streamId: string; collectionId: string; source: 'backfill' | 'changes' | 'mutation' | 'webhook'; records: RecordVersion[] }
>;

export type RecordEvent = RecordsChanged;
