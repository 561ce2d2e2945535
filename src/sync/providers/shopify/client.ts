/**
 * One shop's GraphQL Admin API over the engine's fetch: `POST /admin/api/<API_VERSION>/graphql.json`
 * with `X-Shopify-Access-Token`. Shopify answers most failures with HTTP 200 and `errors`:
 * THROTTLED is waited out and sent again, other errors become the engine's errors. The cost
 * bucket (`extensions.cost.throttleStatus`) paces the next request (cost-pacer.ts).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { requestJson, type JsonAnswer } from '../http-json.ts';
import { UpstreamAuthError, UpstreamRequestError, type ProviderContext } from '../provider.ts';
import { CostPacer, type QueryCost } from './cost-pacer.ts';
import { readShopifyError } from './errors.ts';

/** The Admin API version Syncline speaks (docs/providers/shopify.md#api-version). */
export const API_VERSION = '2026-10';

/** THROTTLED answers waited out before the request fails. */
const MAX_THROTTLED_ATTEMPTS = 8;

export interface GraphqlError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

interface GraphqlAnswer<T> {
  data?: T | null;
  errors?: GraphqlError[];
  extensions?: { cost?: QueryCost };
}

export interface GraphqlResult<T> {
  data: T;
  /** Shopify's clock when it answered (the `Date` header), in ms. */
  answeredAt: number | null;
}

export class ShopifyClient {
  /** `https://<shop>/admin/api/<version>/graphql.json`, or under `api_base_url`. */
  readonly endpoint: URL;
  private readonly pacer = new CostPacer();

  constructor(
    private readonly fetch: typeof globalThis.fetch,
    private readonly accessToken: string,
    apiBaseUrl: string,
  ) {
    this.endpoint = new URL(`admin/api/${API_VERSION}/graphql.json`, apiBaseUrl.endsWith('/') ? apiBaseUrl : `${apiBaseUrl}/`);
  }

  static connect({ credential, fetch }: ProviderContext): ShopifyClient {
    if (!credential.accessToken) throw new UpstreamAuthError('the credential has no Shopify access token', 401);
    const shop = typeof credential.metadata.shop === 'string' ? credential.metadata.shop.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '') : '';
    if (!credential.apiBaseUrl && !shop) throw new UpstreamAuthError('the credential has no metadata.shop (<shop>.myshopify.com)', 401);
    return new ShopifyClient(fetch, credential.accessToken, credential.apiBaseUrl ?? `https://${shop}`);
  }

  /** A query (repeated after a 5xx like a GET). */
  query<T>(document: string, variables: Record<string, unknown> = {}): Promise<GraphqlResult<T>> {
    return this.send<T>(document, variables, true);
  }

  /** A mutation (never repeated by the engine after a 5xx: it may have been applied). */
  mutate<T>(document: string, variables: Record<string, unknown> = {}): Promise<GraphqlResult<T>> {
    return this.send<T>(document, variables, false);
  }

  /**
   * A bulk operation's result file. Its URL is the storage's, signed: the access token is not
   * sent with it (and the egress policy must allow the storage's host).
   */
  async download(url: string): Promise<string> {
    const response = await this.fetch(url, { method: 'GET' });
    const text = await response.text();
    if (!response.ok) throw new UpstreamRequestError(`the bulk operation's result answered HTTP ${response.status}`, response.status, 'bulk_result_unavailable');
    return text;
  }

  private async send<T>(document: string, variables: Record<string, unknown>, readOnly: boolean): Promise<GraphqlResult<T>> {
    for (let attempt = 1; ; attempt++) {
      await this.pacer.beforeRequest(document);
      const answer: JsonAnswer<GraphqlAnswer<T>> = await requestJson<GraphqlAnswer<T>>(
        this.fetch,
        { method: 'POST', url: this.endpoint, headers: { 'X-Shopify-Access-Token': this.accessToken }, body: { query: document, variables }, readOnly },
        readShopifyError,
      );
      const cost = answer.body?.extensions?.cost;
      if (cost) this.pacer.afterAnswer(document, cost);
      const errors = answer.body?.errors ?? [];
      const throttled = errors.some((e) => e.extensions?.code === 'THROTTLED');
      if (throttled && attempt < MAX_THROTTLED_ATTEMPTS) {
        await sleep(this.pacer.throttledWaitMs(cost));
        continue;
      }
      const answeredAt = Date.parse(answer.headers.get('date') ?? '');
      // Errors beside data (a field that failed) too: the caller gets no half answer.
      if (errors.length > 0) throw errorOf(errors);
      return { data: answer.body!.data as T, answeredAt: Number.isFinite(answeredAt) ? answeredAt : null };
    }
  }
}

const CODES: Record<string, number> = { THROTTLED: 429, ACCESS_DENIED: 403, MAX_COST_EXCEEDED: 400, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 502 };

function errorOf(errors: GraphqlError[]): Error {
  const first = errors[0]!;
  const code = first.extensions?.code ?? 'graphql_error';
  const status = CODES[code] ?? 400;
  const message = errors.map((e) => e.message).join('; ');
  if (status === 403) return new UpstreamAuthError(`Shopify refused the query: ${message} (check the app's access scopes)`, 403);
  return new UpstreamRequestError(message, status, code.toLowerCase());
}

/** A mutation payload's `userErrors`, as the engine's 422. */
export function throwUserErrors(userErrors: ReadonlyArray<{ field?: string[] | null; message: string; code?: string | null }> | undefined): void {
  if (!userErrors || userErrors.length === 0) return;
  const message = userErrors.map((e) => (e.field && e.field.length > 0 ? `${e.field.join('.')}: ${e.message}` : e.message)).join('; ');
  throw new UpstreamRequestError(message, 422, userErrors[0]?.code?.toLowerCase() ?? 'user_errors');
}
