import type { AppContext, Principal } from '../app-context.ts';
import { findNatsConsumer } from '../commands/nats-consumers.ts';
import type { NatsSecrets } from '../domain/nats-consumers/events.ts';
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

/** Checkpoint, health and lag of a consumer's publisher (one query). */
export async function natsConsumerStatus(ctx: AppContext, consumer: Pick<NatsConsumer, 'id' | 'streamId' | 'syncId'>): Promise<NatsConsumerStatus> {
  const { rows } = await ctx.pool.query<{
    last_published_idx: string;
    connection_state: NatsConnectionState;
    last_error: { message: string; at: string } | null;
    messages_published: string;
    last_published_at: Date | null;
    lag: string;
  }>(
    `SELECT rt.last_published_idx, rt.connection_state, rt.last_error, rt.messages_published, rt.last_published_at,
       (SELECT count(*) FROM records r
        WHERE r.stream_id = $2 AND ($3::uuid IS NULL OR r.sync_id = $3) AND r.updated_idx > rt.last_published_idx) AS lag
     FROM nats_consumer_runtime rt WHERE rt.consumer_id = $1`,
    [consumer.id, consumer.streamId, consumer.syncId],
  );
  const row = rows[0];
  if (!row) return { lastPublishedIdx: 0, lag: 0, lastError: null, connectionState: 'connecting', messagesPublished: 0, lastPublishedAt: null };
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

export async function presentNatsConsumer(ctx: AppContext, consumer: NatsConsumer) {
  const status = await natsConsumerStatus(ctx, consumer);
  return {
    id: consumer.id,
    name: consumer.name,
    stream_id: consumer.streamId,
    sync_id: consumer.syncId,
    subject_prefix: consumer.subjectPrefix,
    deliver_policy: consumer.deliverPolicy,
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

export async function getNatsConsumer(ctx: AppContext, principal: Principal, id: string) {
  return presentNatsConsumer(ctx, await findNatsConsumer(ctx, principal, id));
}

export async function listNatsConsumers(ctx: AppContext, principal: Principal, page: PageInput) {
  const args = keysetArgs(page);
  const rows = await ctx.prisma.natsConsumer.findMany({ ...args, where: { ...args.where, accountId: principal.accountId } });
  const result = toPage(rows, page, (row) => row);
  return { data: await Promise.all(result.data.map((c) => presentNatsConsumer(ctx, c))), next_cursor: result.next_cursor };
}
