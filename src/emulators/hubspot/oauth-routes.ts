/**
 * HubSpot's OAuth 2 endpoints: the consent page `GET /oauth/authorize` (approved at once: 302 to
 * the redirect URI with `code` and `state`) and `POST /oauth/v1/token` (form-encoded
 * authorization_code and refresh_token grants) answering `{token_type, refresh_token,
 * access_token, expires_in}`, or a 400 `{status: "BAD_…", message, correlationId}`.
 */

import { randomUUID } from 'node:crypto';
import type { EmulatorAnswer, EmulatorRequest } from '../kit/http-emulator.ts';
import { approveAtOnce } from '../kit/consent-page.ts';
import type { GrantResult, OAuthIssuer } from '../kit/oauth-issuer.ts';

type TokenErrorStatus = 'BAD_GRANT_TYPE' | 'BAD_CLIENT_ID' | 'BAD_AUTH_CODE' | 'BAD_REDIRECT_URI' | 'BAD_REFRESH_TOKEN';

const tokenError = (status: TokenErrorStatus, message: string): EmulatorAnswer => ({ status: 400, body: { status, message, correlationId: randomUUID() } });

export class OAuthRoutes {
  /** Every access token ever issued (to tell an expired token from one never issued). */
  readonly issuedAccessTokens = new Set<string>();

  constructor(private readonly issuer: OAuthIssuer) {}

  handle(request: EmulatorRequest): EmulatorAnswer | null {
    if (request.path === '/oauth/authorize' && request.method === 'GET') return this.authorize(request);
    if (request.path === '/oauth/v1/token' && request.method === 'POST') return this.token(request);
    return null;
  }

  private authorize(request: EmulatorRequest): EmulatorAnswer {
    const consent = approveAtOnce(this.issuer, request.query);
    if (consent.ok) return consent.answer;
    const message = consent.refused === 'redirect_uri' ? 'redirect_uri is missing or not an absolute URL' : `Couldn't find an app with client_id ${consent.clientId}`;
    return { status: 400, body: { status: 'error', message, correlationId: randomUUID() } };
  }

  private token(request: EmulatorRequest): EmulatorAnswer {
    const form = new URLSearchParams(request.body);
    const client = { clientId: form.get('client_id') ?? '', clientSecret: form.get('client_secret') ?? '' };
    const grantType = form.get('grant_type');
    let result: GrantResult;
    if (grantType === 'authorization_code') {
      const code = form.get('code');
      if (!code) return tokenError('BAD_AUTH_CODE', 'missing or invalid auth code');
      result = this.issuer.exchangeCode(client, code, form.get('redirect_uri') ?? '');
      if (!result.ok && result.error === 'invalid_grant') {
        return /redirect_uri/.test(result.description) ? tokenError('BAD_REDIRECT_URI', 'redirect_uri does not match the one of the authorization') : tokenError('BAD_AUTH_CODE', 'missing or invalid auth code');
      }
    } else if (grantType === 'refresh_token') {
      const refreshToken = form.get('refresh_token');
      if (!refreshToken) return tokenError('BAD_REFRESH_TOKEN', 'missing or unknown refresh token');
      result = this.issuer.refresh(client, refreshToken);
      if (!result.ok && result.error === 'invalid_grant') return tokenError('BAD_REFRESH_TOKEN', 'missing or unknown refresh token');
    } else {
      return tokenError('BAD_GRANT_TYPE', `grant_type must be authorization_code or refresh_token, got "${grantType ?? ''}"`);
    }
    if (!result.ok) return tokenError('BAD_CLIENT_ID', 'missing or invalid client_id or client_secret');
    this.issuedAccessTokens.add(result.tokens.accessToken);
    return {
      status: 200,
      body: { token_type: 'bearer', refresh_token: result.tokens.refreshToken, access_token: result.tokens.accessToken, expires_in: result.tokens.expiresInSeconds },
    };
  }
}
