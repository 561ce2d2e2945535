/** Every GraphQL operation the console sends, with the shapes it reads back (see src/schema). */

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const ViewerQuery = /* GraphQL */ `
  query Viewer { viewer { account { id name isRoot } } }
`;
export interface ViewerData { viewer: { account: { id: string; name: string; isRoot: boolean } } }

// ── streams ──────────────────────────────────────────────────────────────
export interface Stream { id: string; uuid: string; name: string; createdAt: string }

export const StreamsQuery = /* GraphQL */ `
  query Streams($first: Int!, $after: String) {
    streams(first: $first, after: $after) {
      edges { cursor node { id uuid name createdAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
export interface StreamsData { streams: Connection<Stream> }

export const StreamQuery = /* GraphQL */ `
  query Stream($id: ID!) { stream(id: $id) { id uuid name createdAt } }
`;
export interface StreamData { stream: Stream | null }

export const CreateStreamMutation = /* GraphQL */ `
  mutation CreateStream($name: String!) { createStream(name: $name) { id uuid name createdAt } }
`;
export interface CreateStreamData { createStream: Stream }

// ── syncs ────────────────────────────────────────────────────────────────
export interface BackfillProgress { done: boolean; pages: number; records: number; total: number | null; percent: number | null; startedAt: string | null; completedAt: string | null }
export interface CollectionStatus { collectionId: string; records: number; deletedRecords: number; changesFetched: number; requestsMade: number; deleteDetectionRequests: number; lastPollAt: string | null; lastChangeAt: string | null; lastError: string | null; backfill: BackfillProgress }
export interface SyncStatus {
  syncId: string;
  state: string;
  requestsMade: number;
  rateLimitWaitMs: number;
  retries: number;
  lastPollAt: string | null;
  lastError: { code: string; message: string; collectionId: string | null; at: string } | null;
  collections: CollectionStatus[];
}
/** Provider webhooks of a sync (docs/PROVIDER-WEBHOOKS.md); the signing secret is never answered. */
export interface SyncWebhooks {
  enabled: boolean;
  url: string;
  signingSecretSet: boolean;
  manualSetup: string | null;
  registration: { state: string; error: string | null };
}
export interface Sync {
  id: string;
  uuid: string;
  name: string;
  externalId: string | null;
  provider: string;
  streamId: string;
  collectionIds: string[];
  credentialId: string;
  pollIntervalMs: number;
  rateLimit: { allowedRequests: number; interval: number; maxConcurrentRequests: number };
  webhooks: SyncWebhooks;
  createdAt: string;
  status: SyncStatus;
}

const SyncStatusFields = /* GraphQL */ `
  syncId state requestsMade rateLimitWaitMs retries lastPollAt
  lastError { code message collectionId at }
  collections {
    collectionId records deletedRecords changesFetched requestsMade deleteDetectionRequests lastPollAt lastChangeAt lastError
    backfill { done pages records total percent startedAt completedAt }
  }
