import type { AppContext } from '../app-context.ts';
import type { AccountLimits } from '../domain/accounts/events.ts';

/** The root token's overrides of an account's count limits (null: the operator's default). */
export async function accountLimitOverrides(ctx: AppContext, accountId: string): Promise<AccountLimits> {
  const { rows } = await ctx.pool.query<{ max_syncs: number | null; max_consumers: number | null }>(
    'SELECT max_syncs, max_consumers FROM account_limits WHERE account_id = $1',
    [accountId],
  );
  return { maxSyncs: rows[0]?.max_syncs ?? null, maxConsumers: rows[0]?.max_consumers ?? null };
}

/** What an account may hold and do (GET /v1/account, PATCH /v1/accounts/{id}); `overrides` are the root token's. */
export async function presentAccountLimits(ctx: AppContext, accountId: string) {
  const overrides = await accountLimitOverrides(ctx, accountId);
  return {
    limits: {
      max_syncs: overrides.maxSyncs ?? ctx.config.SYNCLINE_MAX_SYNCS_PER_ACCOUNT,
      max_consumers: overrides.maxConsumers ?? ctx.config.SYNCLINE_MAX_CONSUMERS_PER_ACCOUNT,
      min_poll_interval_ms: ctx.config.SYNCLINE_MIN_POLL_INTERVAL_MS,
      api_requests_per_second: ctx.config.SYNCLINE_API_REQUESTS_PER_SECOND,
    },
    limit_overrides: { max_syncs: overrides.maxSyncs, max_consumers: overrides.maxConsumers },
  };
}
