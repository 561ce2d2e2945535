import type { AccountEvent } from '../domain/accounts/events.ts';
import { defineProjection } from './read-model-projection.ts';

export const accountsProjection = defineProjection<AccountEvent>({
  name: 'accounts',
  tables: ['api_tokens', 'accounts'],
  eventTypes: ['AccountCreated', 'ApiTokenCreated', 'ApiTokenRevoked'],
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
      }
    }
  },
});
