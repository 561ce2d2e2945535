import type { Event } from '@event-driven-io/emmett';

/**
 * An account's notification webhook (docs/OPERATIONS.md "Notifications"): where the account's
 * sync and consumer state changes are POSTed, signed like webhook consumers' deliveries. Stream
 * `notification-webhook-<accountId>`: one per account.
 */
type AccountRef = { accountId: string };

/** The signing secret (`whsec_…`), sealed, and its hint. */
export type NotificationSigningSecret = { secretSealed: string; secretHint: string };

/** Set where none was: the URL and a new signing secret. */
export type NotificationWebhookSet = Event<'NotificationWebhookSet', AccountRef & NotificationSigningSecret & { url: string; at: string }>;
/** The URL changed; the secret stays. */
export type NotificationWebhookUpdated = Event<'NotificationWebhookUpdated', AccountRef & { url: string; at: string }>;
/** A new secret; the replaced one signs beside it until `previousValidUntil` (null: not at all). */
export type NotificationWebhookSecretRotated = Event<
  'NotificationWebhookSecretRotated',
  AccountRef & NotificationSigningSecret & { previousSecretSealed: string | null; previousValidUntil: string | null; at: string }
>;
export type NotificationWebhookRemoved = Event<'NotificationWebhookRemoved', AccountRef & { at: string }>;

export type NotificationWebhookEvent = NotificationWebhookSet | NotificationWebhookUpdated | NotificationWebhookSecretRotated | NotificationWebhookRemoved;
