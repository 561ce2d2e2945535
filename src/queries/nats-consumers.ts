import type { AppContext, Principal } from '../app-context.ts';
import { findNatsConsumer } from '../commands/nats-consumers.ts';
import type { NatsDeliverPolicy, NatsSecrets } from '../domain/nats-consumers/events.ts';
import type { NatsConsumer } from '../generated/prisma/client.ts';
import type { NatsConnectionState } from '../consumers/nats/runtime.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';

export interface NatsConsumerStatus {
  lastPublishedIdx: number;
  /** Records of the consumer's filter past the checkpoint: what is still to publish. */
  lag: number;
  lastError: { message: string; at: string } | null;
  connectionState: NatsConnectionState;
  messagesPublished: number;
  lastPublishedAt: string | null;
}

type StatusRow = {
  consumer_id: string;
  last_published_idx: string;
  connection_state: NatsConnectionState;
  last_error: { message: string; at: string } | null;
  messages_published: string;
  last_published_at: Date | null;
  lag: string;
};

/** Before its publisher first writes the runtime row. */
const NOT_STARTED: NatsConsumerStatus = { lastPublishedIdx: 0, lag: 0, lastError: null, connectionState: 'connecting', messagesPublished: 0, lastPublishedAt: null };

/**
 * Checkpoint, health and lag of the consumers' publishers, keyed by consumer id: one statement
 * for any number of consumers (a page of a list). Each lag is counted with the index that fits
 * its filter (the sync's records, or the whole stream's).
 */
export async function natsConsumerStatuses(
  ctx: AppContext,
  consumers: readonly Pick<NatsConsumer, 'id' | 'streamId' | 'syncId'>[],
): Promise<Map<string, NatsConsumerStatus>> {
  if (consumers.length === 0) return new Map();
  const { rows } = await ctx.pool.query<StatusRow>(
    `SELECT rt.consumer_id, rt.last_published_idx, rt.connection_state, rt.last_error, rt.messages_published, rt.last_published_at,
       CASE WHEN c.sync_id IS NULL
         THEN (SELECT count(*) FROM records r WHERE r.stream_id = c.stream_id AND r.updated_idx > rt.last_published_idx)
         ELSE (SELECT count(*) FROM records r WHERE r.sync_id = c.sync_id AND r.stream_id = c.stream_id AND r.updated_idx > rt.last_published_idx)
       END AS lag
     FROM jsonb_to_recordset($1::jsonb) AS c(id uuid, stream_id uuid, sync_id uuid)
     JOIN nats_consumer_runtime rt ON rt.consumer_id = c.id`,
    [JSON.stringify(consumers.map((c) => ({ id: c.id, stream_id: c.streamId, sync_id: c.syncId })))],
  );
  const byId = new Map(rows.map((row) => [row.consumer_id, row]));
  return new Map(consumers.map((c) => [c.id, statusFrom(byId.get(c.id))]));
}

function statusFrom(row: StatusRow | undefined): NatsConsumerStatus {
  if (!row) return NOT_STARTED;
  return {
    lastPublishedIdx: Number(row.last_published_idx),
    lag: Number(row.lag),
    lastError: row.last_error,
    connectionState: row.connection_state,
    messagesPublished: Number(row.messages_published),
    lastPublishedAt: row.last_published_at?.toISOString() ?? null,
  };
}

/** The nats settings as answered: secrets only as hints and `has_*` flags (like credentials). */
function presentNatsServer(consumer: NatsConsumer) {
  const hints = consumer.secretHints as NatsSecrets;
  return {
    host: consumer.natsHost,
    port: consumer.natsPort,
    tls: consumer.natsTls,
    user: consumer.natsUser,
    jwt: hints.jwt ?? null,
    nkey_seed: hints.nkey_seed ?? null,
    password: hints.password ?? null,
    token: hints.token ?? null,
    has_jwt: hints.jwt !== undefined,
    has_nkey_seed: hints.nkey_seed !== undefined,
    has_password: hints.password !== undefined,
    has_token: hints.token !== undefined,
  };
}

function presentNatsConsumer(consumer: NatsConsumer, status: NatsConsumerStatus) {
  return {
    id: consumer.id,
    name: consumer.name,
    stream_id: consumer.streamId,
    sync_id: consumer.syncId,
    collection_ids: consumer.collectionIds.length > 0 ? consumer.collectionIds : null,
    provider: consumer.provider,
    subject_prefix: consumer.subjectPrefix,
    deliver_policy: consumer.deliverPolicy as NatsDeliverPolicy,
    opt_start_time: consumer.optStartTime?.toISOString() ?? null,
    opt_start_idx: consumer.optStartIdx === null ? null : Number(consumer.optStartIdx),
    reset_count: consumer.resetCount,
    start_idx: Number(consumer.startIdx),
    nats: presentNatsServer(consumer),
    last_published_idx: status.lastPublishedIdx,
    lag: status.lag,
    last_error: status.lastError,
    connection_state: status.connectionState,
    messages_published: status.messagesPublished,
    last_published_at: status.lastPublishedAt,
    created_at: consumer.createdAt.toISOString(),
    updated_at: consumer.updatedAt.toISOString(),
  };
}

/** Consumers with their publishers' status: one status statement for all of them. */
async function presentNatsConsumers(ctx: AppContext, consumers: NatsConsumer[]) {
  const statuses = await natsConsumerStatuses(ctx, consumers);
  return consumers.map((consumer) => presentNatsConsumer(consumer, statuses.get(consumer.id)!));
}

export async function getNatsConsumer(ctx: AppContext, principal: Principal, id: string) {
  const [consumer] = await presentNatsConsumers(ctx, [await findNatsConsumer(ctx, principal, id)]);
  return consumer!;
}

export async function listNatsConsumers(ctx: AppContext, principal: Principal, page: PageInput) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.natsConsumer.findMany({ ...args, where: { ...args.where, accountId: principal.accountId } });
  const result = toPage(rows, page, (row) => row);
  return { data: await presentNatsConsumers(ctx, result.data), next_cursor: result.next_cursor };
}
