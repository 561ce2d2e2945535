/**
 * The one interface every upstream provider implements. The sync engine only talks to providers
 * through it; all HTTP goes through the `fetch` the engine hands in (rate limiting, retries,
 * request accounting live there, never in a provider).
 */

/** One upstream object as the provider's API returns it. */
export interface UpstreamObject {
  upstreamId: string;
  /** The provider's object exactly as its API returns it (no renaming). */
  data: Record<string, unknown>;
  upstreamCreatedAt: Date | null;
  upstreamUpdatedAt: Date | null;
  /** true when the provider reports the object as deleted; `data` is then the last known version. */
  deleted: boolean;
  /**
   * For a tombstone whose `data` is only what the provider still says of a gone object (its id):
   * the stream keeps the last data it stored instead (DESIGN.md §2: a tombstone carries the last
   * known data). GitHub, Jira and purged records give no more.
   */
  partialTombstone?: boolean;
}

export interface ListPage {
  objects: UpstreamObject[];
  /** Opaque cursor for the next page, null when the listing is complete. */
  nextCursor: string | null;
  /** Total objects in the collection when the provider tells it (for backfill %), else null. */
  totalCount: number | null;
}

export interface ChangesPage {
  /** Changed or deleted objects, oldest change first. */
  objects: UpstreamObject[];
  /** Cursor to resume from next time (always set: unchanged when nothing happened). */
  cursor: string;
  /** true when more changes are immediately available past `cursor`. */
  hasMore: boolean;
}

/** Credential as the engine hands it to a provider: secrets decrypted, in memory only. */
export interface ProviderCredential {
  kind: string;
  accessToken: string | null;
  /** When an OAuth access token expires, when known. */
  accessTokenExpiresAt: Date | null;
  refreshToken: string | null;
  apiBaseUrl: string | null;
  metadata: Record<string, unknown>;
  oauthApp: { clientId: string; clientSecret: string } | null;
}

export type MutationKind = 'create' | 'update' | 'delete';

export interface CollectionSpec {
  /** `provider:object`, e.g. `stripe:customer`. */
  id: string;
  name: string;
  mutations: MutationKind[];
}

export interface ProviderContext {
  credential: ProviderCredential;
  /**
   * Rate-limited, retrying fetch bound to the sync. Providers and the SDKs they wrap must send
   * every request through it.
   */
  fetch: typeof fetch;
  /**
   * The credential's OAuth tokens for providers with `oauth` (null otherwise): the current
   * access token, refreshed before it expires and when the upstream refuses it, persisted
   * (encrypted) so that every run and restart uses the newest (src/sync/oauth/).
   */
  oauth: OAuthTokenSource | null;
}

/** Tokens as a provider's token endpoint answers them. */
export interface OAuthTokenSet {
  accessToken: string;
  /** A rotated refresh token, or null to keep the one in use. */
  refreshToken: string | null;
  /** null when the provider does not say (e.g. Salesforce). */
  expiresAt: Date | null;
  /** Provider facts from the token answer the credential keeps, e.g. Salesforce's `instance_url`. */
  metadata: Record<string, unknown>;
}

export interface OAuthTokenSource {
  /** A valid access token (refreshed first when it expires within a minute). */
  current(): Promise<OAuthTokenSet>;
  /**
   * The upstream refused `rejectedAccessToken` (401): refresh once, however many requests saw
   * the refusal, and answer the new tokens. Throws UpstreamAuthError when the refresh is refused.
   */
  refresh(rejectedAccessToken: string): Promise<OAuthTokenSet>;
}

export type OAuthGrant = { type: 'authorization_code'; code: string; redirectUri: string } | { type: 'refresh_token'; refreshToken: string };

