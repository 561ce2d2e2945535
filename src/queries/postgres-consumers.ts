import type { AppContext, Principal } from '../app-context.ts';
import { findPostgresConsumer } from '../commands/postgres-consumers.ts';
import { currentHint } from '../crypto/secret-box.ts';
import type { DeliverPolicy } from '../domain/consumer-selection.ts';
import type { PostgresDeletes, PostgresSslMode } from '../domain/postgres-consumers/events.ts';
import type { PostgresConsumer } from '../generated/prisma/client.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';

/** The connection as answered: the password only as a hint and a flag. */
function presentConnection(consumer: PostgresConsumer) {
  return {
    url: consumer.connectionUrl,
    host: consumer.host,
    port: consumer.port,
    database: consumer.database,
    user: consumer.dbUser,
    ssl: consumer.sslMode !== 'disable',
    ssl_mode: consumer.sslMode as PostgresSslMode,
    password: consumer.passwordHint === null ? null : currentHint(consumer.passwordHint),
    has_password: consumer.passwordEncrypted !== null,
  };
}

/** A PostgreSQL consumer's settings (REST). The runner's status (position, lag, last error) is added where the runner is wired in. */
export function presentPostgresConsumer(consumer: PostgresConsumer) {
  return {
    id: consumer.id,
    name: consumer.name,
    stream_id: consumer.streamId,
    sync_id: consumer.syncId,
    collection_ids: consumer.collectionIds && consumer.collectionIds.length > 0 ? consumer.collectionIds : null,
    provider: consumer.provider,
    deliver_policy: consumer.deliverPolicy as DeliverPolicy,
    opt_start_time: consumer.optStartTime?.toISOString() ?? null,
    opt_start_idx: consumer.optStartIdx === null ? null : Number(consumer.optStartIdx),
    start_idx: Number(consumer.startIdx),
    reset_count: consumer.resetCount,
    connection: presentConnection(consumer),
    table: `${consumer.tableSchema}.${consumer.tableName}`,
    create_table: consumer.createTable,
    deletes: consumer.deletes as PostgresDeletes,
    batch_size: consumer.batchSize,
    created_at: consumer.createdAt.toISOString(),
    updated_at: consumer.updatedAt.toISOString(),
  };
}

export async function getPostgresConsumer(ctx: AppContext, principal: Principal, idOrName: string) {
  return presentPostgresConsumer(await findPostgresConsumer(ctx, principal, idOrName));
}

export async function listPostgresConsumers(ctx: AppContext, principal: Principal, page: PageInput) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.postgresConsumer.findMany({ ...args, where: { ...args.where, accountId: principal.accountId } });
  return toPage(rows, page, presentPostgresConsumer);
}
