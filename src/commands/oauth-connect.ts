import { z } from 'zod';
import { credentialKinds } from '../domain/credentials/kinds.ts';
import { BadRequestError, EgressRefusedError, UnprocessableError } from '../errors.ts';
import { egressFetch } from '../net/egress-fetch.ts';
import { limitResponseBody, UpstreamBodyTooLargeError } from '../sync/http/bounded-body.ts';
import { UpstreamAuthError, UpstreamRequestError, type Provider, type ProviderOAuth } from '../sync/providers/provider.ts';
import { requireProvider } from '../sync/providers/registry.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { addCredential, recordRefreshedTokens } from './credentials.ts';
import { useOAuthState } from './oauth-states.ts';

/** How long a person has to answer the provider's consent page. */
const STATE_TTL_MS = 15 * 60_000;
const TOKEN_EXCHANGE_TIMEOUT_MS = 30_000;

const httpUrl = z
  .string()
  .url()
  .max(2000)
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

export const authorizeInput = z
  .object({
    oauthAppId: z.string().uuid(),
    /** Where the provider sends the browser back: Syncline's `/v1/oauth/{provider}/callback` (or a page that forwards `code` and `state` to it). */
    redirectUri: httpUrl,
    /** Provider host override (emulator, sandbox, Salesforce login host). */
    apiBaseUrl: httpUrl.optional(),
    /** Space- or comma-separated scopes; the provider's defaults otherwise. */
    scopes: z.string().max(2000).optional(),
    /** Name of the credential the callback creates. */
    name: z.string().trim().min(1).max(200).optional(),
    /** Where the callback sends the browser once the credential exists (`?credential_id=…` appended). */
    returnTo: httpUrl.optional(),
  })
  .strict();
export type AuthorizeInput = z.infer<typeof authorizeInput>;

/** The consent URL to open, and the sealed state the provider hands back to the callback. */
export interface OAuthConnectStart {
  provider: string;
  authorizeUrl: string;
  state: string;
  expiresAt: Date;
}

export const callbackInput = z
  .object({
    state: z.string().min(1).max(8000),
    code: z.string().min(1).max(4000).optional(),
    error: z.string().max(200).optional(),
    error_description: z.string().max(2000).optional(),
  })
  .passthrough();

/** What the sealed `state` carries from the authorize step to the callback (tamper-proof: AES-GCM). */
const pendingConnect = z.object({
  /** Makes the state single-use (oauth-states.ts). */
  nonce: z.string().uuid(),
  provider: z.string(),
  accountId: z.string(),
  tokenId: z.string(),
  oauthAppId: z.string(),
  redirectUri: z.string(),
  apiBaseUrl: z.string().nullable(),
  name: z.string().nullable(),
  returnTo: z.string().nullable(),
  expiresAt: z.number(),
});

function providerOAuth(name: string): { provider: Provider; oauth: ProviderOAuth } {
  const provider = requireProvider(name);
  if (!provider.oauth) throw new UnprocessableError('oauth_not_supported', `${provider.displayName} credentials are not connected through OAuth`);
  return { provider, oauth: provider.oauth };
}

async function accountOAuthApp(ctx: AppContext, accountId: string, oauthAppId: string, provider: Provider) {
  const app = await ctx.prisma.oAuthApp.findFirst({ where: { id: oauthAppId, accountId } });
  if (!app) throw new UnprocessableError('invalid_oauth_app', `oauth app ${oauthAppId} not found`, [{ path: 'oauthAppId', message: 'not found' }]);
  if (app.provider !== provider.name) {
    throw new UnprocessableError('invalid_oauth_app', `oauth app ${oauthAppId} is for ${app.provider}, not ${provider.name}`, [{ path: 'oauthAppId', message: `must be a ${provider.name} app` }]);
  }
  return app;
}

/** Step 1: the provider's consent URL, with a sealed state that lets the callback finish for this account. */
export async function startOAuthConnect(ctx: AppContext, principal: Principal, providerName: string, input: AuthorizeInput): Promise<OAuthConnectStart> {
  const { provider, oauth } = providerOAuth(providerName);
  const app = await accountOAuthApp(ctx, principal.accountId, input.oauthAppId, provider);
  const expiresAt = ctx.now().getTime() + STATE_TTL_MS;
  const state = ctx.secretBox.seal(
    JSON.stringify({
      nonce: ctx.newId(),
      provider: provider.name,
      accountId: principal.accountId,
      tokenId: principal.tokenId,
      oauthAppId: app.id,
      redirectUri: input.redirectUri,
      apiBaseUrl: input.apiBaseUrl ?? null,
      name: input.name ?? null,
      returnTo: input.returnTo ?? null,
      expiresAt,
    } satisfies z.infer<typeof pendingConnect>),
  );
  const scopes = input.scopes ? input.scopes.split(/[\s,]+/).filter(Boolean) : oauth.defaultScopes;
  return {
    provider: provider.name,
    authorizeUrl: oauth.authorizeUrl({ clientId: app.clientId, redirectUri: input.redirectUri, state, scopes, apiBaseUrl: input.apiBaseUrl ?? null }),
    state,
    expiresAt: new Date(expiresAt),
  };
}