/** A provider's OAuth 2 endpoints (authorization-code connect flow and refresh-token grant). */
export interface ProviderOAuth {
  /** The credential kind the connect flow creates, e.g. `hubspot_oauth2`. */
  credentialKind: string;
  defaultScopes: string[];
  /** The provider's consent page URL; `apiBaseUrl` (emulator, sandbox) replaces the provider's host. */
  authorizeUrl(input: { clientId: string; redirectUri: string; state: string; scopes: string[]; apiBaseUrl: string | null }): string;
  /** POSTs the token endpoint. Throws UpstreamAuthError when the grant is refused. */
  requestToken(input: { grant: OAuthGrant; clientId: string; clientSecret: string; apiBaseUrl: string | null; fetch: typeof fetch }): Promise<OAuthTokenSet>;
}

export interface MutationItem {
  upstreamId: string | null;
  data: Record<string, unknown>;
  idempotencyKey: string | null;
}

export interface ProviderSession {
  /** One page of a full listing (backfill). `cursor` null = first page. */
  listPage(collectionId: string, cursor: string | null): Promise<ListPage>;
  /**
   * The changes cursor that marks "now", taken before a backfill starts so that changes
   * made during the backfill are not missed.
   */
  initialChangesCursor(collectionId: string): Promise<string>;
  /** Changes (including deletes) after `cursor`, oldest first. */
  changesSince(collectionId: string, cursor: string): Promise<ChangesPage>;
  /** Write back upstream; resolves to the object as the provider returns it after the write. */
  mutate(collectionId: string, kind: MutationKind, item: MutationItem): Promise<UpstreamObject>;
  /**
   * One object's current state, read by id (required of providers with `webhooks`: a webhook is
   * only a hint, the record is what this read answers). null when the object is gone upstream
   * (404, or the provider answers it as deleted): the engine then writes a tombstone.
   */
  fetchObject?(collectionId: string, upstreamId: string): Promise<UpstreamObject | null>;
}

/** An incoming provider webhook, as the receiving route hands it to the provider. */
export interface WebhookRequest {
  method: string;
  /** The URL the provider called (SYNCLINE_PUBLIC_URL + path when set; HubSpot signs it). */
  url: string;
  headers: Headers;
  /** The body exactly as received: verified before anything parses it. */
  rawBody: Buffer;
}

/** Why a webhook was refused (the route answers 401 with `webhook_<code>`). */
export type WebhookRejection = 'signature_missing' | 'signature_invalid' | 'timestamp_outside_tolerance';

export type WebhookVerdict = { ok: true } | { ok: false; code: WebhookRejection };

/** What one verified webhook says changed: ids to read again, never data to trust (issue 24). */
export interface WebhookHint {
  /** `provider:object`, e.g. `stripe:customer`; hints for collections the sync does not hold are dropped by the engine. */
  collectionId: string;
  /** As the provider's listings answer it (the record's `upstream_id`). */
  upstreamId: string;
  /** The provider says the object was deleted: a fetch confirms it before it becomes a tombstone. */
  deleted: boolean;
}

export interface ParsedWebhook {
  /**
   * The provider's id of this delivery (Stripe's event id, GitHub's X-GitHub-Delivery, Shopify's
   * X-Shopify-Webhook-Id…): a redelivery with an id already seen is counted, not applied again.
   * null when the provider gives none.
   */
  deliveryId: string | null;
  hints: WebhookHint[];
  /**
   * An answer the provider requires instead of the engine's default 200 (e.g. a verification
   * handshake); null for the default.
   */
  reply?: { status: number; body: string; contentType: string } | null;
}

/** What a registration made upstream, kept (sealed) with the sync to verify, refresh and remove it. */
export interface RegisteredWebhook {
  /** The provider's ids of what was registered (endpoint, one hook per repository, webhook + trigger…). */
  externalIds: string[];
  /** The secret the provider signs this registration's deliveries with. */
  secret: string;
  /** When the registration lapses unless registered again (Jira dynamic webhooks: 30 days); null: never. */
  expiresAt: Date | null;
}

