import type { Credential } from '../generated/prisma/client.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { NotFoundError } from '../errors.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';

/** Secrets are never presented: only redacted hints and `has_*` flags. */
export const presentCredential = (c: Credential) => {
  const hints = c.secretHints as Record<string, string>;
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    oauth_app_id: c.oauthAppId,
    api_base_url: c.apiBaseUrl,
    metadata: c.metadata,
    access_token: hints.access_token ?? null,
    refresh_token: hints.refresh_token ?? null,
    has_access_token: hints.access_token !== undefined,
    has_refresh_token: hints.refresh_token !== undefined,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
};

export async function listCredentials(ctx: AppContext, principal: Principal, page: PageInput) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.credential.findMany({ ...args, where: { ...args.where, accountId: principal.accountId } });
  return toPage(rows, page, presentCredential);
}

export async function getCredential(ctx: AppContext, principal: Principal, id: string) {
  const credential = await ctx.prisma.credential.findFirst({ where: { id, accountId: principal.accountId } });
  if (!credential) throw new NotFoundError('credential', id);
  return presentCredential(credential);
}
