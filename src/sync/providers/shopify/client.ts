/** JSON over the engine's fetch against one shop's Admin REST API. */

import { requestJson, type JsonAnswer } from '../http-json.ts';
import { UpstreamAuthError, type ProviderContext } from '../provider.ts';
import { readShopifyError } from './errors.ts';

export const API_VERSION = '2026-10';

export class ShopifyClient {
  /** `https://<shop>/admin/api/2024-10/`, or under `api_base_url`. */
  readonly base: URL;

  constructor(
    private readonly fetch: typeof globalThis.fetch,
    private readonly accessToken: string,
    apiBaseUrl: string,
  ) {
    this.base = new URL(`admin/api/${API_VERSION}/`, apiBaseUrl.endsWith('/') ? apiBaseUrl : `${apiBaseUrl}/`);
  }

  static connect({ credential, fetch }: ProviderContext): ShopifyClient {
    if (!credential.accessToken) throw new UpstreamAuthError('the credential has no Shopify access token', 401);
    const shop = typeof credential.metadata.shop === 'string' ? credential.metadata.shop.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '') : '';
    if (!credential.apiBaseUrl && !shop) throw new UpstreamAuthError('the credential has no metadata.shop (<shop>.myshopify.com)', 401);
    return new ShopifyClient(fetch, credential.accessToken, credential.apiBaseUrl ?? `https://${shop}`);
  }

  /** `path` relative to the API base (`customers.json?limit=250`). */
  url(path: string): URL {
    return new URL(path, this.base);
  }

  /**
   * A `Link` URL as Shopify gave it, kept on this client's host: its path and parameters
   * (page_info, limit, fields) unchanged, so the token never goes anywhere else.
   */
  followed(link: string): URL {
    const given = new URL(link, this.base);
    return new URL(`${given.pathname}${given.search}`, this.base);
  }

  request<T>(method: string, url: URL, body?: unknown): Promise<JsonAnswer<T>> {
    return requestJson<T>(this.fetch, { method, url, headers: { 'X-Shopify-Access-Token': this.accessToken }, ...(body === undefined ? {} : { body }) }, readShopifyError);
  }

  get<T>(url: URL): Promise<JsonAnswer<T>> {
    return this.request<T>('GET', url);
  }
}
