import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext, Principal } from '../app-context.ts';
import { UnprocessableError, type ErrorDetail } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { messageShapeOf, RECORD_MESSAGES, type EventAction, type MessageShape } from '../domain/change-events.ts';

/**
 * A consumer a caller waits for: HTTP consumers ack; push consumers (NATS, webhook, PostgreSQL)
 * count once their sink runner's position passed the version (the target confirmed it).
 */
export interface AwaitedConsumer {
  id: string;
  kind: 'http' | 'push';
  streamId: string;
  syncId: string | null;
  collectionIds: string[] | null;
  provider: string | null;
  /** Push consumers: records, or change events and their filters. */
  message: MessageShape;
}

/** Record versions in one sync's stream. */
export interface AwaitedVersions {
  streamId: string;
  syncId: string;
  versions: { collectionId: string; upstreamId: string; updatedIdx: number }[];
}

const POLL_MS = 100;

/** The account's consumers named by `ids`; an unknown one is refused (422) with its path. */
export async function resolveAwaitedConsumers(ctx: AppContext, principal: Principal, ids: readonly string[], path: string): Promise<AwaitedConsumer[]> {
  const uuids = ids.filter(isUuid).map((id) => id.toLowerCase());
  const where = { id: { in: uuids }, accountId: principal.accountId };
  const select = { id: true, streamId: true, syncId: true, collectionIds: true, provider: true, messageKind: true, eventActions: true, eventChangedFields: true } as const;
  const [http, nats, webhook, postgres] = await Promise.all([
    ctx.prisma.httpConsumer.findMany({ where, select }),
    ctx.prisma.natsConsumer.findMany({ where, select }),
    ctx.prisma.webhookConsumer.findMany({ where, select }),
    ctx.prisma.postgresConsumer.findMany({ where, select }),
  ]);
  const found = new Map<string, AwaitedConsumer>([
    ...http.map((c) => [c.id, { id: c.id, kind: 'http', ...filterOf(c), message: RECORD_MESSAGES }] as const),
    ...[...nats, ...webhook, ...postgres].map((c) => [c.id, { id: c.id, kind: 'push', ...filterOf(c), message: messageOf(c) }] as const),
  ]);
  const missing: ErrorDetail[] = ids.flatMap((id, i) => (found.has(id.toLowerCase()) ? [] : [{ path: `${path}[${i}]`, message: `no consumer ${id} in this account` }]));
  if (missing.length > 0) throw new UnprocessableError('consumer_not_found', 'unknown consumer to await', missing);
  return [...new Set(ids.map((id) => id.toLowerCase()))].map((id) => found.get(id)!);
}

type ConsumerFilterRow = { streamId: string; syncId: string | null; collectionIds: string[]; provider: string | null };

const filterOf = (c: ConsumerFilterRow) => ({
  streamId: c.streamId,
  syncId: c.syncId,
  collectionIds: c.collectionIds.length > 0 ? c.collectionIds : null,
  provider: c.provider,
});

const messageOf = (c: { messageKind: string; eventActions: string[]; eventChangedFields: string[] }): MessageShape =>
  messageShapeOf({
    messageKind: c.messageKind === 'event' ? 'event' : 'record',
    eventActions: c.eventActions.length > 0 ? (c.eventActions as EventAction[]) : null,
    eventChangedFields: c.eventChangedFields.length > 0 ? c.eventChangedFields : null,
  });

/** The versions a consumer will ever see: the others count as done at once. */
function seenBy(consumer: AwaitedConsumer, target: AwaitedVersions) {
  if (consumer.streamId !== target.streamId || (consumer.syncId && consumer.syncId !== target.syncId)) return [];
  return target.versions.filter(
    (v) => (!consumer.collectionIds || consumer.collectionIds.includes(v.collectionId)) && (!consumer.provider || v.collectionId.startsWith(`${consumer.provider}:`)),
  );
}

/**
 * An HTTP consumer is done with a version once its cursor passed it and no live lease holds that
 * version or an older one of the record (a newer version in flight supersedes it; a dead-lettered
 * one is dropped). A push consumer is done once its runner's position passed it: NATS published
 * it, a webhook receiver answered 2xx, the PostgreSQL target committed it (or, for webhooks, it
 * became a dead letter). A push consumer of change events sees only the versions its filters let
 * through: its position may stay behind the others for good.
 */
async function hasSeenAll(ctx: AppContext, consumer: AwaitedConsumer, target: AwaitedVersions): Promise<boolean> {
  const versions = seenBy(consumer, target);
  if (versions.length === 0) return true;
  if (consumer.kind === 'push' && consumer.message.messageKind === 'event') {
    const { rows } = await ctx.pool.query<{ behind: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM record_versions r
         WHERE r.stream_id = $2 AND r.updated_idx = ANY($3::bigint[]) AND syncline_event_matches(r.action, r.changes, $4, $5)
           AND r.updated_idx > COALESCE((SELECT position FROM sink_runtime WHERE consumer_id = $1), -1)
       ) AS behind`,
      [consumer.id, target.streamId, versions.map((v) => v.updatedIdx), consumer.message.eventActions, consumer.message.eventChangedFields],
    );
    return rows[0]?.behind === false;
  }
  if (consumer.kind === 'push') {
    const runtime = await ctx.prisma.sinkRuntime.findUnique({ where: { consumerId: consumer.id }, select: { position: true } });
    return runtime !== null && runtime.position >= BigInt(Math.max(...versions.map((v) => v.updatedIdx)));
  }
  const { rows } = await ctx.pool.query<{ behind: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM unnest($3::text[], $4::text[], $5::bigint[]) AS v(collection_id, upstream_id, idx)
       WHERE COALESCE((SELECT cursor FROM consumer_cursors WHERE consumer_id = $1), -1) < v.idx
          OR EXISTS (SELECT 1 FROM consumer_lease_entries l
                     WHERE l.consumer_id = $1 AND l.sync_id = $2 AND l.collection_id = v.collection_id AND l.upstream_id = v.upstream_id
                       AND NOT l.dead AND l.updated_idx <= v.idx)
     ) AS behind`,
    [consumer.id, target.syncId, versions.map((v) => v.collectionId), versions.map((v) => v.upstreamId), versions.map((v) => v.updatedIdx)],
  );
  return rows[0]?.behind === false;
}

/** Waits up to `timeoutMs` for every consumer to be done with the versions; tells which were. */
export async function awaitConsumers(
  ctx: AppContext,
  consumers: readonly AwaitedConsumer[],
  target: AwaitedVersions,
  timeoutMs: number,
): Promise<{ consumerId: string; acked: boolean }[]> {
  const deadline = Date.now() + timeoutMs;
  const done = new Set<string>();
  for (;;) {
    for (const consumer of consumers) if (!done.has(consumer.id) && (await hasSeenAll(ctx, consumer, target))) done.add(consumer.id);
    if (done.size === consumers.length || Date.now() >= deadline) break;
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
  return consumers.map((c) => ({ consumerId: c.id, acked: done.has(c.id) }));
}
