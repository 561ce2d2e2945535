import type { AccountEvent } from '../domain/accounts/events.ts';
import { defineProjection } from './read-model-projection.ts';

export const accountsProjection = defineProjection<AccountEvent>({
  name: 'accounts',
  tables: ['api_tokens', 'accounts', 'account_limits'],
  eventTypes: ['AccountCreated', 'ApiTokenCreated', 'ApiTokenRevoked', 'AccountLimitsSet'],
  async apply(events, db) {
    for (const { type, data } of events) {
      switch (type) {
        case 'AccountCreated':
          await db.query('INSERT INTO accounts (id, name, is_root, created_at) VALUES ($1, $2, $3, $4)', [
            data.accountId,
            data.name,
            data.isRoot,
            data.createdAt,
          ]);
          break;
        case 'ApiTokenCreated':
          await db.query(
            'INSERT INTO api_tokens (id, account_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
            [data.tokenId, data.accountId, data.name, data.tokenHash, data.prefix, data.createdAt],
          );
          break;
        case 'ApiTokenRevoked':
          await db.query('UPDATE api_tokens SET revoked_at = $2 WHERE id = $1', [data.tokenId, data.revokedAt]);
          break;
        case 'AccountLimitsSet':
          await db.query(
            `INSERT INTO account_limits (account_id, max_syncs, max_consumers, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id) DO UPDATE SET max_syncs = EXCLUDED.max_syncs, max_consumers = EXCLUDED.max_consumers, updated_at = EXCLUDED.updated_at`,
            [data.accountId, data.limits.maxSyncs, data.limits.maxConsumers, data.setAt],
          );
          break;
      }
    }
  },
});
