import { z } from 'zod';
import { accountDecider } from '../domain/accounts/decide.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { accountLimitOverrides } from '../queries/account-limits.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { commandHandler } from './handle.ts';

const handleAccount = commandHandler('account', accountDecider);

const limitValue = z.number().int().min(0).max(1_000_000).nullable();

/** `PATCH /v1/accounts/{id}`: the limits given replace the account's overrides, `null` returns one to the operator's default. */
export const setAccountLimitsInput = z
  .object({ limits: z.object({ maxSyncs: limitValue, maxConsumers: limitValue }).partial().strict() })
  .strict();
export type SetAccountLimitsInput = z.infer<typeof setAccountLimitsInput>;

/** The root token raises or lowers one account's count limits (recorded as `AccountLimitsSet`). */
export async function setAccountLimits(ctx: AppContext, principal: Principal, accountId: string, input: SetAccountLimitsInput): Promise<void> {
  if (!principal.isRoot) throw new ForbiddenError('only the root token can change an account');
  const account = await ctx.prisma.account.findUnique({ where: { id: accountId } });
  if (!account) throw new NotFoundError('account', accountId);
  const current = await accountLimitOverrides(ctx, accountId);
  await handleAccount(ctx.eventStore, accountId, {
    type: 'SetAccountLimits',
    data: {
      accountId,
      limits: {
        maxSyncs: input.limits.maxSyncs !== undefined ? input.limits.maxSyncs : current.maxSyncs,
        maxConsumers: input.limits.maxConsumers !== undefined ? input.limits.maxConsumers : current.maxConsumers,
      },
    },
    metadata: { now: ctx.now() },
  });
}
