import { currentHint } from '../crypto/secret-box.ts';
import type { OAuthAppEvent } from '../domain/oauth-apps/events.ts';
import { defineProjection } from './read-model-projection.ts';

export const oauthAppsProjection = defineProjection<OAuthAppEvent>({
  name: 'oauth_apps',
  tables: ['oauth_apps'],
  eventTypes: ['OAuthAppCreated', 'OAuthAppDeleted'],
  async apply(events, db) {
    for (const { type, data } of events) {
      if (type === 'OAuthAppCreated') {
        await db.query(
          `INSERT INTO oauth_apps (id, account_id, provider, client_id, client_secret_encrypted, client_secret_hint, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [data.oauthAppId, data.accountId, data.provider, data.clientId, data.clientSecretSealed, currentHint(data.clientSecretHint), data.createdAt],
        );
      } else {
        await db.query('DELETE FROM oauth_apps WHERE id = $1', [data.oauthAppId]);
      }
    }
  },
});
