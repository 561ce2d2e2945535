/**
 * OAuth 2 authorization server state for emulators (authorization codes, access tokens with an
 * expiry, refresh tokens); each provider's emulator serves it at its own paths and in its own
 * wire format.
 */

import { randomBytes } from 'node:crypto';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresInSeconds: number;
}

export type GrantResult = { ok: true; tokens: IssuedTokens } | { ok: false; error: 'invalid_client' | 'invalid_grant'; description: string };

const token = (prefix: string): string => `${prefix}${randomBytes(18).toString('base64url')}`;

export class OAuthIssuer {
  private readonly codes = new Map<string, { clientId: string; redirectUri: string; scopes: string[] }>();
  private readonly accessTokens = new Map<string, { expiresAt: number; refreshToken: string }>();
  private readonly refreshTokens = new Map<string, { clientId: string }>();
  /** Grants answered so far, by kind (tests check that a refresh happened, and how often). */
  readonly grants = { authorization_code: 0, refresh_token: 0 };

  constructor(
    readonly clients: OAuthClient[],
    private readonly options: { accessTokenTtlSeconds: number; rotateRefreshTokens?: boolean; tokenPrefix?: string },
  ) {}

  /** The code the consent page hands back to `redirectUri` (the emulator approves every request). */
  issueCode(clientId: string, redirectUri: string, scopes: string[]): string | null {
    if (!this.clients.some((c) => c.clientId === clientId)) return null;
    const code = token('code-');
    this.codes.set(code, { clientId, redirectUri, scopes });
    return code;
  }

  /** A refresh token as if a person had connected earlier (seeding tests and the CLI). */
  issueRefreshToken(clientId: string): string {
    const refresh = token('refresh-');
    this.refreshTokens.set(refresh, { clientId });
    return refresh;
  }

  exchangeCode(client: OAuthClient, code: string, redirectUri: string): GrantResult {
    if (!this.knownClient(client)) return { ok: false, error: 'invalid_client', description: 'unknown client or wrong secret' };
    const grant = this.codes.get(code);
    this.codes.delete(code); // single use
    if (!grant || grant.clientId !== client.clientId) return { ok: false, error: 'invalid_grant', description: 'unknown or used authorization code' };
    if (grant.redirectUri !== redirectUri) return { ok: false, error: 'invalid_grant', description: 'redirect_uri does not match the authorization request' };
    this.grants.authorization_code++;
    return { ok: true, tokens: this.issue(client.clientId, this.issueRefreshToken(client.clientId)) };
  }

  refresh(client: OAuthClient, refreshToken: string): GrantResult {
    if (!this.knownClient(client)) return { ok: false, error: 'invalid_client', description: 'unknown client or wrong secret' };
    const grant = this.refreshTokens.get(refreshToken);
    if (!grant || grant.clientId !== client.clientId) return { ok: false, error: 'invalid_grant', description: 'unknown or revoked refresh token' };
    let next = refreshToken;
    if (this.options.rotateRefreshTokens) {
      this.refreshTokens.delete(refreshToken);
      next = this.issueRefreshToken(client.clientId);
    }
    this.grants.refresh_token++;
    return { ok: true, tokens: this.issue(client.clientId, next) };
  }

  /** true when `accessToken` was issued and has not expired. */
  isValid(accessToken: string): boolean {
    const issued = this.accessTokens.get(accessToken);
    return issued !== undefined && issued.expiresAt > Date.now();
  }

  /** Every access token issued so far expires now (the next request with one gets 401). */
  expireAccessTokens(): void {
    for (const issued of this.accessTokens.values()) issued.expiresAt = 0;
  }

  private knownClient(client: OAuthClient): boolean {
    return this.clients.some((c) => c.clientId === client.clientId && c.clientSecret === client.clientSecret);
  }

  private issue(_clientId: string, refreshToken: string): IssuedTokens {
    const accessToken = token(this.options.tokenPrefix ?? 'access-');
    this.accessTokens.set(accessToken, { expiresAt: Date.now() + this.options.accessTokenTtlSeconds * 1000, refreshToken });
    return { accessToken, refreshToken, expiresInSeconds: this.options.accessTokenTtlSeconds };
  }
}

/** What an emulator with an OAuth client offers tests: seed a connection, expire tokens, count grants. */
export interface OAuthControls {
  readonly oauthClient: OAuthClient;
  /** A refresh token as if a person had connected the OAuth app. */
  issueRefreshToken(): string;
  /** Every OAuth access token issued so far expires now (the next request with one gets 401). */
  expireAccessTokens(): void;
  /** Refresh-token grants answered so far. */
  readonly refreshGrants: number;
  readonly authorizationCodeGrants: number;
}

/**
 * Adds the OAuth controls of `issuer` for `oauthClient` to an emulator. Defined as properties,
 * not spread: the grant counts are live getters.
 */
export function withOAuthControls<T extends object>(emulator: T, issuer: OAuthIssuer, oauthClient: OAuthClient): T & OAuthControls {
  return Object.defineProperties(emulator, {
    oauthClient: { value: oauthClient, enumerable: true },
    issueRefreshToken: { value: () => issuer.issueRefreshToken(oauthClient.clientId), enumerable: true },
    expireAccessTokens: { value: () => issuer.expireAccessTokens(), enumerable: true },
    refreshGrants: { get: () => issuer.grants.refresh_token, enumerable: true },
    authorizationCodeGrants: { get: () => issuer.grants.authorization_code, enumerable: true },
  }) as T & OAuthControls;
}