export interface WebhookRegistrationInput {
  url: string;
  collectionIds: string[];
  previous: RegisteredWebhook | null;
  /** The URL `previous` was registered for (some APIs, e.g. Jira's dynamic webhooks, do not answer it). */
  previousUrl: string | null;
}

/** A provider that sends signed webhooks (issue 24; docs/PROVIDER-WEBHOOKS.md). */
export interface ProviderWebhooks {
  /**
   * Checks the signature (and its timestamp's tolerance) of `request` made with `secret`, before
   * anything is parsed (asynchronous where the provider's official verifier is).
   */
  verify(request: WebhookRequest, secret: string, now: Date): WebhookVerdict | Promise<WebhookVerdict>;
  /** The hints of a verified webhook; throws WebhookMalformedError when the body is unusable. Event types it ignores give no hints. */
  parse(request: WebhookRequest): ParsedWebhook;
  /**
   * Where the provider's API lets the credential register webhooks: registers (or, given
   * `previous`, renews or replaces) deliveries of every change of `collectionIds` to `url`.
   * Requests go through `context.fetch` (the sync's rate limit).
   */
  register?(context: ProviderContext, input: WebhookRegistrationInput): Promise<RegisteredWebhook>;
  /** Removes a registration (404 upstream counts as removed). */
  unregister?(context: ProviderContext, registered: RegisteredWebhook): Promise<void>;
  /**
   * The secret deliveries are signed with when it belongs to the credential rather than to a
   * registration (Shopify's and HubSpot's app secret); null when the credential does not carry it.
   */
  credentialSecret?(credential: ProviderCredential): string | null;
  /** Without `register`: what the user does in the provider's own settings (console and docs show it). */
  manualSetup?: string;
}

export interface Provider {
  /** e.g. `stripe`. */
  name: string;
  displayName: string;
  /** Credential kinds this provider accepts, e.g. `['stripe', 'stripe_oauth2']`. */
  credentialKinds: string[];
  collections: CollectionSpec[];
  /** Requests per second that stays clear of the provider's documented limit. */
  defaultRateLimit: { allowedRequests: number; intervalSeconds: number; maxConcurrentRequests: number };
  /**
   * Answers other than 429 that mean the upstream's rate limit was hit (see RateLimitedAnswerCheck
   * in src/sync/http/upstream-fetch.ts); the engine then waits and retries as for a 429.
   */
  isRateLimited?: (answer: { status: number; headers: Headers; body: string }) => boolean | number;
  /**
   * Reads the provider's own quota headers on every answer (HubSpot's remaining count, Jira's
   * and Zendesk's near-limit headers): ms the sync should hold its next request, or null. The engine
   * already reads the common `X-RateLimit-Remaining` / `X-RateLimit-Reset`.
   */
  quotaPauseMs?: (headers: Headers) => number | null;
  /** Present for providers whose credentials come from an OAuth 2 connect flow. */
  oauth?: ProviderOAuth;
  /** Present for providers that send signed webhooks; their sessions then implement `fetchObject`. */
  webhooks?: ProviderWebhooks;
  connect(context: ProviderContext): ProviderSession;
}

/** Thrown by providers (or the engine's fetch) when the upstream rejects the credential (401/403). */
export class UpstreamAuthError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'UpstreamAuthError';
  }
}

/** An upstream answer that is not retryable and not an auth failure (e.g. 400/404 on a mutation). */
export class UpstreamRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'UpstreamRequestError';
  }
}

/**
 * Thrown by `changesSince` when the upstream no longer keeps the changes after the cursor (Stripe
 * keeps events 30 days): nothing can be read from it, so the engine lists the collection afresh
 * (a resync of that collection) and says so in the sync's status.
 */
export class ChangesExpiredError extends Error {
  readonly code = 'upstream_changes_expired';

  constructor(message: string) {
    super(message);
    this.name = 'ChangesExpiredError';
  }
}

/** A verified webhook whose body the provider cannot read (the route answers 400 `webhook_malformed`). */
export class WebhookMalformedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookMalformedError';
  }
}
