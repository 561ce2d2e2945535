import { currentHints } from '../crypto/secret-box.ts';
import type { CredentialEvent } from '../domain/credentials/events.ts';
import { defineProjection } from './read-model-projection.ts';

export const credentialsProjection = defineProjection<CredentialEvent>({
  name: 'credentials',
  tables: ['credentials'],
  eventTypes: ['CredentialAdded', 'CredentialUpdated', 'CredentialTokensRefreshed', 'CredentialDeleted'],
  async apply(events, db) {
    for (const event of events) {
      if (event.type === 'CredentialDeleted') {
        await db.query('DELETE FROM credentials WHERE id = $1', [event.data.credentialId]);
        continue;
      }
      if (event.type === 'CredentialTokensRefreshed') {
        // Not a new version of the credential: runs keep going (the scheduler restarts syncs on updated_at).
        await db.query('UPDATE credentials SET secrets_encrypted = $2, secret_hints = $3, metadata = $4 WHERE id = $1', [
          event.data.credentialId,
          event.data.secretsSealed,
          currentHints(event.data.secretHints),
          event.data.metadata,
        ]);
        continue;
      }
      const d = event.data;
      const at = event.type === 'CredentialAdded' ? event.data.addedAt : event.data.updatedAt;
      await db.query(
        `INSERT INTO credentials (id, account_id, kind, name, oauth_app_id, api_base_url, metadata, secrets_encrypted, secret_hints, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, oauth_app_id = EXCLUDED.oauth_app_id,
           api_base_url = EXCLUDED.api_base_url, metadata = EXCLUDED.metadata, secrets_encrypted = EXCLUDED.secrets_encrypted,
           secret_hints = EXCLUDED.secret_hints, updated_at = EXCLUDED.updated_at`,
        [d.credentialId, d.accountId, d.kind, d.name, d.oauthAppId, d.apiBaseUrl, d.metadata, d.secretsSealed, currentHints(d.secretHints), at],
      );
    }
  },
});
