/**
 * Atlassian's OAuth 2.0 (3LO) endpoints as one emulator serves them (auth.atlassian.com and
 * api.atlassian.com on one host): the consent page `GET /authorize` (approved at once: 302 to the
 * redirect URI with `code` and `state`), `POST /oauth/token` (JSON authorization_code and
 * refresh_token grants; refresh tokens rotate) answering `{access_token, expires_in, scope,
 * refresh_token, token_type}` or `{error, error_description}`, and
 * `GET /oauth/token/accessible-resources` (Bearer) listing the one site.
 */

import { bearerToken, EmulatorError, type EmulatorAnswer, type EmulatorRequest } from '../kit/http-emulator.ts';
import { approveAtOnce } from '../kit/consent-page.ts';
import type { GrantResult, OAuthIssuer } from '../kit/oauth-issuer.ts';

const oauthError = (status: number, error: string, description: string): EmulatorAnswer => ({ status, body: { error, error_description: description } });

export const UNAUTHORIZED: EmulatorAnswer = { status: 401, body: { code: 401, message: 'Unauthorized' } };

export class JiraOAuthRoutes {
  private readonly scopes = new Map<string, string>();

  constructor(
    private readonly issuer: OAuthIssuer,
    private readonly site: { cloudId: string; url: () => string; name: string },
  ) {}

  /** The paths that take no Bearer token (the consent page and the token endpoint). */
  isPublic(request: EmulatorRequest): boolean {
    const path = request.path.replace(/\/+$/, '');
    return path === '/authorize' || path === '/oauth/token';
  }

  /** Throws the gateway's 401 unless the request carries a valid access token. */
  requireBearer(request: EmulatorRequest): void {
    const token = bearerToken(request);
    if (!token || !this.issuer.isValid(token)) throw new EmulatorError(UNAUTHORIZED);
  }

  handle(request: EmulatorRequest): EmulatorAnswer | null {
    const path = request.path.replace(/\/+$/, '');
    if (path === '/authorize' && request.method === 'GET') return this.authorize(request);
    if (path === '/oauth/token' && request.method === 'POST') return this.token(request);
    if (path === '/oauth/token/accessible-resources' && request.method === 'GET') {
      return { status: 200, body: [{ id: this.site.cloudId, url: this.site.url(), name: this.site.name, scopes: ['read:jira-work', 'write:jira-work', 'read:jira-user'], avatarUrl: 'https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png' }] };
    }
    return null;
  }

  private authorize(request: EmulatorRequest): EmulatorAnswer {
    const consent = approveAtOnce(this.issuer, request.query, { requireCodeResponseType: true });
    if (!consent.ok) {
      if (consent.refused === 'redirect_uri') return oauthError(400, 'invalid_request', 'redirect_uri is missing or not an absolute URL');
      if (consent.refused === 'response_type') return oauthError(400, 'unsupported_response_type', 'response_type must be code');
      return oauthError(400, 'invalid_client', `unknown client_id ${consent.clientId}`);
    }
    this.scopes.set(consent.code, consent.scopes.join(' '));
    return consent.answer;
  }

  private token(request: EmulatorRequest): EmulatorAnswer {
    let body: Record<string, unknown>;
    try {
      const parsed = JSON.parse(request.body) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return oauthError(400, 'invalid_request', 'the token request takes a JSON object body');
    }
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    const client = { clientId: field('client_id'), clientSecret: field('client_secret') };
    let result: GrantResult;
    let scope = 'read:jira-work write:jira-work read:jira-user offline_access';
    switch (field('grant_type')) {
      case 'authorization_code': {
        scope = this.scopes.get(field('code')) ?? scope;
        this.scopes.delete(field('code'));
        result = this.issuer.exchangeCode(client, field('code'), field('redirect_uri'));
        break;
      }
      case 'refresh_token':
        result = this.issuer.refresh(client, field('refresh_token'));
        if (!result.ok && result.error === 'invalid_grant') return oauthError(403, 'invalid_grant', 'Unknown or invalid refresh token.');
        break;
      default:
        return oauthError(400, 'unsupported_grant_type', `grant_type must be authorization_code or refresh_token, got "${field('grant_type')}"`);
    }
    if (!result.ok) return result.error === 'invalid_client' ? oauthError(401, 'access_denied', 'Unauthorized') : oauthError(403, 'invalid_grant', result.description);
    return {
      status: 200,
      body: { access_token: result.tokens.accessToken, expires_in: result.tokens.expiresInSeconds, token_type: 'Bearer', refresh_token: result.tokens.refreshToken, scope },
    };
  }
}
