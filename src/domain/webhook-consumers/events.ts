import type { Event } from '@event-driven-io/emmett';
import type { RecordSelection, StartPosition } from '../consumer-selection.ts';
import type { EventAction, MessageKind } from '../change-events.ts';

/**
 * What a webhook consumer's owner may change (`PATCH`). Header values are secrets (an
 * `authorization` header): they live only sealed in `headersSealed`.
 */
export type WebhookConsumerSettings = {
  name: string;
  url: string;
  /** AES-256-GCM ciphertext of `{<header name>: <value>}` (src/crypto/secret-box.ts). */
  headersSealed: string;
  /** Redacted hints per header name, e.g. `{"authorization":"…f2a9"}`. */
  headerHints: Record<string, string>;
  batchSize: number;
  timeoutMs: number;
  /** -1: retry forever. */
  maxDeliver: number;
  retryWindowMs: number;
  maxInFlight: number;
};

/** The signing secret (`whsec_…`), sealed, and its hint. */
export type WebhookSigningSecret = { secretSealed: string; secretHint: string };

type ConsumerRef = { consumerId: string; accountId: string };
/** The selection's fields as a type alias (an event's data must be indexable, which an interface is not). */
type Selection = { [K in keyof RecordSelection]: RecordSelection[K] };

export type WebhookConsumerCreated = Event<
  'WebhookConsumerCreated',
  ConsumerRef &
    Selection &
    WebhookConsumerSettings &
    WebhookSigningSecret & {
      start: StartPosition;
      /** Delivery starts after this stream position (what `start` meant at creation). */
      startIdx: string;
      /** record (absent in events before change events existed) or event, and the event filters; fixed at creation. */
      messageKind?: MessageKind;
      eventActions?: EventAction[] | null;
      eventChangedFields?: string[] | null;
      createdAt: string;
    }
>;
export type WebhookConsumerUpdated = Event<'WebhookConsumerUpdated', ConsumerRef & WebhookConsumerSettings & { updatedAt: string }>;
/**
 * A new signing secret. Until `previousValidUntil` (null: at once) deliveries are signed with both,
 * so receivers can switch secrets without refusing a delivery (Standard Webhooks: several signatures).
 */
export type WebhookConsumerSecretRotated = Event<
  'WebhookConsumerSecretRotated',
  ConsumerRef & WebhookSigningSecret & { previousSecretSealed: string | null; previousValidUntil: string | null; rotatedAt: string }
>;
/** Delivery starts again after `startIdx` (back or ahead): the runner moves the consumer's position there. */
export type WebhookConsumerReset = Event<'WebhookConsumerReset', ConsumerRef & { start: StartPosition; startIdx: string; resetAt: string }>;
export type WebhookConsumerDeleted = Event<'WebhookConsumerDeleted', ConsumerRef & { deletedAt: string }>;

export type WebhookConsumerEvent =
  | WebhookConsumerCreated
  | WebhookConsumerUpdated
  | WebhookConsumerSecretRotated
  | WebhookConsumerReset
  | WebhookConsumerDeleted;
