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
   * Reads the provider's own quota headers on every answer (Shopify's call-limit bucket,
   * HubSpot's remaining count): ms the sync should hold its next request, or null. The engine
   * already reads the common `X-RateLimit-Remaining` / `X-RateLimit-Reset`.
   */
  quotaPauseMs?: (headers: Headers) => number | null;
  /** Present for providers whose credentials come from an OAuth 2 connect flow. */
  oauth?: ProviderOAuth;
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
