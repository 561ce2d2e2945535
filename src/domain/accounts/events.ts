import type { Event } from '@event-driven-io/emmett';

export type AccountCreated = Event<'AccountCreated', { accountId: string; name: string; isRoot: boolean; createdAt: string }>;
export type ApiTokenCreated = Event<
  'ApiTokenCreated',
  { accountId: string; tokenId: string; name: string; tokenHash: string; prefix: string; createdAt: string }
>;
export type ApiTokenRevoked = Event<'ApiTokenRevoked', { accountId: string; tokenId: string; revokedAt: string }>;

export type AccountEvent = AccountCreated | ApiTokenCreated | ApiTokenRevoked;
