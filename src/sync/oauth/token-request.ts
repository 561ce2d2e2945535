import { requestJson, type ErrorReader, type JsonRequest } from '../providers/http-json.ts';
import { UpstreamAuthError, UpstreamRequestError, type OAuthGrant, type OAuthTokenSet } from '../providers/provider.ts';

/** A token endpoint's answer (RFC 6749 §5.1). */
interface TokenAnswer {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
}

/**
 * POSTs a grant to a provider's token endpoint and reads the standard answer. A 400
 * (`invalid_grant`, a used code…) is a refused grant, an auth failure like 401/403; a refresh
 * token echoed back unchanged is answered as null (keep the one in use).
 */
export async function requestTokenSet(
  fetch: typeof globalThis.fetch,
  request: JsonRequest,
  { grant, readError, upstream }: { grant: OAuthGrant; readError: ErrorReader; upstream: string },
): Promise<OAuthTokenSet> {
  let answer;
  try {
    answer = await requestJson<TokenAnswer>(fetch, { method: 'POST', ...request }, readError);
  } catch (error) {
    if (error instanceof UpstreamRequestError && error.status === 400) throw new UpstreamAuthError(`${upstream} refused the ${grant.type} grant: ${error.code}: ${error.message}`, 400);
    throw error;
  }
  const { access_token: accessToken, refresh_token: refreshToken, expires_in: expiresIn } = answer.body ?? {};
  if (typeof accessToken !== 'string' || accessToken === '') throw new UpstreamRequestError(`${upstream} answered the token request without an access_token`, answer.status, 'invalid_token_answer');
  const issuedRefresh = typeof refreshToken === 'string' && refreshToken !== '' ? refreshToken : null;
  return {
    accessToken,
    refreshToken: grant.type === 'refresh_token' && issuedRefresh === grant.refreshToken ? null : issuedRefresh,
    expiresAt: typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? new Date(Date.now() + expiresIn * 1000) : null,
    metadata: {},
  };
}
