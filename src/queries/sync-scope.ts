/**
 * The operator override (issue 21, finding 2): the root token may inspect, pause and resume any
 * account's sync, so that an operator can stop a sync that harms the server whoever owns it.
 * Every other caller sees its own account's syncs only, and another account's id answers 404
 * exactly like an unknown one.
 */
import { z } from 'zod';
import type { Principal } from '../app-context.ts';
import { ForbiddenError, ValidationError } from '../errors.ts';

/** Prisma `where` for a sync looked up by id: any account's for root, the caller's own otherwise. */
export function syncVisibleTo(principal: Principal, id: string): { id: string; accountId?: string } {
  return principal.isRoot ? { id } : { id, accountId: principal.accountId };
}

/** The same rule for many syncs at once. */
export function syncsVisibleTo(principal: Principal, ids: string[]): { id: { in: string[] }; accountId?: string } {
  return principal.isRoot ? { id: { in: ids } } : { id: { in: ids }, accountId: principal.accountId };
}

/** `?account_id=` of a sync listing: an account's id, or `all`. */
export const accountIdFilter = z.union([z.literal('all'), z.string().uuid()]);

/**
 * Prisma `where` for a sync listing: the caller's account, or for root the account named by
 * `account_id` (`all`: every account). A non-root caller naming another account gets 403.
 */
export function syncListingScope(principal: Principal, requested: unknown): { accountId?: string } {
  if (requested === undefined || requested === principal.accountId) return { accountId: principal.accountId };
  const parsed = accountIdFilter.safeParse(requested);
  if (!parsed.success) throw new ValidationError('account_id must be an account id or "all"', [{ path: 'account_id', message: 'expected a uuid or "all"' }]);
  if (!principal.isRoot) throw new ForbiddenError('only the root token lists the syncs of other accounts');
  return parsed.data === 'all' ? {} : { accountId: parsed.data };
}
