import { startOptions } from '../domain/consumer-selection.ts';
import type { PostgresConsumerEvent, PostgresConsumerSettings, StartAt } from '../domain/postgres-consumers/events.ts';
import { defineProjection } from './read-model-projection.ts';
import { messageColumns } from './message-columns.ts';

const settingsColumns = (s: PostgresConsumerSettings) => [
  s.name,
  s.connection.host,
  s.connection.port,
  s.connection.database,
  s.connection.user,
  s.connection.sslMode,
  s.connection.url,
  s.passwordSealed,
  s.passwordHint,
  s.table.schema,
  s.table.name,
  s.createTable,
  s.deletes,
  s.batchSize,
];

const startColumns = (start: StartAt) => {
  const { optStartTime, optStartIdx } = startOptions(start);
  return [start.deliverPolicy, optStartTime, optStartIdx, start.startIdx];
};

/**
 * PostgreSQL consumers' settings and their current start position. A read model only: the sink
 * runner creates and owns the runtime row (position, status); it moves the position when
 * `reset_count` exceeds the count it last applied.
 */
export const postgresConsumersProjection = defineProjection<PostgresConsumerEvent>({
  name: 'postgres_consumers',
  tables: ['postgres_consumers'],
  eventTypes: ['PostgresConsumerCreated', 'PostgresConsumerUpdated', 'PostgresConsumerReset', 'PostgresConsumerDeleted'],
  async apply(events, db) {
    for (const event of events) {
      switch (event.type) {
        case 'PostgresConsumerCreated': {
          const d = event.data;
          await db.query(
            `INSERT INTO postgres_consumers (id, account_id, stream_id, sync_id, collection_ids, provider,
               name, host, port, database, db_user, ssl_mode, connection_url, password_encrypted, password_hint,
               table_schema, table_name, create_table, deletes, batch_size,
               deliver_policy, opt_start_time, opt_start_idx, start_idx, created_at, updated_at, message_kind, event_actions, event_changed_fields)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $25, $26, $27, $28)`,
            [
              d.consumerId,
              d.accountId,
              d.selection.streamId,
              d.selection.syncId,
              d.selection.collectionIds,
              d.selection.provider,
              ...settingsColumns(d),
              ...startColumns(d.start),
              d.createdAt,
              ...messageColumns(d),
            ],
          );
          break;
        }
        case 'PostgresConsumerUpdated': {
          const d = event.data;
          await db.query(
            `UPDATE postgres_consumers SET name = $2, host = $3, port = $4, database = $5, db_user = $6, ssl_mode = $7, connection_url = $8,
               password_encrypted = $9, password_hint = $10, table_schema = $11, table_name = $12, create_table = $13, deletes = $14,
               batch_size = $15, generation = generation + 1, updated_at = $16
             WHERE id = $1`,
            [d.consumerId, ...settingsColumns(d), d.updatedAt],
          );
          break;
        }
        case 'PostgresConsumerReset': {
          const d = event.data;
          await db.query(
            `UPDATE postgres_consumers SET deliver_policy = $2, opt_start_time = $3, opt_start_idx = $4, start_idx = $5,
               reset_count = reset_count + 1, generation = generation + 1, updated_at = $6
             WHERE id = $1`,
            [d.consumerId, ...startColumns(d.start), d.resetAt],
          );
          break;
        }
        case 'PostgresConsumerDeleted':
          await db.query('DELETE FROM postgres_consumers WHERE id = $1', [event.data.consumerId]);
          break;
      }
    }
  },
});
