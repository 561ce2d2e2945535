import { bearerFetch } from '../../oauth/bearer-fetch.ts';
import { requestJson, type ErrorReader, type JsonAnswer } from '../http-json.ts';
import { UpstreamAuthError, type ProviderContext } from '../provider.ts';

export const HUBSPOT_API_BASE_URL = 'https://api.hubapi.com';

/**
 * The CRM objects API version, in its paths: v3, the version HubSpot's own client
 * (`@hubspot/api-client`, whose models the conformance suite checks against) is generated for.
 * docs/providers/hubspot.md says how a bump is checked.
 */
export const HUBSPOT_CRM_OBJECTS = '/crm/v3/objects';

/** HubSpot's error bodies: `{status: "error", message, correlationId, category}` (429s: `errorType`, OAuth: `status: "BAD_…"`). */
export const readHubSpotError: ErrorReader = (status, body) => {
  const object = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const text = (key: string) => (typeof object[key] === 'string' && object[key] !== '' ? (object[key] as string) : undefined);
  const message = text('message') ?? `HTTP ${status}`;
  const correlation = text('correlationId');
  const code = text('category') ?? text('errorType') ?? (text('status') !== 'error' ? text('status') : undefined) ?? `http_${status}`;
  return { message: correlation ? `${message} (correlationId ${correlation})` : message, code };
};

export interface HubSpotApi {
  request<T>(method: string, path: string, options?: { query?: URLSearchParams; body?: unknown; readOnly?: boolean }): Promise<JsonAnswer<T>>;
}

/**
 * The credential's Bearer token on every request: the private app's access token (`hubspot`), or
 * the OAuth access token the engine keeps fresh (`hubspot_oauth2`). A credential that cannot
 * authenticate fails its first request, not the connect.
 */
function authorizedFetch({ credential, fetch, oauth }: ProviderContext): typeof globalThis.fetch {
  if (credential.kind === 'hubspot_oauth2') {
    if (oauth) return bearerFetch(fetch, oauth);
    return () => Promise.reject(new UpstreamAuthError('the engine handed no OAuth token source for this hubspot_oauth2 credential', 401));
  }
  const token = credential.accessToken;
  if (!token) return () => Promise.reject(new UpstreamAuthError('the credential has no HubSpot private-app access token', 401));
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
}

export function createHubSpotApi(context: ProviderContext): HubSpotApi {
  const base = (context.credential.apiBaseUrl ?? HUBSPOT_API_BASE_URL).replace(/\/+$/, '');
  const fetch = authorizedFetch(context);
  return {
    request: (method, path, { query, body, readOnly } = {}) => {
      const qs = query?.toString();
      return requestJson(fetch, { method, url: `${base}${path}${qs ? `?${qs}` : ''}`, ...(body === undefined ? {} : { body }), ...(readOnly ? { readOnly } : {}) }, readHubSpotError);
    },
  };
}
