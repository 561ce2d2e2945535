import { z } from 'zod';
import { apiTokenPrefix, generateApiTokenSecret, hashApiToken } from '../crypto/api-token.ts';
import { accountDecider } from '../domain/accounts/decide.ts';
import { ConfigError } from '../config.ts';
import { ConflictError, ForbiddenError } from '../errors.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { commandHandler } from './handle.ts';

const handleAccount = commandHandler('account', accountDecider);

/** The root account has a fixed id so that concurrent first starts agree on it. */
export const ROOT_ACCOUNT_ID = '00000000-0000-4000-8000-000000000001';

export const createAccountInput = z.object({ name: z.string().trim().min(1).max(200) }).strict();
export const createApiTokenInput = z.object({ name: z.string().trim().min(1).max(200).default('api token') }).strict();

export interface IssuedToken {
  tokenId: string;
  /** The secret, shown once. */
  token: string;
}

function newToken(ctx: AppContext, name: string, secret = generateApiTokenSecret()) {
  return { secret, token: { tokenId: ctx.newId(), name, tokenHash: hashApiToken(secret), prefix: apiTokenPrefix(secret) } };
}

export async function createAccount(ctx: AppContext, principal: Principal, input: z.infer<typeof createAccountInput>) {
  if (!principal.isRoot) throw new ForbiddenError('only the root token can create accounts');
  const accountId = ctx.newId();
  const { secret, token } = newToken(ctx, 'first token');
  await handleAccount(ctx.eventStore, accountId, {
    type: 'CreateAccount',
    data: { accountId, name: input.name, isRoot: false, firstToken: token },
    metadata: { now: ctx.now() },
  });
  return { accountId, firstToken: { tokenId: token.tokenId, token: secret } satisfies IssuedToken };
}

export async function createApiToken(ctx: AppContext, principal: Principal, input: z.infer<typeof createApiTokenInput>): Promise<IssuedToken> {
  const { secret, token } = newToken(ctx, input.name);
  await handleAccount(ctx.eventStore, principal.accountId, {
    type: 'CreateApiToken',
    data: { accountId: principal.accountId, ...token },
    metadata: { now: ctx.now() },
  });
  return { tokenId: token.tokenId, token: secret };
}

export async function revokeApiToken(ctx: AppContext, principal: Principal, tokenId: string): Promise<void> {
  await handleAccount(ctx.eventStore, principal.accountId, {
    type: 'RevokeApiToken',
    data: { accountId: principal.accountId, tokenId },
    metadata: { now: ctx.now() },
  });
  // After the commit: every instance closes the live connections opened with this token.
  ctx.bus.publish({ channel: 'token-revoked', tokenId });
}

/** Root tokens the server made itself (first start, SYNCLINE_API_TOKEN): the ones a newly configured token replaces. */
const BOOTSTRAP_ROOT_TOKEN = 'root token';
const CONFIGURED_ROOT_TOKEN = 'root token (SYNCLINE_API_TOKEN)';

/**
 * First start: create the root account with `configuredToken` or a generated one (returned so the
 * caller prints it once). Later starts with a configured token: it becomes one of root's tokens
 * and replaces the earlier configured (or first generated) one, which is revoked; root tokens
 * made through the API stay.
 */
export async function ensureRootAccount(ctx: AppContext, configuredToken: string | undefined): Promise<{ generatedToken: string | null }> {
  const root = await ctx.prisma.account.findUnique({ where: { id: ROOT_ACCOUNT_ID } });
  if (!root) {
    const { secret, token } = newToken(ctx, configuredToken ? CONFIGURED_ROOT_TOKEN : BOOTSTRAP_ROOT_TOKEN, configuredToken);
    try {
      await handleAccount(ctx.eventStore, ROOT_ACCOUNT_ID, {
        type: 'CreateAccount',
        data: { accountId: ROOT_ACCOUNT_ID, name: 'root', isRoot: true, firstToken: token },
        metadata: { now: ctx.now() },
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      return ensureRootAccount(ctx, configuredToken); // another process created it first
    }
    return { generatedToken: configuredToken ? null : secret };
  }
  if (configuredToken) await replaceConfiguredRootToken(ctx, configuredToken);
  return { generatedToken: null };
}

async function replaceConfiguredRootToken(ctx: AppContext, configuredToken: string): Promise<void> {
  const tokenHash = hashApiToken(configuredToken);
  const known = await ctx.prisma.apiToken.findUnique({ where: { tokenHash } });
  if (known && (known.accountId !== ROOT_ACCOUNT_ID || known.revokedAt !== null)) {
    throw new ConfigError('SYNCLINE_API_TOKEN is a revoked token or one of another account: choose a new secret');
  }
  let current = known?.id;
  if (!known) {
    const { token } = newToken(ctx, CONFIGURED_ROOT_TOKEN, configuredToken);
    await handleAccount(ctx.eventStore, ROOT_ACCOUNT_ID, {
      type: 'CreateApiToken',
      data: { accountId: ROOT_ACCOUNT_ID, ...token },
      metadata: { now: ctx.now() },
    });
    current = token.tokenId;
  }
  const replaced = await ctx.prisma.apiToken.findMany({
    where: { accountId: ROOT_ACCOUNT_ID, revokedAt: null, name: { in: [BOOTSTRAP_ROOT_TOKEN, CONFIGURED_ROOT_TOKEN] }, id: { not: current } },
  });
  const root: Principal = { accountId: ROOT_ACCOUNT_ID, tokenId: current!, isRoot: true };
  for (const token of replaced) {
    await revokeApiToken(ctx, root, token.id);
    ctx.logger.info({ tokenId: token.id, prefix: token.prefix }, 'SYNCLINE_API_TOKEN changed: the earlier configured root token is revoked');
  }
}
