import type { AppContext } from '../app-context.ts';
import type { ProviderCredential } from './providers/provider.ts';

/** Decrypts a credential for a provider, in memory only; null when it no longer exists. */
export async function loadProviderCredential(ctx: AppContext, credentialId: string): Promise<ProviderCredential | null> {
  const credential = await ctx.prisma.credential.findUnique({ where: { id: credentialId } });
  if (!credential) return null;
  const secrets = ctx.secretBox.openJson(credential.secretsEncrypted);
  const app = credential.oauthAppId ? await ctx.prisma.oAuthApp.findUnique({ where: { id: credential.oauthAppId } }) : null;
  return {
    kind: credential.kind,
    accessToken: secrets.access_token ?? null,
    accessTokenExpiresAt: secrets.access_token_expires_at ? new Date(secrets.access_token_expires_at) : null,
    refreshToken: secrets.refresh_token ?? null,
    apiBaseUrl: credential.apiBaseUrl,
    metadata: credential.metadata as Record<string, unknown>,
    oauthApp: app ? { clientId: app.clientId, clientSecret: ctx.secretBox.open(app.clientSecretEncrypted) } : null,
  };
}
