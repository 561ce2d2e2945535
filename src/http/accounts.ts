import type { z } from 'zod';
import { parseInput } from '../commands/parse-input.ts';
import { createAccount, createAccountInput } from '../commands/accounts.ts';
import { setAccountLimits, setAccountLimitsInput } from '../commands/account-limits.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { NotFoundError } from '../errors.ts';
import { presentAccountLimits } from '../queries/account-limits.ts';
import { accountView, createdAccountView } from './openapi/responses.ts';
import { restCommand, restSchema } from './rest-input.ts';
import { idParam, ok, type RestRoutes } from './rest.ts';

/** The root token sees every account; another token only its own (others answer 404, like unknown ids). */
function visibleAccountId(principal: Principal, accountId: string): string {
  if (!principal.isRoot && accountId !== principal.accountId) throw new NotFoundError('account', accountId);
  return accountId;
}

/** An account with its limits (the operator's defaults and the root token's overrides). */
async function presentAccount(ctx: AppContext, accountId: string): Promise<z.output<typeof accountView>> {
  const account = await ctx.prisma.account.findUnique({ where: { id: accountId } });
  if (!account) throw new NotFoundError('account', accountId);
  return { id: account.id, name: account.name, is_root: account.isRoot, created_at: account.createdAt.toISOString(), ...(await presentAccountLimits(ctx, account.id)) };
}

const accountLimitsBody = restSchema(setAccountLimitsInput);

export function accountRoutes(routes: RestRoutes): void {
  routes.on(
    'POST',
    '/v1/accounts',
    {
      summary: 'Create an account (root token only)',
      body: createAccountInput,
      answers: { 201: { description: 'the account and its first API token', body: createdAccountView } },
      errors: { 403: '`forbidden`: not the root token' },
    },
    async (req) => {
      const created = await createAccount(req.ctx, req.principal, parseInput(createAccountInput, req.body));
      const account = await req.ctx.prisma.account.findUniqueOrThrow({ where: { id: created.accountId } });
      return ok(
        {
          account: { id: account.id, name: account.name, created_at: account.createdAt.toISOString() },
          api_token: { id: created.firstToken.tokenId, token: created.firstToken.token },
        } satisfies z.output<typeof createdAccountView>,
        201,
      );
    },
  );
  routes.on('GET', '/v1/account', { summary: "The caller's account, with its limits", answers: { 200: { description: 'the account', body: accountView } } }, async (req) =>
    ok(await presentAccount(req.ctx, req.principal.accountId)),
  );
  // The root token's view and override of one account's limits (docs/API.md#limits).
  routes.on(
    'GET',
    '/v1/accounts/:id',
    { summary: 'Get an account, with its limits', description: 'Any account for the root token; its own for another token.', answers: { 200: { description: 'the account', body: accountView } } },
    async (req) => ok(await presentAccount(req.ctx, visibleAccountId(req.principal, idParam(req, 'account')))),
  );
  routes.on(
    'PATCH',
    '/v1/accounts/:id',
    {
      summary: "Override an account's count limits (root token only)",
      description: "Each limit given replaces the account's override; `null` returns it to the operator's default.",
      body: accountLimitsBody,
      answers: { 200: { description: 'the account with its limits', body: accountView } },
      errors: { 403: '`forbidden`: not the root token' },
    },
    async (req) => {
      const id = visibleAccountId(req.principal, idParam(req, 'account'));
      await restCommand(setAccountLimitsInput, req.body, (input) => setAccountLimits(req.ctx, req.principal, id, input));
      return ok(await presentAccount(req.ctx, id));
    },
  );
}