`;

export const SyncsQuery = /* GraphQL */ `
  query Syncs($streamId: ID!, $first: Int!, $after: String) {
    syncs(streamId: $streamId, first: $first, after: $after) {
      edges { cursor node {
        id uuid name externalId provider streamId collectionIds credentialId pollIntervalMs createdAt
        rateLimit { allowedRequests interval maxConcurrentRequests }
        webhooks { enabled url signingSecretSet manualSetup registration { state error } }
        status { ${SyncStatusFields} }
      } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
export interface SyncsData { syncs: Connection<Sync> }

/** Only the ids: polled to notice syncs created or deleted elsewhere (REST, CLI, another tab). */
export const SyncIdsQuery = /* GraphQL */ `
  query SyncIds($streamId: ID!, $first: Int!) { syncs(streamId: $streamId, first: $first) { edges { node { id uuid } } } }
`;
export interface SyncIdsData { syncs: { edges: { node: { id: string; uuid: string } }[] } }

export const SyncStatusSubscription = /* GraphQL */ `
  subscription SyncStatusChanged($syncId: ID!) { syncStatusChanged(syncId: $syncId) { ${SyncStatusFields} } }
`;
export interface SyncStatusChangedData { syncStatusChanged: SyncStatus }

export interface SyncInput {
  name: string;
  provider: string;
  streamId: string;
  credentialId: string;
  collectionIds: string[];
  rateLimit: { allowedRequests: number; interval: number; maxConcurrentRequests: number };
  pollIntervalMs: number;
  webhooks?: { enabled: boolean; signingSecret?: string };
}
export const CreateSyncMutation = /* GraphQL */ `
  mutation CreateSync($input: SyncInput!) { createSync(input: $input) { id uuid name } }
`;
export interface CreateSyncData { createSync: { id: string; uuid: string; name: string } }

export const SyncLifecycleMutations = {
  pause: /* GraphQL */ `mutation PauseSync($id: ID!) { pauseSync(id: $id) { id uuid state } }`,
  resume: /* GraphQL */ `mutation ResumeSync($id: ID!) { resumeSync(id: $id) { id uuid state } }`,
  resync: /* GraphQL */ `mutation ResyncSync($id: ID!) { resyncSync(id: $id) { id uuid state } }`,
} as const;
export const DeleteSyncMutation = /* GraphQL */ `mutation DeleteSync($id: ID!) { deleteSync(id: $id) }`;
export const DeleteHttpConsumerMutation = /* GraphQL */ `mutation DeleteHttpConsumer($id: ID!) { deleteHttpConsumer(id: $id) }`;
export const DeleteNatsConsumerMutation = /* GraphQL */ `mutation DeleteNatsConsumer($id: ID!) { deleteNatsConsumer(id: $id) }`;

// ── providers, credentials, OAuth apps ───────────────────────────────────
export interface Provider {
  name: string;
  displayName: string;
  collections: { id: string; name: string }[];
  credentialKinds: { kind: string; required: string[]; needsOAuthApp: boolean }[];
  oauth: { credentialKind: string; defaultScopes: string[] } | null;
  webhooks: boolean;
}
export const ProvidersQuery = /* GraphQL */ `
  query Providers {
    providers {
      name displayName
      collections { id name }
      credentialKinds { kind required needsOAuthApp }
      oauth { credentialKind defaultScopes }
      webhooks
    }
  }
`;
export interface ProvidersData { providers: Provider[] }

export interface Credential { id: string; uuid: string; kind: string; name: string | null; apiBaseUrl: string | null; createdAt: string }
export const CredentialsQuery = /* GraphQL */ `
  query Credentials($first: Int!) {
    credentials(first: $first) { edges { node { id uuid kind name apiBaseUrl createdAt } } pageInfo { hasNextPage endCursor } }
  }
`;
export interface CredentialsData { credentials: Connection<Credential> }

export interface CredentialInput { kind: string; name?: string; secret?: string; refreshToken?: string; apiBaseUrl?: string; metadata?: Record<string, string> }
export const CreateCredentialMutation = /* GraphQL */ `
  mutation CreateCredential($input: CredentialInput!) { createCredential(input: $input) { id uuid kind name apiBaseUrl createdAt } }
`;
export interface CreateCredentialData { createCredential: Credential }

export interface OAuthApp { id: string; uuid: string; provider: string; clientId: string }
export const OAuthAppsQuery = /* GraphQL */ `
  query OAuthApps { oauthApps(first: 100) { edges { node { id uuid provider clientId } } } }
`;
export interface OAuthAppsData { oauthApps: Connection<OAuthApp> }
export const CreateOAuthAppMutation = /* GraphQL */ `
  mutation CreateOAuthApp($provider: String!, $clientId: String!, $clientSecret: String!) {
    createOAuthApp(provider: $provider, clientId: $clientId, clientSecret: $clientSecret) { id uuid provider clientId }
  }
`;
export interface CreateOAuthAppData { createOAuthApp: OAuthApp }

// ── records ──────────────────────────────────────────────────────────────
export interface SyncRecord {
  syncId: string;
  collectionId: string;
  upstreamId: string;
  updatedIdx: string;
  upstreamUpdatedAt: string | null;
  deleted: boolean;
  data: unknown;
}
/** The stream's records: every sync's, or one sync's with `syncId`. */
export const StreamRecordsQuery = /* GraphQL */ `
  query StreamRecords($streamId: ID!, $syncId: ID, $collectionId: String, $upstreamId: String, $first: Int!, $after: String) {
    stream(id: $streamId) {
      id
      records(syncId: $syncId, collectionId: $collectionId, upstreamId: $upstreamId, first: $first, after: $after) {
        edges { cursor node { syncId collectionId upstreamId updatedIdx upstreamUpdatedAt deleted data } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;
export interface StreamRecordsData { stream: { id: string; records: Connection<SyncRecord> } | null }

export const RecordChangedSubscription = /* GraphQL */ `
  subscription RecordChanged($streamId: ID!, $syncId: ID, $collectionIds: [String!]) {
    recordChanged(streamId: $streamId, syncId: $syncId, collectionIds: $collectionIds) {
      syncId collectionId upstreamId updatedIdx upstreamUpdatedAt deleted data
    }
  }
`;
export interface RecordChangedData { recordChanged: SyncRecord }

// ── consumers ────────────────────────────────────────────────────────────
export interface HttpConsumer {
  id: string;
  uuid: string;
  name: string;
  streamId: string;
  syncId: string | null;
  collectionIds: string[] | null;
  deliverPolicy: string;
  /** record | event (docs/DELIVERY.md, "Change events") */
  messageKind: string;
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
  numPending: number;
  numAckPending: number;
  numDead: number;
  createdAt: string;
}
const HttpConsumerFields = 'id uuid name streamId syncId collectionIds deliverPolicy messageKind ackWaitMs maxDeliver maxAckPending numPending numAckPending numDead createdAt';

export interface NatsConsumer {
  id: string;
  uuid: string;
  name: string;
  streamId: string;
  syncId: string | null;
  subjectPrefix: string;
  deliverPolicy: string;
  messageKind: string;
  connectionState: string;
  state: string;
  lag: number;
  lagSeconds: number;
  lastDeliveredAt: string | null;
  messagesPublished: string;
  lastPublishedIdx: string;
  lastError: { at: string; message: string } | null;
  nats: { host: string; port: number; tls: boolean };
  createdAt: string;
}
const NatsConsumerFields = 'id uuid name streamId syncId subjectPrefix deliverPolicy messageKind connectionState state lag lagSeconds lastDeliveredAt messagesPublished lastPublishedIdx lastError { at message } nats { host port tls } createdAt';

/** A push consumer's status (DESIGN.md §7b): NATS, webhook and PostgreSQL consumers answer it. */
export interface PushStatus {
  state: string;
  lag: number;
  lagSeconds: number;
  lastDeliveredAt: string | null;
  lastError: { message: string; at: string } | null;
}
const PushStatusFields = 'state lag lagSeconds lastDeliveredAt lastError { message at }';

/** The rows of the consumers tab: every kind, one stream, `first` of each kind. */
export interface ConsumerListItem { id: string; uuid: string; name: string }
type ListStatus = Pick<PushStatus, 'state' | 'lag' | 'lagSeconds'>;
type ListConnection<T> = { edges: { node: T }[]; pageInfo: { hasNextPage: boolean } };
export interface ConsumersData {
  stream: {
    id: string;
    httpConsumers: ListConnection<ConsumerListItem & { numPending: number; numAckPending: number }>;
    natsConsumers: ListConnection<ConsumerListItem & ListStatus>;
    webhookConsumers: ListConnection<ConsumerListItem & ListStatus & { url: string }>;
    postgresConsumers: ListConnection<ConsumerListItem & ListStatus & { table: string }>;
  } | null;
}
export const ConsumersQuery = /* GraphQL */ `
  query Consumers($streamId: ID!, $first: Int!) {
    stream(id: $streamId) {
      id
      httpConsumers(first: $first) { edges { node { id uuid name numPending numAckPending } } pageInfo { hasNextPage } }
      natsConsumers(first: $first) { edges { node { id uuid name state lag lagSeconds } } pageInfo { hasNextPage } }
      webhookConsumers(first: $first) { edges { node { id uuid name url state lag lagSeconds } } pageInfo { hasNextPage } }
      postgresConsumers(first: $first) { edges { node { id uuid name table state lag lagSeconds } } pageInfo { hasNextPage } }
    }
  }
`;

export const HttpConsumerQuery = /* GraphQL */ `
  query HttpConsumer($id: ID!) { httpConsumer(id: $id) { ${HttpConsumerFields} } }
`;
export interface HttpConsumerData { httpConsumer: HttpConsumer | null }

export const NatsConsumerQuery = /* GraphQL */ `
  query NatsConsumer($id: ID!) { natsConsumer(id: $id) { ${NatsConsumerFields} } }
`;
export interface NatsConsumerData { natsConsumer: NatsConsumer | null }

export interface HttpConsumerInput { name: string; streamId: string; syncId?: string; deliverPolicy: string; optStartTime?: string; optStartIdx?: string; ackWaitMs: number; maxDeliver: number; messageKind?: string }
export const CreateHttpConsumerMutation = /* GraphQL */ `
  mutation CreateHttpConsumer($input: HttpConsumerInput!) { createHttpConsumer(input: $input) { ${HttpConsumerFields} } }
`;
export interface CreateHttpConsumerData { createHttpConsumer: HttpConsumer }

export interface NatsConsumerInput {
  name: string;
  streamId: string;
  syncId?: string;
  deliverPolicy: string;
  optStartTime?: string;
  optStartIdx?: string;
  subjectPrefix: string;
  messageKind?: string;
  nats: { host: string; port: number; tls: boolean; user?: string; password?: string; token?: string };
}
export const CreateNatsConsumerMutation = /* GraphQL */ `
  mutation CreateNatsConsumer($input: NatsConsumerInput!) { createNatsConsumer(input: $input) { ${NatsConsumerFields} } }
`;
export interface CreateNatsConsumerData { createNatsConsumer: NatsConsumer }

/** A new start position: `optStartTime` (ISO 8601) with by_start_time, `optStartIdx` with by_start_idx. */
export interface StartPosition { deliverPolicy: string; optStartTime?: string; optStartIdx?: string }
export type ConsumerKind = 'http' | 'nats' | 'webhook' | 'postgres';

export const ResetConsumerMutations: Record<ConsumerKind, string> = {
  http: /* GraphQL */ `mutation ResetHttpConsumer($id: ID!, $input: ConsumerResetInput!) { resetHttpConsumer(id: $id, input: $input) { id uuid deliverPolicy resetCount } }`,
  nats: /* GraphQL */ `mutation ResetNatsConsumer($id: ID!, $input: ConsumerResetInput!) { resetNatsConsumer(id: $id, input: $input) { id uuid deliverPolicy resetCount } }`,
  webhook: /* GraphQL */ `mutation ResetWebhookConsumer($id: ID!, $input: ConsumerResetInput!) { resetWebhookConsumer(id: $id, input: $input) { id uuid deliverPolicy resetCount } }`,
  postgres: /* GraphQL */ `mutation ResetPostgresConsumer($id: ID!, $input: ConsumerResetInput!) { resetPostgresConsumer(id: $id, input: $input) { id uuid deliverPolicy resetCount } }`,
};

export const DeleteConsumerMutations: Record<ConsumerKind, string> = {
  http: DeleteHttpConsumerMutation,
  nats: DeleteNatsConsumerMutation,
  webhook: /* GraphQL */ `mutation DeleteWebhookConsumer($id: ID!) { deleteWebhookConsumer(id: $id) }`,
  postgres: /* GraphQL */ `mutation DeletePostgresConsumer($id: ID!) { deletePostgresConsumer(id: $id) }`,
};

/** One attempt of the delivery log, newest first (`webhookId` for webhooks, `batchId` for PostgreSQL). */
export interface DeliveryAttempt {
  at: string;
  webhookId?: string;
  batchId?: string;
  batchSize: number;
  status: number | string | null;
  latencyMs: number;
  error: string | null;
  responseExcerpt: string | null;
}
export interface LogPage<T> { nodes: T[]; nextCursor: string | null }

export interface WebhookConsumer extends PushStatus {
  id: string;
  uuid: string;
  name: string;
  streamId: string;
  syncId: string | null;
  collectionIds: string[] | null;
  url: string;
  headers: Record<string, string>;
  secretHint: string;
  previousSecretValidUntil: string | null;
  batchSize: number;
  timeoutMs: number;
  maxDeliver: number;
  retryWindowMs: number;
  maxInFlight: number;
  /** record | event (docs/DELIVERY.md, "Change events") */
  messageKind: string;
  deliverPolicy: string;
  optStartTime: string | null;
  optStartIdx: string | null;
  resetCount: number;
  createdAt: string;
}
const WebhookConsumerFields = `id uuid name streamId syncId collectionIds url headers secretHint previousSecretValidUntil batchSize timeoutMs maxDeliver
  retryWindowMs maxInFlight messageKind deliverPolicy optStartTime optStartIdx resetCount createdAt ${PushStatusFields}`;

export const WebhookConsumerQuery = /* GraphQL */ `
  query WebhookConsumer($id: ID!) { webhookConsumer(id: $id) { ${WebhookConsumerFields} } }
`;
export interface WebhookConsumerData { webhookConsumer: WebhookConsumer | null }

export const WebhookDeliveriesQuery = /* GraphQL */ `
  query WebhookDeliveries($id: ID!, $first: Int!, $after: String) {
    webhookConsumer(id: $id) { id deliveries(first: $first, after: $after) { nodes { at webhookId batchSize status latencyMs error responseExcerpt } nextCursor } }
  }
`;
export interface WebhookDeliveriesData { webhookConsumer: { id: string; deliveries: LogPage<DeliveryAttempt> } | null }

export interface DeadLetter {
  syncId: string;
  collectionId: string;
  upstreamId: string;
  updatedIdx: string;
  webhookId: string;
  attempts: number;
  lastError: string | null;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  deadAt: string;
  redeliveryPending: boolean;
}
export const WebhookDeadLettersQuery = /* GraphQL */ `
  query WebhookDeadLetters($id: ID!, $first: Int!, $after: String) {
    webhookConsumer(id: $id) {
      id
      deadLetters(first: $first, after: $after) {
        nodes { syncId collectionId upstreamId updatedIdx webhookId attempts lastError firstAttemptAt lastAttemptAt deadAt redeliveryPending }
        nextCursor
      }
    }
  }
`;
export interface WebhookDeadLettersData { webhookConsumer: { id: string; deadLetters: LogPage<DeadLetter> } | null }

export const RedeliverDeadLettersMutation = /* GraphQL */ `
  mutation RedeliverWebhookDeadLetters($id: ID!, $upstreamIds: [String!], $all: Boolean) { redeliverWebhookDeadLetters(id: $id, upstreamIds: $upstreamIds, all: $all) }
`;
export interface RedeliverDeadLettersData { redeliverWebhookDeadLetters: number }

export interface WebhookConsumerInput {
  name: string;
  streamId: string;
  syncId?: string;
  deliverPolicy: string;
  optStartTime?: string;
  optStartIdx?: string;
  url: string;
  headers?: Record<string, string>;
  batchSize: number;
  timeoutMs: number;
  maxDeliver: number;
  retryWindowMs: number;
  messageKind?: string;
}
export const CreateWebhookConsumerMutation = /* GraphQL */ `
  mutation CreateWebhookConsumer($input: WebhookConsumerInput!) { createWebhookConsumer(input: $input) { secret webhookConsumer { id uuid name } } }
`;
export interface CreateWebhookConsumerData { createWebhookConsumer: { secret: string; webhookConsumer: { id: string; uuid: string; name: string } } }

export const RotateWebhookSecretMutation = /* GraphQL */ `
  mutation RotateWebhookConsumerSecret($id: ID!, $previousSecretValidMs: Float) {
    rotateWebhookConsumerSecret(id: $id, previousSecretValidMs: $previousSecretValidMs) { secret webhookConsumer { id uuid secretHint previousSecretValidUntil } }
  }
`;
export interface RotateWebhookSecretData { rotateWebhookConsumerSecret: { secret: string; webhookConsumer: { id: string; uuid: string; secretHint: string; previousSecretValidUntil: string | null } } }

export interface PostgresConsumer extends PushStatus {
  id: string;
  uuid: string;
  name: string;
  streamId: string;
  syncId: string | null;
  collectionIds: string[] | null;
  connection: { url: string | null; host: string; port: number; database: string; user: string; ssl: boolean; sslMode: string; password: string | null; hasPassword: boolean };
  table: string;
  createTable: boolean;
  deletes: string;
  batchSize: number;
  /** record | event (docs/DELIVERY.md, "Change events") */
  messageKind: string;
  deliverPolicy: string;
  optStartTime: string | null;
  optStartIdx: string | null;
  startIdx: string;
  resetCount: number;
  createdAt: string;
}
const PostgresConsumerFields = `id uuid name streamId syncId collectionIds table createTable deletes batchSize messageKind deliverPolicy optStartTime optStartIdx startIdx resetCount createdAt
  connection { url host port database user ssl sslMode password hasPassword } ${PushStatusFields}`;

export const PostgresConsumerQuery = /* GraphQL */ `
  query PostgresConsumer($id: ID!) { postgresConsumer(id: $id) { ${PostgresConsumerFields} } }
`;
export interface PostgresConsumerData { postgresConsumer: PostgresConsumer | null }

export const PostgresDeliveriesQuery = /* GraphQL */ `
  query PostgresDeliveries($id: ID!, $first: Int!, $after: String) {
    postgresConsumer(id: $id) { id deliveries(first: $first, after: $after) { nodes { at batchId batchSize status latencyMs error responseExcerpt } nextCursor } }
  }
`;
export interface PostgresDeliveriesData { postgresConsumer: { id: string; deliveries: LogPage<DeliveryAttempt> } | null }

export interface PostgresConsumerInput {
  name: string;
  streamId: string;
  syncId?: string;
  deliverPolicy: string;
  optStartTime?: string;
  optStartIdx?: string;
  connection: { url: string } | { host: string; port: number; database: string; user: string; password?: string; ssl: boolean };
  table: string;
  createTable: boolean;
  deletes: 'mark' | 'delete';
  messageKind?: string;
}
export const CreatePostgresConsumerMutation = /* GraphQL */ `
  mutation CreatePostgresConsumer($input: PostgresConsumerInput!) { createPostgresConsumer(input: $input) { id uuid name } }
`;
export interface CreatePostgresConsumerData { createPostgresConsumer: { id: string; uuid: string; name: string } }

// ── API tokens ───────────────────────────────────────────────────────────
export interface ApiToken { id: string; name: string; prefix: string; createdAt: string; revokedAt: string | null }
export const ApiTokensQuery = /* GraphQL */ `
  query ApiTokens { viewer { apiTokens { id name prefix createdAt revokedAt } } }
`;
export interface ApiTokensData { viewer: { apiTokens: ApiToken[] } }
export const CreateApiTokenMutation = /* GraphQL */ `
  mutation CreateApiToken($name: String) { createApiToken(name: $name) { token apiToken { id name prefix createdAt revokedAt } } }
`;
export interface CreateApiTokenData { createApiToken: { token: string; apiToken: ApiToken } }
export const RevokeApiTokenMutation = /* GraphQL */ `
  mutation RevokeApiToken($id: ID!) { revokeApiToken(id: $id) }
`;
export interface RevokeApiTokenData { revokeApiToken: string }

/** The account's notification webhook (docs/OPERATIONS.md "Notifications"). */
export interface NotificationWebhook { url: string; secretHint: string; previousSecretValidUntil: string | null; createdAt: string; updatedAt: string }
const notificationWebhookFields = 'url secretHint previousSecretValidUntil createdAt updatedAt';
export const NotificationWebhookQuery = /* GraphQL */ `
  query NotificationWebhook { notificationWebhook { ${notificationWebhookFields} } notificationDeliveries { at webhookId type status error } }
`;
export interface NotificationDelivery { at: string; webhookId: string; type: string; status: number | null; error: string | null }
export interface NotificationWebhookData { notificationWebhook: NotificationWebhook | null; notificationDeliveries: NotificationDelivery[] }
export const SetNotificationWebhookMutation = /* GraphQL */ `
  mutation SetNotificationWebhook($url: String!) { setNotificationWebhook(url: $url) { secret webhook { ${notificationWebhookFields} } } }
`;
export interface SetNotificationWebhookData { setNotificationWebhook: { secret: string | null; webhook: NotificationWebhook } }
export const RotateNotificationWebhookSecretMutation = /* GraphQL */ `
  mutation RotateNotificationWebhookSecret { rotateNotificationWebhookSecret { secret webhook { ${notificationWebhookFields} } } }
`;
export interface RotateNotificationWebhookSecretData { rotateNotificationWebhookSecret: { secret: string | null; webhook: NotificationWebhook } }
export const RemoveNotificationWebhookMutation = /* GraphQL */ `
  mutation RemoveNotificationWebhook { removeNotificationWebhook }
`;
export interface RemoveNotificationWebhookData { removeNotificationWebhook: boolean }
