import type { Event } from '@event-driven-io/emmett';
import type { DeliverPolicy, StartPosition } from '../consumer-selection.ts';
import type { EventAction, MessageKind } from '../change-events.ts';

export type NatsDeliverPolicy = DeliverPolicy;

/** Where to publish. Secrets (jwt, nkey_seed, password, token) live only in `secretsSealed`. */
export type NatsServerSettings = {
  host: string;
  port: number;
  tls: boolean;
  user: string | null;
};

export type NatsSecretField = 'jwt' | 'nkey_seed' | 'password' | 'token';
export type NatsSecrets = Partial<Record<NatsSecretField, string>>;

export type NatsConsumerSettings = {
  name: string;
  syncId: string | null;
  subjectPrefix: string;
  nats: NatsServerSettings;
  /** AES-256-GCM ciphertext of `{jwt?, nkey_seed?, password?, token?}` (src/crypto/secret-box.ts). */
  secretsSealed: string;
  /** Redacted hints (not secrets) per secret field given, e.g. `{"token":"s3cr…xyz"}`. */
  secretHints: NatsSecrets;
};

type ConsumerRef = { consumerId: string; accountId: string };

export type NatsConsumerCreated = Event<
  'NatsConsumerCreated',
  ConsumerRef &
    NatsConsumerSettings & {
      streamId: string;
      /** Only these collections; null (or absent, in events before the filter existed): every one. */
      collectionIds?: string[] | null;
      /** Only collections `<provider>:…`; null (or absent): every provider. */
      provider?: string | null;
      deliverPolicy: NatsDeliverPolicy;
      /** The option of a `by_start_time` / `by_start_idx` start (absent in events before they existed). */
      optStartTime?: string | null;
      optStartIdx?: string | null;
      /** record (absent in events before change events existed) or event, and the event filters; fixed at creation. */
      messageKind?: MessageKind;
      eventActions?: EventAction[] | null;
      eventChangedFields?: string[] | null;
      /** Publishing starts after this stream position (the head at creation for `deliver_policy: new`). */
      startIdx: string;
      createdAt: string;
    }
>;
export type NatsConsumerUpdated = Event<'NatsConsumerUpdated', ConsumerRef & NatsConsumerSettings & { updatedAt: string }>;
export type NatsConsumerDeleted = Event<'NatsConsumerDeleted', ConsumerRef & { deletedAt: string }>;
/**
 * `POST /v1/nats-consumers/{id}/reset`: publishing starts again after `startIdx` (back: records
 * are published again; ahead: skipped). `resetCount` numbers the consumer's resets from 1: the
 * sink runner moves its position when the read model's count exceeds the one it last applied.
 */
export type NatsConsumerReset = Event<'NatsConsumerReset', ConsumerRef & StartPosition & { startIdx: string; resetCount: number; resetAt: string }>;

export type NatsConsumerEvent = NatsConsumerCreated | NatsConsumerUpdated | NatsConsumerDeleted | NatsConsumerReset;
