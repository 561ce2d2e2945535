import type { OAuthApp } from '../generated/prisma/client.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { NotFoundError } from '../errors.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';

export const presentOAuthApp = (a: OAuthApp) => ({
  id: a.id,
  provider: a.provider,
  client_id: a.clientId,
  client_secret: a.clientSecretHint,
  created_at: a.createdAt.toISOString(),
});

export async function listOAuthApps(ctx: AppContext, principal: Principal, page: PageInput) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.oAuthApp.findMany({ ...args, where: { ...args.where, accountId: principal.accountId } });
  return toPage(rows, page, presentOAuthApp);
}

export async function getOAuthApp(ctx: AppContext, principal: Principal, id: string) {
  const app = await ctx.prisma.oAuthApp.findFirst({ where: { id, accountId: principal.accountId } });
  if (!app) throw new NotFoundError('oauth app', id);
  return presentOAuthApp(app);
}
