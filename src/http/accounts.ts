import { createAccount, createAccountInput } from '../commands/accounts.ts';
import { ok, parseInput, type RestRoutes } from './rest.ts';

export function accountRoutes(routes: RestRoutes): void {
  routes.on('POST', '/v1/accounts', async (req) => {
    const created = await createAccount(req.ctx, req.principal, parseInput(createAccountInput, req.body));
    const account = await req.ctx.prisma.account.findUniqueOrThrow({ where: { id: created.accountId } });
    return ok(
      {
        account: { id: account.id, name: account.name, created_at: account.createdAt.toISOString() },
        api_token: { id: created.firstToken.tokenId, token: created.firstToken.token },
      },
      201,
    );
  });
  routes.on('GET', '/v1/account', async (req) => {
    const account = await req.ctx.prisma.account.findUniqueOrThrow({ where: { id: req.principal.accountId } });
    return ok({ id: account.id, name: account.name, is_root: account.isRoot, created_at: account.createdAt.toISOString() });
  });
}
