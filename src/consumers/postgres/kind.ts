import type { AppContext } from '../../app-context.ts';
import type { PostgresDeletes, PostgresSslMode, PostgresTableName } from '../../domain/postgres-consumers/events.ts';
import type { PostgresConsumer } from '../../generated/prisma/client.ts';
import { egressPolicy } from '../../net/egress-policy.ts';
import type { SinkConsumer, SinkKind } from '../sinks/sink.ts';
import type { RecordRow } from '../../projections/record-row.ts';
import { sinkConsumerBase } from '../sinks/consumer-row.ts';
import { recordOrEventRows } from '../sinks/event-sources.ts';
import type { PostgresTarget } from './target.ts';
import { PostgresSinkWriter } from './writer.ts';

/** A PostgreSQL consumer as the sink runner sees it: the common settings, and where and how it writes. */
export interface PostgresSinkConsumer extends SinkConsumer {
  kind: 'postgres';
  connection: PostgresTarget['connection'];
  /** Sealed (src/crypto/secret-box.ts); opened only when the writer is. */
  passwordSealed: string | null;
  table: PostgresTableName;
  deletes: PostgresDeletes;
}

export function postgresSinkConsumer(row: PostgresConsumer): PostgresSinkConsumer {
  return {
    ...sinkConsumerBase('postgres', row),
    batchSize: row.batchSize,
    // One batch at a time, in stream order; the idx guard would keep versions in order anyway.
    maxInFlight: 1,
    // Never dead-lettered: a target that is down or refuses is retried until it takes the batch (issue 23).
    maxDeliver: -1,
    retryWindowMs: null,
    connection: { host: row.host, port: row.port, database: row.database, user: row.dbUser, sslMode: row.sslMode as PostgresSslMode },
    passwordSealed: row.passwordEncrypted,
    table: { schema: row.tableSchema, name: row.tableName },
    deletes: row.deletes as PostgresDeletes,
  };
}

/** The PostgreSQL kind of push consumer, for the sink supervisor. */
export const postgresSinkKind: SinkKind<PostgresSinkConsumer, RecordRow> = {
  records: recordOrEventRows,
  name: 'postgres',
  async listConsumers(ctx: AppContext) {
    const rows = await ctx.prisma.postgresConsumer.findMany({ orderBy: { id: 'asc' } });
    return rows.map(postgresSinkConsumer);
  },
  async openWriter(ctx: AppContext, consumer: PostgresSinkConsumer) {
    return new PostgresSinkWriter({
      consumerId: consumer.id,
      target: {
        connection: consumer.connection,
        password: consumer.passwordSealed === null ? null : ctx.secretBox.open(consumer.passwordSealed),
        table: consumer.table,
      },
      deletes: consumer.deletes,
      messageKind: consumer.message.messageKind,
      policy: egressPolicy(ctx.config),
    });
  },
};
