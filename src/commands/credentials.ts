import { z } from 'zod';
import { secretHint } from '../crypto/secret-box.ts';
import { credentialDecider } from '../domain/credentials/decide.ts';
import type { CredentialFields } from '../domain/credentials/events.ts';
import { credentialKinds, credentialShapeProblems, type CredentialSecretField } from '../domain/credentials/kinds.ts';
import { NotFoundError, UnprocessableError } from '../errors.ts';
import type { AppContext, Principal } from '../app-context.ts';
import type { OAuthTokenSet } from '../sync/providers/provider.ts';
import { commandHandler } from './handle.ts';

const handleCredential = commandHandler('credential', credentialDecider);

const secretValue = z.string().min(1).max(10_000);
const httpUrl = z
  .string()
  .url()
  .max(2000)
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');

/** The seed shape (REST: `{kind, access_token, oauth_app_id, metadata}`) plus name, secret, refreshToken, apiBaseUrl. */
export const credentialInput = z
  .object({
    kind: z.string().min(1).max(50),
    name: z.string().trim().min(1).max(200).nullish(),
    accessToken: secretValue.nullish(),
    /** The kind's main secret (seed's inline form). */
    secret: secretValue.nullish(),
    refreshToken: secretValue.nullish(),
    oauthAppId: z.string().uuid().nullish(),
    apiBaseUrl: httpUrl.nullish(),
    metadata: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type CredentialInput = z.infer<typeof credentialInput>;

/** PATCH: any subset; secrets given replace the stored ones, others are kept. */
export const credentialPatchInput = credentialInput.partial().strict();
export type CredentialPatchInput = z.infer<typeof credentialPatchInput>;

async function toFields(ctx: AppContext, principal: Principal, input: CredentialInput): Promise<CredentialFields> {
  const kind = credentialKinds[input.kind];
  const secrets: Partial<Record<CredentialSecretField, string>> = {};
  if (input.accessToken) secrets.access_token = input.accessToken;
  if (input.refreshToken) secrets.refresh_token = input.refreshToken;
  if (input.secret && kind) secrets[kind.mainSecret] = input.secret;
  const oauthAppId = input.oauthAppId ?? null;
  const apiBaseUrl = input.apiBaseUrl ?? null;
  const problems = credentialShapeProblems({ kind: input.kind, secrets, oauthAppId, metadata: input.metadata, apiBaseUrl });
  if (oauthAppId) {
    const app = await ctx.prisma.oAuthApp.findFirst({ where: { id: oauthAppId, accountId: principal.accountId } });
    if (!app) problems.push({ path: 'oauthAppId', message: `oauth app ${oauthAppId} not found` });
  }
  if (problems.length > 0) throw new UnprocessableError('invalid_credential', 'the credential is incomplete or invalid', problems);
  const secretHints = Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, secretHint(v)]));
  return {
    kind: input.kind,
    name: input.name ?? null,
    oauthAppId,
    apiBaseUrl,
    metadata: input.metadata,
    secretsSealed: ctx.secretBox.sealJson(secrets),
    secretHints,
  };
}

export async function addCredential(ctx: AppContext, principal: Principal, input: CredentialInput): Promise<string> {
  const fields = await toFields(ctx, principal, input);
  const credentialId = ctx.newId();
  await handleCredential(ctx.eventStore, credentialId, {
    type: 'AddCredential',
    data: { credentialId, accountId: principal.accountId, ...fields },
    metadata: { now: ctx.now() },
  });
  return credentialId;
}

export async function updateCredential(
  ctx: AppContext,
  principal: Principal,
  credentialId: string,
  patch: CredentialPatchInput,
): Promise<void> {
  const current = await ctx.prisma.credential.findFirst({ where: { id: credentialId, accountId: principal.accountId } });
  if (!current) throw new NotFoundError('credential', credentialId);
  const stored = ctx.secretBox.openJson(current.secretsEncrypted);
  const merged: CredentialInput = {
    kind: patch.kind ?? current.kind,
    name: patch.name !== undefined ? patch.name : current.name,
    accessToken: patch.accessToken ?? stored.access_token ?? null,
    refreshToken: patch.refreshToken ?? stored.refresh_token ?? null,
    secret: patch.secret ?? null,
    oauthAppId: patch.oauthAppId !== undefined ? patch.oauthAppId : current.oauthAppId,
    apiBaseUrl: patch.apiBaseUrl !== undefined ? patch.apiBaseUrl : current.apiBaseUrl,
    metadata: patch.metadata ?? (current.metadata as Record<string, unknown>),
  };
  const fields = await toFields(ctx, principal, merged);
  await handleCredential(ctx.eventStore, credentialId, {
    type: 'UpdateCredential',
    data: { credentialId, accountId: principal.accountId, ...fields },
    metadata: { now: ctx.now() },
  });
}

export async function deleteCredential(ctx: AppContext, principal: Principal, credentialId: string): Promise<void> {
  await handleCredential(ctx.eventStore, credentialId, {
    type: 'DeleteCredential',
    data: { credentialId, accountId: principal.accountId },
    metadata: { now: ctx.now() },
  });
}

/** OAuth tokens obtained by a refresh (or the connect flow), sealed with the credential's other secrets. */
export async function recordRefreshedTokens(ctx: AppContext, credentialId: string, tokens: OAuthTokenSet): Promise<void> {
  const current = await ctx.prisma.credential.findUnique({ where: { id: credentialId } });
  if (!current) throw new NotFoundError('credential', credentialId);
  const stored = ctx.secretBox.openJson(current.secretsEncrypted);
  const secrets: Record<string, string> = { ...stored, access_token: tokens.accessToken };
  if (tokens.refreshToken) secrets.refresh_token = tokens.refreshToken;
  if (tokens.expiresAt) secrets.access_token_expires_at = tokens.expiresAt.toISOString();
  else delete secrets.access_token_expires_at;
  const secretHints = Object.fromEntries(Object.entries(secrets).filter(([k]) => k !== 'access_token_expires_at').map(([k, v]) => [k, secretHint(v)]));
  await handleCredential(ctx.eventStore, credentialId, {
    type: 'RecordRefreshedTokens',
    data: {
      credentialId,
      accountId: current.accountId,
      secretsSealed: ctx.secretBox.sealJson(secrets),
      secretHints,
      metadata: { ...(current.metadata as Record<string, unknown>), ...tokens.metadata },
    },
    metadata: { now: ctx.now() },
  });
}
