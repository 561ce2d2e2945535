import type { Event } from '@event-driven-io/emmett';

export type MutationKind = 'create' | 'update' | 'delete';

/**
 * One item as the audit keeps it: which object and which fields, never the values (they may be
 * secrets such as card or bank details; the resulting record version holds what upstream kept).
 */
export type MutationItemRequest = { index: number; upstreamId: string | null; fields: string[] };

/**
 * The record version an item produced, in the record shape of DESIGN.md §2 (as answers show it);
 * `updated_idx` is null when the stream holds no version (a delete of an object never synced).
 */
export type MutationRecord = {
  sync_id: string;
  collection_id: string;
  upstream_id: string;
  updated_idx: number | null;
  upstream_created_at: string | null;
  upstream_updated_at: string | null;
  deleted: boolean;
  data: unknown;
};

export type MutationItemError = { code: string; message: string; upstreamStatus: number | null };

type RunRef = { runId: string; accountId: string; syncId: string };

/**
 * A run was asked for (stream `mutation-<runId>`). A retry of an unfinished run with the same
 * idempotency key is requested again with the next `attempt`; its items are the same.
 */
export type MutationRequested = Event<
  'MutationRequested',
  RunRef & {
    collectionId: string;
    kind: MutationKind;
    idempotencyKey: string | null;
    /** sha-256 of the canonical request: a key reused for another request is refused. */
    requestHash: string;
    /** The API token that asked. */
    requestedBy: string;
    items: MutationItemRequest[];
    attempt: number;
    at: string;
  }
>;

export type MutationApplied = Event<'MutationApplied', RunRef & { index: number; record: MutationRecord; at: string }>;

export type MutationFailed = Event<'MutationFailed', RunRef & { index: number; upstreamId: string | null; error: MutationItemError; at: string }>;

export type MutationEvent = MutationRequested | MutationApplied | MutationFailed;
