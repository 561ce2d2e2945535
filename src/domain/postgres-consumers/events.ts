import type { Event } from '@event-driven-io/emmett';
import type { RecordSelection, StartPosition } from '../consumer-selection.ts';
import type { EventAction, MessageKind } from '../change-events.ts';

/** `mark`: a deleted record stays as a row with `deleted = true` and its last data; `delete`: its row is removed. */
export type PostgresDeletes = 'mark' | 'delete';

/** TLS to the target: none, encrypted without checks, the certificate chain checked, or chain and host name checked. */
export type PostgresSslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

/** Where the consumer writes. The password lives only sealed, in `PostgresConsumerSettings.passwordSealed`. */
export type PostgresConnectionSettings = {
  host: string;
  port: number;
  database: string;
  user: string;
  sslMode: PostgresSslMode;
  /** The `postgres://` URL as given, without its password; null when the fields were given. */
  url: string | null;
};

/** A table name checked to be plain SQL identifiers (src/consumers/postgres/table-name.ts). */
export type PostgresTableName = { schema: string; name: string };

export type PostgresConsumerSettings = {
  name: string;
  connection: PostgresConnectionSettings;
  /** AES-256-GCM ciphertext of the password (src/crypto/secret-box.ts); null without a password. */
  passwordSealed: string | null;
  /** `…7f2a` (never the password); null without a password. */
  passwordHint: string | null;
  table: PostgresTableName;
  createTable: boolean;
  deletes: PostgresDeletes;
  batchSize: number;
};

type ConsumerRef = { consumerId: string; accountId: string };

/** A start position with the stream position it meant when it was decided. */
export type StartAt = StartPosition & {
  /** Delivery starts after this stream position (text: int8). */
  startIdx: string;
};

export type PostgresConsumerCreated = Event<
  'PostgresConsumerCreated',
  ConsumerRef &
    PostgresConsumerSettings & {
      selection: RecordSelection;
      start: StartAt;
      /** record (absent in events before change events existed) or event, and the event filters; fixed at creation. */
      messageKind?: MessageKind;
      eventActions?: EventAction[] | null;
      eventChangedFields?: string[] | null;
      createdAt: string;
    }
>;
export type PostgresConsumerUpdated = Event<'PostgresConsumerUpdated', ConsumerRef & PostgresConsumerSettings & { updatedAt: string }>;
/** `POST /v1/postgres-consumers/{id}/reset`: delivery starts again at `start` (back or ahead). */
export type PostgresConsumerReset = Event<'PostgresConsumerReset', ConsumerRef & { start: StartAt; resetAt: string }>;
export type PostgresConsumerDeleted = Event<'PostgresConsumerDeleted', ConsumerRef & { deletedAt: string }>;

export type PostgresConsumerEvent = PostgresConsumerCreated | PostgresConsumerUpdated | PostgresConsumerReset | PostgresConsumerDeleted;
