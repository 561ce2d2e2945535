/** JSON over the engine's fetch against one Jira Cloud site's REST v3 API, with HTTP Basic `email:api_token`. */

import { requestJson, type JsonAnswer } from '../http-json.ts';
import { UpstreamAuthError, type ProviderContext } from '../provider.ts';
import { readJiraError } from './errors.ts';

export class JiraClient {
  /** `https://<site>.atlassian.net/rest/api/3/`, or under `api_base_url`. */
  readonly base: URL;
  private readonly authorization: string;

  constructor(
    private readonly fetch: typeof globalThis.fetch,
    email: string,
    apiToken: string,
    siteUrl: string,
  ) {
    this.base = new URL('rest/api/3/', siteUrl.endsWith('/') ? siteUrl : `${siteUrl}/`);
    this.authorization = `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
  }

  static connect({ credential, fetch }: ProviderContext): JiraClient {
    if (!credential.accessToken) throw new UpstreamAuthError('the credential has no Jira API token (access_token)', 401);
    const email = typeof credential.metadata.email === 'string' ? credential.metadata.email.trim() : '';
    if (!email) throw new UpstreamAuthError('the credential has no metadata.email (the Atlassian account of the API token)', 401);
    if (!credential.apiBaseUrl) throw new UpstreamAuthError('the credential has no api_base_url (https://<site>.atlassian.net)', 401);
    return new JiraClient(fetch, email, credential.accessToken, credential.apiBaseUrl);
  }

  /** `path` relative to `/rest/api/3/` (`search/jql`), with query parameters. */
  url(path: string, query: Record<string, string> = {}): URL {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url;
  }

  request<T>(method: string, url: URL, body?: unknown, options: { readOnly?: boolean } = {}): Promise<JsonAnswer<T>> {
    return requestJson<T>(
      this.fetch,
      { method, url, headers: { authorization: this.authorization }, ...(body === undefined ? {} : { body }), ...(options.readOnly ? { readOnly: true } : {}) },
      readJiraError,
    );
  }

  get<T>(url: URL): Promise<JsonAnswer<T>> {
    return this.request<T>('GET', url);
  }
}
