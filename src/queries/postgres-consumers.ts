import { presentMessageShape } from './message-shape.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { findPostgresConsumer } from '../commands/postgres-consumers.ts';
import { listSinkDeliveries } from '../consumers/sinks/deliveries.ts';
import { sinkStatusInputOf } from '../consumers/sinks/consumer-row.ts';
import { sinkStatuses, type SinkStatus } from '../consumers/sinks/status.ts';
import { currentHint } from '../crypto/secret-box.ts';
import type { DeliverPolicy } from '../domain/consumer-selection.ts';
import type { PostgresDeletes, PostgresSslMode } from '../domain/postgres-consumers/events.ts';
import type { PostgresConsumer } from '../generated/prisma/client.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';
import { presentDeliveryAttempt, presentSinkStatus } from './sink-logs.ts';

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

/** A PostgreSQL consumer as REST answers it: its settings and its runner's status. */
export function presentPostgresConsumer(consumer: PostgresConsumer, status: SinkStatus) {
  return {
    id: consumer.id,
    name: consumer.name,
    stream_id: consumer.streamId,
    sync_id: consumer.syncId,
    collection_ids: consumer.collectionIds && consumer.collectionIds.length > 0 ? consumer.collectionIds : null,
    provider: consumer.provider,
    ...presentMessageShape(consumer),
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
    ...presentSinkStatus(status),
    created_at: consumer.createdAt.toISOString(),
    updated_at: consumer.updatedAt.toISOString(),
  };
}

/** Consumers with their runners' status: one status statement for all of them. */
async function presentPostgresConsumers(ctx: AppContext, consumers: PostgresConsumer[]) {
  const statuses = await sinkStatuses(ctx, consumers.map(sinkStatusInputOf));
  return consumers.map((consumer) => presentPostgresConsumer(consumer, statuses.get(consumer.id)!));
}

export async function getPostgresConsumer(ctx: AppContext, principal: Principal, idOrName: string) {
  const [consumer] = await presentPostgresConsumers(ctx, [await findPostgresConsumer(ctx, principal, idOrName)]);
  return consumer!;
}

export async function listPostgresConsumers(ctx: AppContext, principal: Principal, page: PageInput) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.postgresConsumer.findMany({ ...args, where: { ...args.where, accountId: principal.accountId } });
  const result = toPage(rows, page, (row) => row);
  return { data: await presentPostgresConsumers(ctx, result.data), next_cursor: result.next_cursor };
}

/** The consumer's last attempts (at most 1,000), newest first; `batch_id` names the batch (one transaction in the target). */
export async function listPostgresDeliveries(ctx: AppContext, principal: Principal, idOrName: string, page: PageInput) {
  const consumer = await findPostgresConsumer(ctx, principal, idOrName);
  const { data, nextCursor } = await listSinkDeliveries(ctx, consumer.id, page);
  return { data: data.map((entry) => presentDeliveryAttempt(entry, 'batch_id')), next_cursor: nextCursor };
}
