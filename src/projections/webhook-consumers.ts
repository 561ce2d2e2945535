import { currentHint, currentHints } from '../crypto/secret-box.ts';
import { startOptions, type StartPosition } from '../domain/consumer-selection.ts';
import type { WebhookConsumerEvent, WebhookConsumerSettings } from '../domain/webhook-consumers/events.ts';
import { defineProjection } from './read-model-projection.ts';
import { messageColumns } from './message-columns.ts';

const settingsColumns = (s: WebhookConsumerSettings) => [
  s.name,
  s.url,
  s.headersSealed,
  currentHints(s.headerHints),
  s.batchSize,
  s.timeoutMs,
  s.maxDeliver,
  s.retryWindowMs,
  s.maxInFlight,
];

const startColumns = (start: StartPosition, startIdx: string) => {
  const { optStartTime, optStartIdx } = startOptions(start);
  return [start.deliverPolicy, optStartTime, optStartIdx, startIdx];
};

/**
 * Webhook consumer settings (a read model only): the sink runner reads them, and keeps the
 * position, retries, dead letters and delivery log in tables it owns. `generation` moves with
 * every change a running runner must restart for; `reset_count` tells it a reset happened.
 */
export const webhookConsumersProjection = defineProjection<WebhookConsumerEvent>({
  name: 'webhook_consumers',
  tables: ['webhook_consumers'],
  eventTypes: ['WebhookConsumerCreated', 'WebhookConsumerUpdated', 'WebhookConsumerSecretRotated', 'WebhookConsumerReset', 'WebhookConsumerDeleted'],
  async apply(events, db) {
    for (const event of events) {
      switch (event.type) {
        case 'WebhookConsumerCreated': {
          const d = event.data;
          await db.query(
            `INSERT INTO webhook_consumers (id, account_id, stream_id, sync_id, collection_ids, provider,
               name, url, headers_encrypted, header_hints, batch_size, timeout_ms, max_deliver, retry_window_ms, max_in_flight,
               deliver_policy, opt_start_time, opt_start_idx, start_idx, secret_encrypted, secret_hint, created_at, updated_at,
               message_kind, event_actions, event_changed_fields)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22, $23, $24, $25)`,
            [
              d.consumerId,
              d.accountId,
              d.streamId,
              d.syncId,
              d.collectionIds ?? [],
              d.provider,
              ...settingsColumns(d),
              ...startColumns(d.start, d.startIdx),
              d.secretSealed,
              currentHint(d.secretHint),
              d.createdAt,
              ...messageColumns(d),
            ],
          );
          break;
        }
        case 'WebhookConsumerUpdated': {
          const d = event.data;
          await db.query(
            `UPDATE webhook_consumers SET name = $2, url = $3, headers_encrypted = $4, header_hints = $5, batch_size = $6, timeout_ms = $7,
               max_deliver = $8, retry_window_ms = $9, max_in_flight = $10, generation = generation + 1, updated_at = $11
             WHERE id = $1`,
            [d.consumerId, ...settingsColumns(d), d.updatedAt],
          );
          break;
        }
        case 'WebhookConsumerSecretRotated': {
          const d = event.data;
          await db.query(
            `UPDATE webhook_consumers SET secret_encrypted = $2, secret_hint = $3, previous_secret_encrypted = $4, previous_secret_valid_until = $5,
               generation = generation + 1, updated_at = $6
             WHERE id = $1`,
            [d.consumerId, d.secretSealed, currentHint(d.secretHint), d.previousSecretSealed, d.previousValidUntil, d.rotatedAt],
          );
          break;
        }
        case 'WebhookConsumerReset': {
          const d = event.data;
          await db.query(
            `UPDATE webhook_consumers SET deliver_policy = $2, opt_start_time = $3, opt_start_idx = $4, start_idx = $5,
               reset_count = reset_count + 1, generation = generation + 1, updated_at = $6
             WHERE id = $1`,
            [d.consumerId, ...startColumns(d.start, d.startIdx), d.resetAt],
          );
          break;
        }
        case 'WebhookConsumerDeleted':
          await db.query('DELETE FROM webhook_consumers WHERE id = $1', [event.data.consumerId]);
          break;
      }
    }
  },
});
