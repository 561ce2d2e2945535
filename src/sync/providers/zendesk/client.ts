/** JSON over the engine's fetch against one Zendesk account, with API token auth. */

import { requestJson, type JsonAnswer } from '../http-json.ts';
import { UpstreamAuthError, type ProviderContext } from '../provider.ts';
import { readZendeskError } from './errors.ts';

export class ZendeskClient {
  /** `https://<subdomain>.zendesk.com/api/v2/`, or under `api_base_url`. */
  readonly base: URL;
  private readonly authorization: string;

  constructor(
    private readonly fetch: typeof globalThis.fetch,
    email: string,
    apiToken: string,
    apiBaseUrl: string,
  ) {
    this.base = new URL('api/v2/', apiBaseUrl.endsWith('/') ? apiBaseUrl : `${apiBaseUrl}/`);
    // Zendesk's documented API token form: HTTP Basic with `{email}/token` as the user name.
    this.authorization = `Basic ${Buffer.from(`${email}/token:${apiToken}`).toString('base64')}`;
  }

  static connect({ credential, fetch }: ProviderContext): ZendeskClient {
    if (!credential.accessToken) throw new UpstreamAuthError('the credential has no Zendesk API token (access_token)', 401);
    const email = typeof credential.metadata.email === 'string' ? credential.metadata.email.trim() : '';
    if (!email) throw new UpstreamAuthError('the credential has no metadata.email (the agent the API token belongs to)', 401);
    if (!credential.apiBaseUrl) throw new UpstreamAuthError('the credential has no api_base_url (https://<subdomain>.zendesk.com)', 401);
    return new ZendeskClient(fetch, email, credential.accessToken, credential.apiBaseUrl);
  }

  /** `path` relative to `/api/v2/` (`incremental/tickets/cursor.json?start_time=0`). */
  url(path: string): URL {
    return new URL(path, this.base);
  }

  request<T>(method: string, url: URL, body?: unknown): Promise<JsonAnswer<T>> {
    return requestJson<T>(this.fetch, { method, url, headers: { authorization: this.authorization }, ...(body === undefined ? {} : { body }) }, readZendeskError);
  }

  get<T>(url: URL): Promise<JsonAnswer<T>> {
    return this.request<T>('GET', url);
  }
}