function openState(ctx: AppContext, providerName: string, sealed: string): z.infer<typeof pendingConnect> {
  let pending: z.infer<typeof pendingConnect>;
  try {
    pending = pendingConnect.parse(JSON.parse(ctx.secretBox.open(sealed)));
  } catch {
    throw new BadRequestError('invalid_oauth_state', 'the OAuth state is not one this server issued');
  }
  if (pending.provider !== providerName) throw new BadRequestError('invalid_oauth_state', `the OAuth state was issued for ${pending.provider}`);
  if (pending.expiresAt < ctx.now().getTime()) throw new BadRequestError('oauth_state_expired', 'the OAuth connect flow took too long: start it again');
  return pending;
}

/** Step 2 (the provider's redirect): exchanges the code and creates the credential. */
export async function completeOAuthConnect(ctx: AppContext, providerName: string, input: z.infer<typeof callbackInput>) {
  const { provider, oauth } = providerOAuth(providerName);
  const pending = openState(ctx, provider.name, input.state);
  // Before anything is sent: a replayed state never makes the token request (with the client secret) again.
  if (!(await useOAuthState(ctx, pending.nonce, new Date(pending.expiresAt)))) {
    throw new BadRequestError('oauth_state_used', 'this OAuth state was used already: start the connect flow again');
  }
  if (input.error) throw new BadRequestError('oauth_denied', `${provider.displayName} refused the connection: ${input.error_description ?? input.error}`);
  if (!input.code) throw new BadRequestError('oauth_code_missing', 'the callback carries no authorization code');
  const app = await accountOAuthApp(ctx, pending.accountId, pending.oauthAppId, provider);
  let tokens;
  try {
    tokens = await oauth.requestToken({
      grant: { type: 'authorization_code', code: input.code, redirectUri: pending.redirectUri },
      clientId: app.clientId,
      clientSecret: ctx.secretBox.open(app.clientSecretEncrypted),
      apiBaseUrl: pending.apiBaseUrl,
      // The token endpoint is the tenant's choice (api_base_url): its answer is bounded like any upstream answer.
      fetch: async (url, init) => {
        const response = await egressFetch(ctx.config)(url, { ...init, signal: AbortSignal.timeout(TOKEN_EXCHANGE_TIMEOUT_MS) });
        return limitResponseBody(response, ctx.config.SYNCLINE_MAX_UPSTREAM_BODY_BYTES, `${init?.method ?? 'GET'} ${new URL(url instanceof Request ? url.url : url).pathname}`);
      },
    });
  } catch (error) {
    if (error instanceof EgressRefusedError) throw error;
    if (error instanceof UpstreamBodyTooLargeError) throw new UnprocessableError('oauth_exchange_failed', error.message);
    if (error instanceof UpstreamAuthError || error instanceof UpstreamRequestError) {
      throw new UnprocessableError('oauth_exchange_failed', `${provider.displayName} refused the authorization code: ${error.message}`);
    }
    throw error;
  }
  if (!tokens.refreshToken && credentialKinds[oauth.credentialKind]?.requiredSecrets.includes('refresh_token')) {
    throw new UnprocessableError('oauth_exchange_failed', `${provider.displayName} answered no refresh token (offline access not granted?)`);
  }
  const principal: Principal = { accountId: pending.accountId, tokenId: pending.tokenId, isRoot: false };
  const credentialId = await addCredential(ctx, principal, {
    kind: oauth.credentialKind,
    name: pending.name ?? `${provider.displayName} (connected ${ctx.now().toISOString().slice(0, 10)})`,
    refreshToken: tokens.refreshToken ?? null,
    accessToken: tokens.accessToken,
    oauthAppId: app.id,
    apiBaseUrl: pending.apiBaseUrl,
    metadata: {},
  });
  await recordRefreshedTokens(ctx, credentialId, tokens);
  ctx.logger.info({ credentialId, provider: provider.name, accountId: pending.accountId }, 'oauth credential connected');
  return { credentialId, principal, returnTo: pending.returnTo };
}
