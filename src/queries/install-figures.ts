/**
 * Install-wide figures for `/metrics` (docs/OPERATIONS.md): every sync and every consumer at
 * once, from the same read models and status queries the status endpoints answer, so both always
 * show the same numbers. A fixed number of statements whatever the number of syncs and consumers.
 * Records per collection are left out: counting them scans the records table (the status
 * endpoint counts one sync's).
 */
import type { AppContext } from '../app-context.ts';
import { consumerCounts } from '../consumers/http/delivery.ts';
import { toDeliveryConsumer } from '../consumers/http/delivery-consumer.ts';
import { sinkStatusInputOf, type SinkConsumerRow } from '../consumers/sinks/consumer-row.ts';
import type { SinkKindName, SinkState } from '../consumers/sinks/sink.ts';
import { sinkStatuses } from '../consumers/sinks/status.ts';
import { syncState, type SyncState } from './syncs.ts';

export interface CollectionFigures {
  collectionId: string;
  requestsMade: number;
  deleteDetectionRequests: number;
  changesFetched: number;
  backfillDone: boolean;
  backfillRecords: number;
  /** The upstream's count of the collection, when it tells one. */
  backfillTotal: number | null;
}

export interface SyncFigures {
  syncId: string;
  state: SyncState;
  requestsMade: number;
  rateLimitWaitMs: number;
  retries: number;
  lastPollAt: Date | null;
  collections: CollectionFigures[];
}

export type ConsumerKind = 'http' | SinkKindName;

export interface ConsumerFigures {
  consumerId: string;
  kind: ConsumerKind;
  /** Push consumers' runner state; HTTP consumers have none (their callers pull). */
  state: SinkState | null;
  /** Messages still to deliver: `num_pending` of an HTTP consumer, `lag` of a push consumer. */
  pending: number;
  /** Seconds since the oldest record still to deliver was written (push consumers). */
  lagSeconds: number | null;
  /** Messages leased and not acked yet (HTTP consumers). */
  ackPending: number | null;
  /** Dead letters kept: an HTTP consumer's dead leases, a push consumer's sink_dead_letters. */
  deadLetters: number;
  /** Records delivered so far (push consumers). */
  delivered: number | null;
}

type SyncRow = { id: string; paused: boolean; last_error: unknown; requests_made: string | null; rate_limit_wait_ms: string | null; retries: string | null; last_poll_at: Date | null };
type CollectionRow = {
  sync_id: string;
  collection_id: string;
  backfill_done: boolean;
  backfill_records: number;
  total_count: number | null;
  changes_fetched: number;
  requests_made: string;
  delete_detection_requests: string;
};

/** Every sync's status figures (as `GET /v1/syncs/{id}/status` answers them): two statements. */
export async function allSyncFigures(ctx: AppContext): Promise<SyncFigures[]> {
  const [syncs, collections] = await Promise.all([
    ctx.pool.query<SyncRow>(
      `SELECT s.id, s.paused, s.last_error, rt.requests_made, rt.rate_limit_wait_ms, rt.retries, rt.last_poll_at
       FROM syncs s LEFT JOIN sync_runtime rt ON rt.sync_id = s.id`,
    ),
    ctx.pool.query<CollectionRow>(
      `SELECT c.sync_id, c.collection_id, c.backfill_done, c.backfill_records, c.total_count, c.changes_fetched,
              COALESCE(t.requests_made, 0) AS requests_made, COALESCE(t.delete_detection_requests, 0) AS delete_detection_requests
       FROM sync_collections c LEFT JOIN sync_collection_runtime t USING (sync_id, collection_id)`,
    ),
  ]);
  const collectionsOf = new Map<string, CollectionRow[]>();
  for (const row of collections.rows) {
    const list = collectionsOf.get(row.sync_id) ?? [];
    list.push(row);
    collectionsOf.set(row.sync_id, list);
  }
  return syncs.rows.map((sync) => {
    const rows = collectionsOf.get(sync.id) ?? [];
    return {
      syncId: sync.id,
      state: syncState({ paused: sync.paused, lastError: sync.last_error === null ? null : {} }, rows.map((c) => ({ backfillDone: c.backfill_done }))),
      requestsMade: Number(sync.requests_made ?? 0),
      rateLimitWaitMs: Number(sync.rate_limit_wait_ms ?? 0),
      retries: Number(sync.retries ?? 0),
      lastPollAt: sync.last_poll_at,
      collections: rows.map((c) => ({
        collectionId: c.collection_id,
        requestsMade: Number(c.requests_made),
        deleteDetectionRequests: Number(c.delete_detection_requests),
        changesFetched: c.changes_fetched,
        backfillDone: c.backfill_done,
        backfillRecords: c.backfill_records,
        backfillTotal: c.total_count,
      })),
    };
  });
}

/** The columns a status needs of a push consumer's row (no secret, no target settings). */
const sinkRowColumns = { id: true, accountId: true, name: true, generation: true, streamId: true, syncId: true, collectionIds: true, provider: true, startIdx: true, resetCount: true, messageKind: true, eventActions: true, eventChangedFields: true } as const;

/**
 * Every consumer's figures, of every kind: HTTP consumers' counts (`consumerCounts`, as their
 * `num_*` fields) and push consumers' status (`sinkStatuses`, as their `state`, `lag`,
 * `lag_seconds`) with their dead letters counted. Seven statements.
 */
export async function allConsumerFigures(ctx: AppContext): Promise<ConsumerFigures[]> {
  const [http, nats, webhook, postgres, dead] = await Promise.all([
    ctx.prisma.httpConsumer.findMany(),
    ctx.prisma.natsConsumer.findMany({ select: sinkRowColumns }),
    ctx.prisma.webhookConsumer.findMany({ select: sinkRowColumns }),
    ctx.prisma.postgresConsumer.findMany({ select: sinkRowColumns }),
    ctx.pool.query<{ consumer_id: string; dead: string }>(`SELECT consumer_id, count(*) AS dead FROM sink_dead_letters GROUP BY consumer_id`),
  ]);
  const pushRows: [SinkKindName, SinkConsumerRow][] = [
    ...nats.map((row) => ['nats', row] as [SinkKindName, SinkConsumerRow]),
    ...webhook.map((row) => ['webhook', row] as [SinkKindName, SinkConsumerRow]),
    ...postgres.map((row) => ['postgres', row] as [SinkKindName, SinkConsumerRow]),
  ];
  const [counts, statuses] = await Promise.all([
    consumerCounts(ctx.pool, http.map(toDeliveryConsumer)),
    sinkStatuses(ctx, pushRows.map(([, row]) => sinkStatusInputOf(row))),
  ]);
  const deadOf = new Map(dead.rows.map((row) => [row.consumer_id, Number(row.dead)]));
  const figures: ConsumerFigures[] = http.map((consumer) => {
    const count = counts.get(consumer.id);
    return {
      consumerId: consumer.id,
      kind: 'http',
      state: null,
      pending: count?.numPending ?? 0,
      lagSeconds: null,
      ackPending: count?.numAckPending ?? 0,
      deadLetters: count?.numDead ?? 0,
      delivered: null,
    };
  });
  for (const [kind, row] of pushRows) {
    const status = statuses.get(row.id);
    if (!status) continue;
    figures.push({
      consumerId: row.id,
      kind,
      state: status.state,
      pending: status.lag,
      lagSeconds: status.lagSeconds,
      ackPending: null,
      deadLetters: deadOf.get(row.id) ?? 0,
      delivered: status.deliveredCount,
    });
  }
  return figures;
}
