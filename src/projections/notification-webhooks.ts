import { currentHint } from '../crypto/secret-box.ts';
import type { NotificationWebhookEvent } from '../domain/notification-webhooks/events.ts';
import { defineProjection } from './read-model-projection.ts';

/** Each account's notification webhook (docs/OPERATIONS.md "Notifications"): URL and sealed signing secrets. */
export const notificationWebhooksProjection = defineProjection<NotificationWebhookEvent>({
  name: 'notification_webhooks',
  tables: ['notification_webhooks'],
  eventTypes: ['NotificationWebhookSet', 'NotificationWebhookUpdated', 'NotificationWebhookSecretRotated', 'NotificationWebhookRemoved'],
  async apply(events, db) {
    for (const event of events) {
      const d = event.data;
      switch (event.type) {
        case 'NotificationWebhookSet':
          await db.query(
            `INSERT INTO notification_webhooks (account_id, url, secret_encrypted, secret_hint, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (account_id) DO UPDATE SET url = $2, secret_encrypted = $3, secret_hint = $4, previous_secret_encrypted = NULL,
               previous_secret_valid_until = NULL, created_at = $5, updated_at = $5`,
            [d.accountId, event.data.url, event.data.secretSealed, currentHint(event.data.secretHint), d.at],
          );
          break;
        case 'NotificationWebhookUpdated':
          await db.query('UPDATE notification_webhooks SET url = $2, updated_at = $3 WHERE account_id = $1', [d.accountId, event.data.url, d.at]);
          break;
        case 'NotificationWebhookSecretRotated':
          await db.query(
            `UPDATE notification_webhooks SET secret_encrypted = $2, secret_hint = $3, previous_secret_encrypted = $4, previous_secret_valid_until = $5, updated_at = $6
             WHERE account_id = $1`,
            [d.accountId, event.data.secretSealed, currentHint(event.data.secretHint), event.data.previousSecretSealed, event.data.previousValidUntil, d.at],
          );
          break;
        case 'NotificationWebhookRemoved':
          await db.query('DELETE FROM notification_webhooks WHERE account_id = $1', [d.accountId]);
          break;
      }
    }
  },
});
