import type { Event } from '@event-driven-io/emmett';

export type NatsDeliverPolicy = 'all' | 'new';

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
      deliverPolicy: NatsDeliverPolicy;
      /** Publishing starts after this stream position (the head at creation for `deliver_policy: new`). */
      startIdx: string;
      createdAt: string;
    }
>;
export type NatsConsumerUpdated = Event<'NatsConsumerUpdated', ConsumerRef & NatsConsumerSettings & { updatedAt: string }>;
export type NatsConsumerDeleted = Event<'NatsConsumerDeleted', ConsumerRef & { deletedAt: string }>;

export type NatsConsumerEvent = NatsConsumerCreated | NatsConsumerUpdated | NatsConsumerDeleted;
