import { z } from 'zod';
import type { presentAccountLimits } from '../../queries/account-limits.ts';
import type { listApiTokens, presentApiToken } from '../../queries/api-tokens.ts';
import type { listCredentials, presentCredential } from '../../queries/credentials.ts';
import type { getHttpConsumer, listHttpConsumers, messageHistory } from '../../queries/http-consumers.ts';
import type { listMutationRuns, presentRunAnswer, presentRunAudit } from '../../queries/mutations.ts';
import type { getNatsConsumer, listNatsConsumers } from '../../queries/nats-consumers.ts';
import type { listOAuthApps, presentOAuthApp } from '../../queries/oauth-apps.ts';
import type { listProviders } from '../../queries/providers.ts';
import type { presentRecordRow } from '../../queries/records.ts';
import type { listStreams, presentStream } from '../../queries/streams.ts';
import type { getSyncStatus, listSyncs, presentSync } from '../../queries/syncs.ts';
import type { AllHold, Presents } from './presents.ts';

/*
 * The REST answers, as zod schemas for the OpenAPI document (src/http/openapi/document.ts). The
 * presenters that build them (src/queries, and the few in src/http) are checked against them at
 * compile time (`PresenterChecks` below, `satisfies` in src/http), and every answer of the REST
 * test suite against the document at run time (test/support/openapi-check.ts).
 */

const id = z.uuid();
export const timestamp = z.iso.datetime().meta({ description: 'UTC, ISO 8601 with milliseconds' });
const count = z.number().int().min(0);

/**
 * A JSON object whose keys are the caller's or the provider's (`metadata`, a record's `data`). Its
 * TypeScript type is `unknown`, as the presenters hold it (Prisma's JSON, a provider's object); the
 * document says what it is: an object.
 */
const jsonObject = (description: string): z.ZodType<unknown> => z.record(z.string(), z.unknown()).meta({ description });

/** `{data, next_cursor}`: a page of a list (`?limit=&cursor=`); one per item schema (its id names a component). */
export const page = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      data: z.array(item),
      next_cursor: z.string().nullable().meta({ description: 'pass it as `cursor` for the next page; null on the last page' }),
    })
    .meta({ id: `${name}Page` });

export const errorAnswer = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'machine-readable: `validation_failed`, `not_found`, `unauthorized`, … (docs/API.md, "Errors")' }),
      message: z.string(),
      details: z.array(
        z.object({
          path: z.string().meta({ description: 'the field, named as the request named it (`rate_limit.allowed_requests`)' }),
          message: z.string(),
          limit: z.number().int().optional().meta({ description: '`quota_exceeded`: the limit reached' }),
          setting: z.string().optional().meta({ description: '`quota_exceeded`: the setting that raises it' }),
        }),
      ),
    }),
  })
  .meta({ id: 'Error' });

export const streamView = z.object({ id, name: z.string(), created_at: timestamp }).meta({ id: 'Stream' });

export const apiTokenView = z
  .object({ id, name: z.string(), prefix: z.string().meta({ description: 'the first characters of the secret' }), created_at: timestamp, revoked_at: timestamp.nullable() })
  .meta({ id: 'ApiToken' });
export const issuedApiTokenView = apiTokenView.extend({ token: z.string().meta({ description: 'the secret, shown once' }) }).meta({ id: 'IssuedApiToken' });

const countLimit = z.number().int().min(0);
export const accountLimitsView = z.object({
  limits: z.object({
    max_syncs: countLimit,
    max_consumers: countLimit,
    min_poll_interval_ms: z.number().int(),
    api_requests_per_second: z.number(),
  }),
  limit_overrides: z
    .object({ max_syncs: countLimit.nullable(), max_consumers: countLimit.nullable() })
    .meta({ description: "the root token's overrides; null: the operator's default" }),
});
export const accountView = z
  .object({ id, name: z.string(), is_root: z.boolean(), created_at: timestamp })
  .extend(accountLimitsView.shape)
  .meta({ id: 'Account' });
export const createdAccountView = z
  .object({
    account: z.object({ id, name: z.string(), created_at: timestamp }),
    api_token: z.object({ id, token: z.string().meta({ description: "the account's first token, shown once" }) }),
  })
  .meta({ id: 'CreatedAccount' });

