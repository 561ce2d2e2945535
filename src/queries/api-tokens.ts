import type { ApiToken } from '../generated/prisma/client.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';
import { statement } from '../db/prepared-statements.ts';

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

/** The principal behind a bearer secret, by its sha-256 (`hashApiToken`), or null for an unknown or revoked token. */
export async function authenticate(ctx: AppContext, tokenHash: string): Promise<Principal | null> {
  // Every request pays this lookup: one plain statement instead of Prisma's query engine (the
  // consume benchmark's profile had Prisma's per-request queries among its top costs).
  const { rows } = await ctx.pool.query<{ id: string; account_id: string; is_root: boolean }>(
    statement(
      ctx.pool,
      'syncline_authenticate',
      `SELECT t.id, t.account_id, a.is_root FROM api_tokens t JOIN accounts a ON a.id = t.account_id
       WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
      [tokenHash],
    ),
  );
  const token = rows[0];
  return token ? { accountId: token.account_id, tokenId: token.id, isRoot: token.is_root } : null;
}
