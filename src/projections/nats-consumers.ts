import { currentHints } from '../crypto/secret-box.ts';
import { startOptions } from '../domain/consumer-selection.ts';
import type { NatsConsumerEvent, NatsConsumerSettings } from '../domain/nats-consumers/events.ts';
import { defineProjection } from './read-model-projection.ts';
import { messageColumns } from './message-columns.ts';

const settingsColumns = (s: NatsConsumerSettings) => [
  s.name,
  s.syncId,
  s.subjectPrefix,
  s.nats.host,
  s.nats.port,
  s.nats.tls,
  s.nats.user,
  s.secretsSealed,
  currentHints(s.secretHints),
];

/**
 * NATS consumer settings, and where its sink runner starts (`start_idx`). The runner's own row
 * (`sink_runtime`: position, status) is operational state it owns (src/consumers/sinks/): created
 * by the runner, deleted by its supervisor once the consumer is gone, untouched by a rebuild. A
 * reset records the new start and counts itself (`reset_count`; `generation` restarts the runner),
 * and the runner moves its position (SinkConsumer.resetCount).
 */
export const natsConsumersProjection = defineProjection<NatsConsumerEvent>({
  name: 'nats_consumers',
  tables: ['nats_consumers'],
  eventTypes: ['NatsConsumerCreated', 'NatsConsumerUpdated', 'NatsConsumerDeleted', 'NatsConsumerReset'],
  async apply(events, db) {
    for (const event of events) {
      switch (event.type) {
        case 'NatsConsumerCreated': {
          const d = event.data;
          await db.query(
            `INSERT INTO nats_consumers (id, account_id, stream_id, deliver_policy, name, sync_id, subject_prefix, nats_host, nats_port, nats_tls,
               nats_user, secrets_encrypted, secret_hints, created_at, updated_at, collection_ids, provider, opt_start_time, opt_start_idx, start_idx,
               message_kind, event_actions, event_changed_fields)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
            [
              d.consumerId,
              d.accountId,
              d.streamId,
              d.deliverPolicy,
              ...settingsColumns(d),
              d.createdAt,
              d.collectionIds ?? [],
              d.provider ?? null,
              d.optStartTime ?? null,
              d.optStartIdx ?? null,
              d.startIdx,
              ...messageColumns(d),
            ],
          );
          break;
        }
        case 'NatsConsumerUpdated': {
          const d = event.data;
          await db.query(
            `UPDATE nats_consumers SET name = $2, sync_id = $3, subject_prefix = $4, nats_host = $5, nats_port = $6, nats_tls = $7, nats_user = $8,
               secrets_encrypted = $9, secret_hints = $10, generation = generation + 1, updated_at = $11
             WHERE id = $1`,
            [d.consumerId, ...settingsColumns(d), d.updatedAt],
          );
          break;
        }
        case 'NatsConsumerReset': {
          const d = event.data;
          const { optStartTime, optStartIdx } = startOptions(d);
          await db.query(
            `UPDATE nats_consumers SET deliver_policy = $2, opt_start_time = $3, opt_start_idx = $4, start_idx = $5, reset_count = $6,
               generation = generation + 1, updated_at = $7
             WHERE id = $1`,
            [d.consumerId, d.deliverPolicy, optStartTime, optStartIdx, d.startIdx, d.resetCount, d.resetAt],
          );
          break;
        }
        case 'NatsConsumerDeleted':
          await db.query('DELETE FROM nats_consumers WHERE id = $1', [event.data.consumerId]);
          break;
      }
    }
  },
});