const secretHint = z.string().nullable().meta({ description: 'the last 4 characters (`…7f2a`), `…` for a short secret; null when not set' });
export const credentialView = z
  .object({
    id,
    kind: z.string(),
    name: z.string().nullable(),
    oauth_app_id: id.nullable(),
    api_base_url: z.string().nullable(),
    metadata: jsonObject("the credential's metadata (`shop`, `subdomain`, …)"),
    access_token: secretHint,
    refresh_token: secretHint,
    has_access_token: z.boolean(),
    has_refresh_token: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Credential' });

export const oauthAppView = z
  .object({ id, provider: z.string(), client_id: z.string(), client_secret: z.string().meta({ description: 'a hint, never the secret' }), created_at: timestamp })
  .meta({ id: 'OAuthApp' });

export const oauthConnectStartView = z
  .object({
    provider: z.string(),
    authorize_url: z.url().meta({ description: "the provider's consent page: open it in a browser" }),
    state: z.string(),
    expires_at: timestamp,
  })
  .meta({ id: 'OAuthConnectStart' });

const rateLimitView = z
  .object({ allowed_requests: z.number().int(), interval: z.number().meta({ description: 'seconds' }), max_concurrent_requests: z.number().int() })
  .meta({ id: 'RateLimit' });
const mutationKind = z.enum(['create', 'update', 'delete']);

export const providerView = z
  .object({
    name: z.string(),
    display_name: z.string(),
    credential_kinds: z.array(
      z.object({
        kind: z.string(),
        required: z.array(z.string()).meta({ description: 'secrets, then metadata keys (`metadata.shop`)' }),
        required_one_of: z.array(z.string()),
        needs_oauth_app: z.boolean(),
      }),
    ),
    collections: z.array(z.object({ id: z.string(), name: z.string(), mutations: z.array(mutationKind) })),
    oauth: z.object({ credential_kind: z.string(), default_scopes: z.array(z.string()) }).nullable(),
    webhooks: z
      .object({
        registration: z.enum(['automatic', 'manual']).meta({ description: '`automatic`: Syncline registers the webhook upstream (with SYNCLINE_PUBLIC_URL set)' }),
        manual_setup: z.string().nullable(),
      })
      .nullable()
      .meta({ description: 'its signed webhooks (docs/PROVIDER-WEBHOOKS.md); null: the provider sends none, its syncs poll' }),
    default_rate_limit: rateLimitView,
  })
  .meta({ id: 'Provider' });
export const providersView = z.object({ data: z.array(providerView) });

const syncState = z.enum(['backfilling', 'active', 'paused', 'error']);
const syncWebhooksView = z
  .object({
    enabled: z.boolean(),
    url: z.string().meta({ description: 'where the provider sends the webhooks: SYNCLINE_PUBLIC_URL + `/v1/webhooks/in/{id}`, the path alone without it' }),
    registration: z.object({
      state: z.enum(['registered', 'manual', 'pending', 'failed', 'disabled']),
      expires_at: timestamp.nullable(),
      error: z.string().nullable(),
    }),
    signing_secret_set: z.boolean().meta({ description: 'a `signing_secret` was given (never answered)' }),
    reconcile_interval_ms: z.number().int().nullable(),
    manual_setup: z.string().nullable().meta({ description: "with `manual`: what to do in the provider's settings" }),
  })
  .meta({ id: 'SyncWebhooks', description: 'docs/PROVIDER-WEBHOOKS.md' });

export const syncView = z
  .object({
    id,
    account_id: id,
    name: z.string(),
    external_id: z.string().nullable().meta({ description: "the caller's own id for the sync, unique per account; null when it has none" }),
    provider: z.string(),
    stream_id: id,
    collection_ids: z.array(z.string()),
    credential_id: id,
    rate_limit: rateLimitView,
    metadata: jsonObject("the sync's metadata"),
    poll_interval_ms: z.number().int(),
    state: syncState,
    webhooks: syncWebhooksView,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Sync' });

export const syncStatusView = z
  .object({
    sync_id: id,
    state: syncState,
    last_error: z.object({ code: z.string(), message: z.string(), collection_id: z.string().nullable(), at: timestamp }).nullable(),
    requests_made: count,
    rate_limit_wait_ms: count,
    retries: count,
    last_poll_at: timestamp.nullable(),
    webhooks: z
      .object({
        received: count,
        verified: count,
        rejected: count.meta({ description: 'refused: signature missing or invalid, timestamp outside the tolerance, body too large or unreadable' }),
        duplicates: count.meta({ description: 'redeliveries of a delivery id already received' }),
        last_received_at: timestamp.nullable(),
        changes_missed: count.meta({ description: 'record versions polls wrote while webhooks were enabled: changes webhooks missed' }),
      })
      .nullable()
      .meta({ description: 'provider webhooks; null while disabled' }),
    collections: z.array(
      z.object({
        collection_id: z.string(),
        records: count,
        deleted_records: count,
        backfill: z.object({
          done: z.boolean(),
          pages: count,
          records: count,
          total: count.nullable(),
          percent: z.number().min(0).max(100).nullable(),
          started_at: timestamp.nullable(),
          completed_at: timestamp.nullable(),
        }),
        changes_fetched: count.meta({ description: 'record versions written by polls' }),
        requests_made: count.meta({ description: 'upstream requests the collection sent (every attempt)' }),
        delete_detection_requests: count.meta({ description: 'of requests_made, those spent only on finding deleted objects' }),
        last_change_at: timestamp.nullable(),
        last_poll_at: timestamp.nullable(),
        last_error: z.string().nullable(),
        in_flight: z
          .array(z.object({ method: z.string(), path: z.string(), since: timestamp, age_ms: z.number() }))
          .nullable()
          .meta({ description: 'requests upstream now; null when the sync does not run on the instance that answers' }),
        waiting: z
          .object({ reason: z.enum(['rate_limit', 'backoff', 'step_retry']), since: timestamp, until: timestamp.nullable(), age_ms: z.number() })
          .nullable(),
      }),
    ),
  })
  .meta({ id: 'SyncStatus' });

/** The record of DESIGN.md §2: the shape of every record REST, GraphQL and NATS deliver. */
export const recordView = z
  .object({
    sync_id: id,
    collection_id: z.string(),
    upstream_id: z.string(),
    updated_idx: z.number().int().min(0).meta({ description: "the version's position in the stream" }),
    upstream_created_at: timestamp.nullable(),
    upstream_updated_at: timestamp.nullable(),
    deleted: z.boolean(),
    data: jsonObject("the provider's object"),
  })
  .meta({ id: 'Record' });
export const recordsPageView = z
  .object({
    data: z.array(recordView),
    next_cursor: z.string().nullable().meta({ description: 'the last `updated_idx` of the page: pass it as `cursor`; null on the last page' }),
  })
  .meta({ id: 'RecordPage' });

/** Where a consumer's delivery started (DESIGN.md §7b; DELIVERY.md, "Filters and start positions"): the last reset's, else the creation's. */
const startPosition = {
  deliver_policy: z.enum(['all', 'new', 'by_start_time', 'by_start_idx']),
  opt_start_time: timestamp.nullable().meta({ description: 'with `deliver_policy: by_start_time`' }),
  opt_start_idx: z.number().int().min(1).nullable().meta({ description: 'with `deliver_policy: by_start_idx`' }),
  reset_count: count.meta({ description: 'resets (`POST …/{id}/reset`) so far' }),
};
/** What a consumer delivers, every kind (docs/DELIVERY.md, "Change events"). */
export const messageShape = {
  message_kind: z.enum(['record', 'event']).meta({ description: "`record`: each record's latest version; `event`: every version, as a change event" }),
  actions: z.array(z.enum(['inserted', 'updated', 'deleted'])).nullable().meta({ description: 'change events of these actions only; null: all' }),
  changed_fields: z.array(z.string()).nullable().meta({ description: 'updates that changed one of these top-level data fields only; null: all' }),
};
const providerFilter = z.string().nullable().meta({ description: 'only collections `<provider>:…`; null: every provider' });

export const httpConsumerView = z
  .object({
    id,
    name: z.string(),
    stream_id: id,
    sync_id: id.nullable(),
    collection_ids: z.array(z.string()).nullable(),
    provider: providerFilter,
    ...startPosition,
    ack_wait_ms: z.number().int(),
    max_deliver: z.number().int().meta({ description: '-1: unlimited' }),
    max_ack_pending: z.number().int(),
    ...messageShape,
    num_pending: count,
    num_ack_pending: count,
    num_dead: count,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'HttpConsumer' });

const ackToken = z.string().meta({ description: 'acks (or nacks) this message' });
const deliveredMessage = z
  .object({ ack_token: ackToken, ack_id: ackToken.meta({ description: 'the same token (the Sequin pull API\'s name)' }), record: recordView })
  .meta({ id: 'DeliveredMessage' });
/** A change event (message_kind `event`): the version, what it did, and the previous values of the data fields it changed. */
export const changeEventFields = {
  action: z.enum(['inserted', 'updated', 'deleted']),
  changes: z.record(z.string(), z.unknown()).nullable().meta({ description: 'updated: the previous values of the top-level data fields that differ; else null' }),
  record: recordView,
  occurred_at: timestamp.meta({ description: 'when Syncline recorded the version' }),
};
const deliveredEvent = z
  .object({ ack_token: ackToken, ack_id: ackToken.meta({ description: 'the same token' }), ...changeEventFields })
  .meta({ id: 'DeliveredEvent' });
const deliveredMessageOrEvent = z.union([deliveredMessage, deliveredEvent]);
export const nextView = z.array(deliveredMessageOrEvent);
export const receiveView = z.object({ data: z.array(deliveredMessageOrEvent) });
export const ackView = z.object({ acked: count, invalid_ack_tokens: z.array(z.string()).meta({ description: 'tokens that matched no live lease (acked already, expired, unknown)' }) });
export const nackView = z.object({ nacked: count, invalid_ack_tokens: z.array(z.string()) });
export const compatAckView = z.object({ success: z.literal(true) });

export const messageHistoryView = z
  .object({
    upstream_id: z.string(),
    leases: z.array(
      z.object({
        sync_id: id,
        collection_id: z.string(),
        updated_idx: z.number().int(),
        deliver_count: z.number().int(),
        deadline: timestamp,
        dead: z.boolean(),
        dead_at: timestamp.nullable(),
      }),
    ),
    history: z.array(
      z.object({
        action: z.string(),
        at: timestamp,
        sync_id: id,
        collection_id: z.string(),
        updated_idx: z.number().int().nullable(),
        deliver_count: z.number().int().nullable(),
      }),
    ),
  })
  .meta({ id: 'MessageHistory' });

/** The status every push consumer answers (DESIGN.md §7b; src/consumers/sinks/status.ts). */
export const sinkStatusFields = {
  state: z.enum(['connecting', 'connected', 'disconnected', 'error']).meta({ description: "What the consumer's target looks like from its sink runner." }),
  lag: count.meta({ description: "Records of the consumer's selection still to deliver." }),
  lag_seconds: z.number().min(0).meta({ description: 'Seconds since the oldest record still to deliver was written; 0 when none.' }),
  last_delivered_at: timestamp.nullable(),
  last_error: z.object({ message: z.string(), at: timestamp }).nullable(),
};

export const natsConsumerView = z
  .object({
    id,
    name: z.string(),
    stream_id: id,
    sync_id: id.nullable(),
    collection_ids: z.array(z.string()).nullable(),
    provider: providerFilter,
    subject_prefix: z.string(),
    ...messageShape,
    ...startPosition,
    start_idx: count.meta({ description: 'delivery starts after this stream position (set at creation and by each reset)' }),
    nats: z.object({
      host: z.string(),
      port: z.number().int(),
      tls: z.boolean(),
      user: z.string().nullable(),
      jwt: secretHint,
      nkey_seed: secretHint,
      password: secretHint,
      token: secretHint,
      has_jwt: z.boolean(),
      has_nkey_seed: z.boolean(),
      has_password: z.boolean(),
      has_token: z.boolean(),
    }),
    last_published_idx: count,
    lag: count,
    last_error: z.object({ message: z.string(), at: timestamp }).nullable(),
    connection_state: z.enum(['connecting', 'connected', 'disconnected', 'error']),
    messages_published: count,
    last_published_at: timestamp.nullable(),
    state: sinkStatusFields.state,
    lag_seconds: sinkStatusFields.lag_seconds,
    last_delivered_at: sinkStatusFields.last_delivered_at,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'NatsConsumer' });

const mutationItemError = z.object({ code: z.string(), message: z.string(), upstream_status: z.number().int().nullable() });
/** A record a mutation wrote: the record shape, its position unknown (null) when it was not projected. */
const mutationRecord = recordView.extend({ updated_idx: z.number().int().min(0).nullable() }).meta({ id: 'MutationRecord' });
export const mutationRunView = z
  .object({
    id,
    sync_id: id,
    collection_id: z.string(),
    kind: mutationKind,
    idempotency_key: z.string().nullable(),
    data: z.array(
      z.union([z.object({ ok: z.literal(true), record: mutationRecord }), z.object({ ok: z.literal(false), error: mutationItemError })]),
    ),
    awaited_consumers: z
      .array(z.object({ consumer_id: z.string(), acked: z.boolean() }))
      .optional()
      .meta({ description: 'with `await_consumer_ids`: whether each consumer acked the versions written' }),
  })
  .meta({ id: 'MutationRun' });

export const mutationRunAuditView = z
  .object({
    id,
    sync_id: id,
    collection_id: z.string(),
    kind: mutationKind,
    idempotency_key: z.string().nullable(),
    status: z.enum(['running', 'completed']),
    attempts: z.number().int(),
    item_count: count,
    applied: count,
    failed: count,
    requested_by_token_id: z.string(),
    created_at: timestamp,
    completed_at: timestamp.nullable(),
    items: z.array(
      z.object({
        index: count,
        upstream_id: z.string().nullable(),
        fields: z.array(z.string()).meta({ description: 'names of the fields the item set (never their values)' }),
        status: z.enum(['requested', 'applied', 'failed']),
        updated_idx: z.number().int().nullable(),
        error: mutationItemError.nullable(),
        settled_at: timestamp.nullable(),
      }),
    ),
  })
  .meta({ id: 'MutationRunAudit' });

export const streamPage = page(streamView, 'Stream');
export const apiTokenPage = page(apiTokenView, 'ApiToken');
export const credentialPage = page(credentialView, 'Credential');
export const oauthAppPage = page(oauthAppView, 'OAuthApp');
export const syncPage = page(syncView, 'Sync');
export const httpConsumerPage = page(httpConsumerView, 'HttpConsumer');
export const natsConsumerPage = page(natsConsumerView, 'NatsConsumer');
export const mutationRunAuditPage = page(mutationRunAuditView, 'MutationRunAudit');

type Answer<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

/** Each presenter against its schema: `tsc` fails here when one drifts from the other. */
export type PresenterChecks = AllHold<
  [
    Presents<typeof streamView, ReturnType<typeof presentStream>>,
    Presents<ReturnType<typeof page<typeof streamView>>, Answer<typeof listStreams>>,
    Presents<typeof apiTokenView, ReturnType<typeof presentApiToken>>,
    Presents<ReturnType<typeof page<typeof apiTokenView>>, Answer<typeof listApiTokens>>,
    Presents<typeof accountLimitsView, Answer<typeof presentAccountLimits>>,
    Presents<typeof credentialView, ReturnType<typeof presentCredential>>,
    Presents<ReturnType<typeof page<typeof credentialView>>, Answer<typeof listCredentials>>,
    Presents<typeof oauthAppView, ReturnType<typeof presentOAuthApp>>,
    Presents<ReturnType<typeof page<typeof oauthAppView>>, Answer<typeof listOAuthApps>>,
    Presents<z.ZodArray<typeof providerView>, ReturnType<typeof listProviders>>,
    Presents<typeof syncView, ReturnType<typeof presentSync>>,
    Presents<ReturnType<typeof page<typeof syncView>>, Answer<typeof listSyncs>>,
    Presents<typeof syncStatusView, Answer<typeof getSyncStatus>>,
    Presents<typeof recordView, ReturnType<typeof presentRecordRow>>,
    Presents<typeof httpConsumerView, Answer<typeof getHttpConsumer>>,
    Presents<ReturnType<typeof page<typeof httpConsumerView>>, Answer<typeof listHttpConsumers>>,
    Presents<typeof messageHistoryView, Answer<typeof messageHistory>>,
    Presents<typeof natsConsumerView, Answer<typeof getNatsConsumer>>,
    Presents<ReturnType<typeof page<typeof natsConsumerView>>, Answer<typeof listNatsConsumers>>,
    Presents<typeof mutationRunView, ReturnType<typeof presentRunAnswer>>,
    Presents<typeof mutationRunAuditView, ReturnType<typeof presentRunAudit>>,
    Presents<ReturnType<typeof page<typeof mutationRunAuditView>>, Answer<typeof listMutationRuns>>,
  ]
>;

export const notificationWebhookView = z
  .object({
    url: z.string(),
    secret_hint: z.string().meta({ description: 'a hint of the signing secret, which is shown only when set and rotated' }),
    previous_secret_valid_until: timestamp.nullable().meta({ description: 'the secret a rotation replaced signs beside the new one until then' }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'NotificationWebhook' });
export const notificationWebhookWithSecretView = notificationWebhookView
  .extend({ secret: z.string().optional().meta({ description: 'the signing secret (`whsec_…`), shown once: when the webhook is first set and when rotated' }) })
  .meta({ id: 'NotificationWebhookWithSecret' });
export const notificationDeliveriesView = z
  .object({
    data: z.array(
      z.object({
        at: timestamp,
        webhook_id: z.string(),
        type: z.string().meta({ description: 'the notification type, e.g. `sync.error`' }),
        status: z.number().int().nullable().meta({ description: "the receiver's answer status; null when none came" }),
        latency_ms: z.number(),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'NotificationDeliveries' });
