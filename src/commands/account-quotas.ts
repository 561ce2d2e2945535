import type pg from 'pg';
import type { Config } from '../config.ts';
import { QuotaExceededError } from '../errors.ts';
import { KeyedQueue } from '../keyed-queue.ts';
import type { AppContext, Principal } from '../app-context.ts';

/** What a per-account count limit counts, read from the read models (committed rows). */
const quotas = {
  syncs: {
    setting: 'SYNCLINE_MAX_SYNCS_PER_ACCOUNT',
    limit: (config: Config) => config.SYNCLINE_MAX_SYNCS_PER_ACCOUNT,
    override: 'max_syncs',
    count: 'SELECT count(*)::int FROM syncs WHERE account_id = $1',
  },
  consumers: {
    setting: 'SYNCLINE_MAX_CONSUMERS_PER_ACCOUNT',
    limit: (config: Config) => config.SYNCLINE_MAX_CONSUMERS_PER_ACCOUNT,
    override: 'max_consumers',
    // Every consumer kind counts here.
    count: `SELECT ((SELECT count(*) FROM http_consumers WHERE account_id = $1) + (SELECT count(*) FROM nats_consumers WHERE account_id = $1)
      + (SELECT count(*) FROM postgres_consumers WHERE account_id = $1) + (SELECT count(*) FROM webhook_consumers WHERE account_id = $1))::int`,
  },
} satisfies Record<string, { setting: keyof Config; limit: (config: Config) => number; override: 'max_syncs' | 'max_consumers'; count: string }>;

export type QuotaKind = keyof typeof quotas;

/** Creates of one account and kind take turns in this process (PGlite's one session makes advisory locks no lock there). */
const turns = new KeyedQueue();

/**
 * Throws `QuotaExceededError` when the account already has its limit of `kind`. A cheap early
 * check, before a create does work it would have to undo (an inline credential, a stream); the
 * check that holds under concurrency is `createWithinQuota`'s. The root token is not limited.
 */
export async function assertQuotaRoom(ctx: AppContext, principal: Principal, kind: QuotaKind): Promise<void> {
  if (principal.isRoot) return;
  await checkCount(ctx.pool, ctx.config, principal.accountId, kind);
}

/**
 * Runs `append` (the command that creates one `kind`) only while the account is under its limit,
 * with every other create of that account and kind excluded from the count to the commit: in
 * this process a queue, across the processes sharing a PostgreSQL database a session advisory
 * lock held from the count until `append` (its own transaction) has committed. Two parallel
 * creates can therefore never both take the last slot.
 */
export async function createWithinQuota<T>(ctx: AppContext, principal: Principal, kind: QuotaKind, append: () => Promise<T>): Promise<T> {
  if (principal.isRoot) return append();
  return turns.run(`${kind}:${principal.accountId}`, async () => {
    if (!ctx.config.DATABASE_URL) {
      await checkCount(ctx.pool, ctx.config, principal.accountId, kind);
      return append();
    }
    const key = `syncline:quota:${kind}:${principal.accountId}`;
    const client = await ctx.pool.connect();
    let healthy = true;
    try {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
      try {
        await checkCount(client, ctx.config, principal.accountId, kind);
        return await append();
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => (healthy = false));
      }
    } finally {
      // A connection whose unlock failed may still hold the lock: it is closed, not reused.
      client.release(!healthy);
    }
  });
}

async function checkCount(db: pg.Pool | pg.PoolClient, config: Config, accountId: string, kind: QuotaKind): Promise<void> {
  const quota = quotas[kind];
  // The root token's override for this account (PATCH /v1/accounts/{id}), else the operator's default.
  const { rows } = await db.query<{ n: number; override: number | null }>(
    `SELECT (${quota.count}) AS n, (SELECT ${quota.override} FROM account_limits WHERE account_id = $1) AS override`,
    [accountId],
  );
  const limit = rows[0]?.override ?? quota.limit(config);
  if ((rows[0]?.n ?? 0) >= limit) throw new QuotaExceededError(kind, limit, quota.setting);
}
