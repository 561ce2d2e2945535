import { presentMessageShape } from './message-shape.ts';
import type { AppContext, Principal } from '../app-context.ts';
import { findNatsConsumer } from '../commands/nats-consumers.ts';
import type { NatsDeliverPolicy, NatsSecrets } from '../domain/nats-consumers/events.ts';
import type { NatsConsumer } from '../generated/prisma/client.ts';
import type { NatsConnectionState } from '../consumers/nats/connection.ts';
import { toNatsSinkConsumer } from '../consumers/nats/sink-kind.ts';
import { sinkStatuses, type SinkStatus } from '../consumers/sinks/status.ts';
import { keysetArgs, toPage, type PageInput } from './pagination.ts';

export interface NatsConsumerStatus {
  lastPublishedIdx: number;
  /** Records of the consumer's filter past the checkpoint: what is still to publish. */
  lag: number;
  /** Seconds since the oldest record still to publish was written (0 when none). */
  lagSeconds: number;
  lastError: { message: string; at: string } | null;
  connectionState: NatsConnectionState;
  messagesPublished: number;
  lastPublishedAt: string | null;
}

/** Not a status the runner wrote (never answered: every consumer given gets a status). */
const NOT_STARTED: NatsConsumerStatus = { lastPublishedIdx: 0, lag: 0, lagSeconds: 0, lastError: null, connectionState: 'connecting', messagesPublished: 0, lastPublishedAt: null };

/**
 * Checkpoint, health and lag of the consumers' sink runners, keyed by consumer id: one statement
 * for any number of consumers (a page of a list).
 */
export async function natsConsumerStatuses(ctx: AppContext, consumers: readonly NatsConsumer[]): Promise<Map<string, NatsConsumerStatus>> {
  const statuses = await sinkStatuses(ctx, consumers.map(toNatsSinkConsumer));
  return new Map(consumers.map((c) => [c.id, statusFrom(statuses.get(c.id))]));
}

function statusFrom(status: SinkStatus | undefined): NatsConsumerStatus {
  if (!status) return NOT_STARTED;
  return {
    lastPublishedIdx: Number(status.position),
    lag: status.lag,
    lagSeconds: status.lagSeconds,
    lastError: status.lastError,
    connectionState: status.state,
    messagesPublished: status.deliveredCount,
    lastPublishedAt: status.lastDeliveredAt,
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
    ...presentMessageShape(consumer),
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
    // The status every push consumer answers (DESIGN.md §7b), beside the NATS names above.
    state: status.connectionState,
    lag_seconds: status.lagSeconds,
    last_delivered_at: status.lastPublishedAt,
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
