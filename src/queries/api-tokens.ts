import type { ApiToken } from '../generated/prisma/client.ts';
import type { AppContext, Principal } from '../commands/context.ts';
import { hashApiToken } from '../crypto/api-token.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';

export const presentApiToken = (t: ApiToken) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  created_at: t.createdAt.toISOString(),
  revoked_at: t.revokedAt?.toISOString() ?? null,
});

export async function listApiTokens(ctx: AppContext, principal: Principal, page: PageInput) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.apiToken.findMany({ ...args, where: { ...args.where, accountId: principal.accountId } });
  return toPage(rows, page, presentApiToken);
}

/** The principal behind a bearer secret, or null for an unknown or revoked token. */
export async function authenticate(ctx: AppContext, secret: string): Promise<Principal | null> {
  const token = await ctx.prisma.apiToken.findUnique({ where: { tokenHash: hashApiToken(secret) }, include: { account: true } });
  if (!token || token.revokedAt) return null;
  return { accountId: token.accountId, tokenId: token.id, isRoot: token.account.isRoot };
}
