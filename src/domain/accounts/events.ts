import type { Event } from '@event-driven-io/emmett';

export type AccountCreated = Event<'AccountCreated', { accountId: string; name: string; isRoot: boolean; createdAt: string }>;
export type ApiTokenCreated = Event<
  'ApiTokenCreated',
  { accountId: string; tokenId: string; name: string; tokenHash: string; prefix: string; createdAt: string }
>;
export type ApiTokenRevoked = Event<'ApiTokenRevoked', { accountId: string; tokenId: string; revokedAt: string }>;

/** The root token's override of the account's count limits; null: the operator's default. */
export type AccountLimits = { maxSyncs: number | null; maxConsumers: number | null };
export type AccountLimitsSet = Event<'AccountLimitsSet', { accountId: string; limits: AccountLimits; setAt: string }>;

export type AccountEvent = AccountCreated | ApiTokenCreated | ApiTokenRevoked | AccountLimitsSet;
