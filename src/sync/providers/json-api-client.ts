/**
 * A provider's REST API reached with `requestJson` under one base URL and fixed auth headers (Jira,
 * Zendesk): URLs relative to the base, the provider's error reader, read-only POSTs marked.
 */

import { requestJson, type ErrorReader, type JsonAnswer } from './http-json.ts';
import { UpstreamAuthError, type ProviderCredential } from './provider.ts';

export class JsonApiClient {
  constructor(
    private readonly fetch: typeof globalThis.fetch,
    /** Ends with `/`; paths are resolved against it. */
    readonly base: URL,
    private readonly headers: Record<string, string>,
    private readonly readError: ErrorReader,
  ) {}

  /** `path` relative to the base (it may carry its own query string), with more query parameters. */
  url(path: string, query: Record<string, string> = {}): URL {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url;
  }

  request<T>(method: string, url: URL, body?: unknown, options: { readOnly?: boolean } = {}): Promise<JsonAnswer<T>> {
    return requestJson<T>(
      this.fetch,
      { method, url, headers: this.headers, ...(body === undefined ? {} : { body }), ...(options.readOnly ? { readOnly: true } : {}) },
      this.readError,
    );
  }

  get<T>(url: URL): Promise<JsonAnswer<T>> {
    return this.request<T>('GET', url);
  }
}

export const basicAuthorization = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** `api_base_url` + `path` as a base URL that paths resolve under. */
export const apiBase = (siteUrl: string, path: string): URL => new URL(path, siteUrl.endsWith('/') ? siteUrl : `${siteUrl}/`);

/**
 * The parts of an email + API token credential (Jira, Zendesk), or the UpstreamAuthError that
 * puts the sync in error until the credential is fixed.
 */
export function emailTokenCredential(
  credential: ProviderCredential,
  hints: { product: string; email: string; site: string },
): { email: string; apiToken: string; siteUrl: string } {
  if (!credential.accessToken) throw new UpstreamAuthError(`the credential has no ${hints.product} API token (access_token)`, 401);
  const email = typeof credential.metadata.email === 'string' ? credential.metadata.email.trim() : '';
  if (!email) throw new UpstreamAuthError(`the credential has no metadata.email (${hints.email})`, 401);
  if (!credential.apiBaseUrl) throw new UpstreamAuthError(`the credential has no api_base_url (${hints.site})`, 401);
  return { email, apiToken: credential.accessToken, siteUrl: credential.apiBaseUrl };
}
