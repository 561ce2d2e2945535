/**
 * Zendesk's OAuth 2 endpoints on the account's subdomain: the consent page
 * `GET /oauth/authorizations/new` (approved at once: 302 to the redirect URI with `code` and
 * `state`) and `POST /oauth/tokens` (JSON or form-encoded authorization_code and refresh_token
 * grants) answering `{access_token, token_type: "bearer", scope, refresh_token, expires_in?}`
 * (`expires_in` only when the emulator's tokens expire), or
 * `{"error": "invalid_grant", "error_description": "…"}`.
 */

import type { EmulatorAnswer, EmulatorRequest } from '../kit/http-emulator.ts';
import { approveAtOnce } from '../kit/consent-page.ts';
import type { GrantResult, OAuthIssuer } from '../kit/oauth-issuer.ts';

const DEFAULT_SCOPE = 'read write';

const oauthError = (status: number, error: string, description: string): EmulatorAnswer => ({ status, body: { error, error_description: description } });

export class ZendeskOAuthRoutes {
  constructor(
    private readonly issuer: OAuthIssuer,
    /** Lifetime of access tokens, or null when they never expire (Zendesk's default). */
    private readonly accessTokenTtlSeconds: number | null,
  ) {}

  handle(request: EmulatorRequest): EmulatorAnswer | null {
    if (request.path === '/oauth/authorizations/new' && request.method === 'GET') return this.authorize(request);
    if (request.path === '/oauth/tokens' && request.method === 'POST') return this.token(request);
    return null;
  }

  private authorize(request: EmulatorRequest): EmulatorAnswer {
    const consent = approveAtOnce(this.issuer, request.query, { requireCodeResponseType: true, defaultScope: DEFAULT_SCOPE });
    if (consent.ok) return consent.answer;
    if (consent.refused === 'redirect_uri') return oauthError(400, 'invalid_request', 'redirect_uri is missing or not an absolute URL');
    if (consent.refused === 'response_type') return oauthError(400, 'unsupported_response_type', 'response_type must be code');
    return oauthError(400, 'invalid_client', `No OAuth client with the identifier ${consent.clientId}`);
  }

  private token(request: EmulatorRequest): EmulatorAnswer {
    const params = this.params(request);
    if (!params) return oauthError(400, 'invalid_request', 'The request body is neither JSON nor form-encoded');
    const text = (key: string): string => (typeof params[key] === 'string' ? params[key] : '');
    const client = { clientId: text('client_id'), clientSecret: text('client_secret') };
    const grantType = text('grant_type');
    let result: GrantResult;
    if (grantType === 'authorization_code') {
      if (!text('code')) return oauthError(400, 'invalid_request', 'code is required');
      result = this.issuer.exchangeCode(client, text('code'), text('redirect_uri'));
    } else if (grantType === 'refresh_token') {
      if (!text('refresh_token')) return oauthError(400, 'invalid_request', 'refresh_token is required');
      result = this.issuer.refresh(client, text('refresh_token'));
    } else {
      return oauthError(400, 'unsupported_grant_type', `grant_type must be authorization_code or refresh_token, got "${grantType}"`);
    }
    if (!result.ok) {
      if (result.error === 'invalid_client') return oauthError(401, 'invalid_client', 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.');
      return oauthError(400, 'invalid_grant', `The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client (${result.description}).`);
    }
    return {
      status: 200,
      body: {
        access_token: result.tokens.accessToken,
        token_type: 'bearer',
        scope: text('scope') || DEFAULT_SCOPE,
        refresh_token: result.tokens.refreshToken,
        ...(this.accessTokenTtlSeconds === null ? {} : { expires_in: this.accessTokenTtlSeconds }),
      },
    };
  }

  /** The token request's parameters: a JSON object, or a form. */
  private params(request: EmulatorRequest): Record<string, unknown> | null {
    const body = request.body.trim();
    if (body.startsWith('{')) {
      try {
        const parsed = JSON.parse(body) as unknown;
        return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
      } catch {
        return null;
      }
    }
    return Object.fromEntries(new URLSearchParams(body));
  }
}
