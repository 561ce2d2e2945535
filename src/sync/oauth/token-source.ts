import type { AppContext } from '../../app-context.ts';
import { recordRefreshedTokens } from '../../commands/credentials.ts';
import { loadProviderCredential } from '../provider-credential.ts';
import { UpstreamAuthError, type OAuthTokenSet, type OAuthTokenSource, type Provider, type ProviderCredential } from '../providers/provider.ts';

/** Refresh this long before the known expiry, so no request leaves with a token about to die. */
const EXPIRY_MARGIN_MS = 60_000;

/** One refresh at a time per credential in this process: concurrent 401s share it. */
const refreshing = new Map<string, Promise<OAuthTokenSet>>();

const fresh = (tokens: { accessToken: string | null; expiresAt: Date | null }, now: Date): boolean =>
  tokens.accessToken !== null && (tokens.expiresAt === null || tokens.expiresAt.getTime() - EXPIRY_MARGIN_MS > now.getTime());

const fromCredential = (credential: ProviderCredential): OAuthTokenSet | null =>
  credential.accessToken
    ? { accessToken: credential.accessToken, refreshToken: credential.refreshToken, expiresAt: credential.accessTokenExpiresAt, metadata: credential.metadata }
    : null;

/**
 * The engine's side of `ProviderContext.oauth`: tokens from the credential, refreshed through the
 * provider's token endpoint (over the sync's rate-limited fetch) before they expire and when the
 * upstream refuses them, and persisted as `CredentialTokensRefreshed` so every run, mutation and
 * restart starts from the newest. Null for credentials that are not the provider's OAuth kind.
 */
export function oauthTokenSource(
  ctx: AppContext,
  provider: Provider,
  credentialId: string,
  credential: ProviderCredential,
  fetch: typeof globalThis.fetch,
): OAuthTokenSource | null {
  const oauth = provider.oauth;
  if (!oauth || credential.kind !== oauth.credentialKind) return null;
  let tokens = fromCredential(credential);

  async function refreshStored(rejected: string | null): Promise<OAuthTokenSet> {
    // Another run (or process) may have refreshed already: use its token unless it is the refused one.
    const stored = (await loadProviderCredential(ctx, credentialId)) ?? credential;
    const storedTokens = fromCredential(stored);
    if (storedTokens && storedTokens.accessToken !== rejected && fresh(storedTokens, ctx.now())) return storedTokens;
    if (!stored.refreshToken) throw new UpstreamAuthError('the credential has no refresh token: connect it again', 401);
    if (!stored.oauthApp) throw new UpstreamAuthError('the credential has no OAuth app to refresh its token with', 401);
    const next = await oauth!.requestToken({
      grant: { type: 'refresh_token', refreshToken: stored.refreshToken },
      clientId: stored.oauthApp.clientId,
      clientSecret: stored.oauthApp.clientSecret,
      apiBaseUrl: stored.apiBaseUrl,
      fetch,
    });
    await recordRefreshedTokens(ctx, credentialId, next);
    ctx.logger.info({ credentialId, provider: provider.name, expiresAt: next.expiresAt }, 'oauth access token refreshed');
    return { ...next, refreshToken: next.refreshToken ?? stored.refreshToken, metadata: { ...stored.metadata, ...next.metadata } };
  }

  async function refresh(rejected: string | null): Promise<OAuthTokenSet> {
    let pending = refreshing.get(credentialId);
    if (!pending) {
      pending = refreshStored(rejected).finally(() => refreshing.delete(credentialId));
      refreshing.set(credentialId, pending);
    }
    tokens = await pending;
    return tokens;
  }

  return {
    async current() {
      if (tokens && fresh(tokens, ctx.now())) return tokens;
      return refresh(tokens?.accessToken ?? null);
    },
    async refresh(rejectedAccessToken) {
      if (tokens && tokens.accessToken !== rejectedAccessToken && fresh(tokens, ctx.now())) return tokens;
      return refresh(rejectedAccessToken);
    },
  };
}
