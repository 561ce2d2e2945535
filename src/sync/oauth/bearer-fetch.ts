import type { OAuthTokenSource } from '../providers/provider.ts';

/**
 * A fetch that sends the credential's current OAuth access token as `Authorization: Bearer` and,
 * when the upstream answers 401, refreshes the token once and sends the request again.
 */
export function bearerFetch(fetch: typeof globalThis.fetch, tokens: OAuthTokenSource): typeof globalThis.fetch {
  return async (input, init) => {
    const send = (accessToken: string) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${accessToken}`);
      return fetch(input, { ...init, headers });
    };
    const { accessToken } = await tokens.current();
    const response = await send(accessToken);
    if (response.status !== 401) return response;
    await response.body?.cancel();
    const refreshed = await tokens.refresh(accessToken);
    return send(refreshed.accessToken);
  };
}
