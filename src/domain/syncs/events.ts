import type { Event } from '@event-driven-io/emmett';

export type RateLimit = { allowedRequests: number; intervalSeconds: number; maxConcurrentRequests: number };

export type SyncSettings = {
  name: string;
  collectionIds: string[];
  rateLimit: RateLimit;
  credentialId: string;
  metadata: Record<string, unknown>;
  pollIntervalMs: number;
  /**
   * The caller's own id for the sync, unique per account; null: none. Absent from the events
   * written before it existed, which read as null.
   */
  externalId?: string | null;
  /** Provider webhooks (docs/PROVIDER-WEBHOOKS.md); absent from events written before them: disabled. */
  webhooks?: WebhookSettings;
};

export type WebhookSettings = {
  enabled: boolean;
  /** The signing secret the user gave, sealed (src/crypto/secret-box.ts); null: none. */
  signingSecretSealed: string | null;
  /** Polls run this often while webhooks are healthy; null: `pollIntervalMs`. */
  reconcileIntervalMs: number | null;
};

type SyncRef = { syncId: string; accountId: string };

export type SyncCreated = Event<'SyncCreated', SyncRef & SyncSettings & { streamId: string; provider: string; createdAt: string }>;
export type SyncUpdated = Event<'SyncUpdated', SyncRef & SyncSettings & { updatedAt: string }>;
export type SyncPaused = Event<'SyncPaused', SyncRef & { at: string }>;
export type SyncResumed = Event<'SyncResumed', SyncRef & { at: string }>;
/** Start every collection's backfill again from the first page. */
export type SyncResyncRequested = Event<'SyncResyncRequested', SyncRef & { collectionIds: string[]; at: string }>;
export type SyncDeleted = Event<'SyncDeleted', SyncRef & { at: string }>;

/**
 * A backfill begins: `changesCursor` marks "now" upstream so that changes made meanwhile are polled later.
 * Progress events carry the `generation` of the run that made them (see `progressEvent` in decide.ts).
 */
export type BackfillStarted = Event<'BackfillStarted', SyncRef & { generation: number; collectionId: string; changesCursor: string; at: string }>;
/** Checkpoint: the page before `nextCursor` is in the stream. `nextCursor` null = backfill complete. */
export type BackfillPageFetched = Event<
  'BackfillPageFetched',
  SyncRef & { generation: number; collectionId: string; nextCursor: string | null; pageRecords: number; totalCount: number | null; at: string }
>;
/** Checkpoint of the incremental poll: changes up to `cursor` are in the stream. */
export type ChangesFetched = Event<'ChangesFetched', SyncRef & { generation: number; collectionId: string; cursor: string; changes: number; at: string }>;
/**
 * The sync's webhook was registered upstream for `url` and `collectionIds` (the runner holding its
 * lease did it); `registrationSealed` is the provider's RegisteredWebhook as sealed JSON.
 * Registration events change no `generation`: the run goes on.
 */
export type SyncWebhookRegistered = Event<
  'SyncWebhookRegistered',
  SyncRef & { url: string; collectionIds: string[]; registrationSealed: string; expiresAt: string | null; at: string }
>;
export type SyncWebhookRegistrationFailed = Event<'SyncWebhookRegistrationFailed', SyncRef & { url: string; collectionIds: string[]; error: string; at: string }>;
/** The registration was removed upstream (webhooks disabled), or given up. */
export type SyncWebhookUnregistered = Event<'SyncWebhookUnregistered', SyncRef & { at: string }>;
export type SyncFailed = Event<'SyncFailed', SyncRef & { code: string; message: string; collectionId: string | null; at: string }>;
export type SyncRecovered = Event<'SyncRecovered', SyncRef & { at: string }>;

export type SyncEvent =
  | SyncCreated
  | SyncUpdated
  | SyncPaused
  | SyncResumed
  | SyncResyncRequested
  | SyncDeleted
  | BackfillStarted
  | BackfillPageFetched
  | ChangesFetched
  | SyncFailed
  | SyncRecovered
  | SyncWebhookRegistered
  | SyncWebhookRegistrationFailed
  | SyncWebhookUnregistered;
