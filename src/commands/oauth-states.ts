import type { AppContext } from '../app-context.ts';

/**
 * Marks an OAuth connect state as used: true the first time (in any process sharing the
 * database), false when it was used already. Used states past their expiry are dropped on the way
 * (an expired state is refused before it gets here).
 */
export async function useOAuthState(ctx: AppContext, nonce: string, expiresAt: Date): Promise<boolean> {
  await ctx.pool.query('DELETE FROM oauth_states_used WHERE expires_at < $1', [ctx.now()]);
  const inserted = await ctx.pool.query('INSERT INTO oauth_states_used (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING', [nonce, expiresAt]);
  return inserted.rowCount === 1;
}
