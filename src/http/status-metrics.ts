/**
 * The syncs' and consumers' figures on `/metrics` (docs/OPERATIONS.md): read at scrape time from
 * the read models the status endpoints answer (src/queries/install-figures.ts), once per scrape
 * whatever the number of series, so a metric and its status field never disagree and the runners
 * keep no metric state of their own.
 *
 * With `perSync` false (SYNCLINE_METRICS_PER_SYNC=false) the `sync_id` and `consumer_id` labels
 * are dropped and the series that shared the rest of their labels are added up (`max` for ages).
 */
import { Gauge, type Metric, type Registry } from 'prom-client';
import type { AppContext } from '../app-context.ts';
import type { Logger } from '../logger.ts';
import { allConsumerFigures, allSyncFigures, type ConsumerFigures, type SyncFigures } from '../queries/install-figures.ts';

interface Figures {
  syncs: SyncFigures[];
  consumers: ConsumerFigures[];
  now: number;
}

type Labels = Record<string, string>;
interface Series {
  labels: Labels;
  value: number;
}

/** Labels that name one sync or consumer: dropped when figures are not kept per sync. */
const INSTANCE_LABELS = new Set(['sync_id', 'consumer_id']);

interface StatusMetric {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  labelNames: readonly string[];
  /** How series that differ only by an instance label are combined without it. */
  combine: 'sum' | 'max';
  series: (figures: Figures) => Series[];
}

const perCollection = (figures: Figures, value: (c: SyncFigures['collections'][number]) => number | null): Series[] =>
  figures.syncs.flatMap((sync) =>
    sync.collections.flatMap((c) => {
      const v = value(c);
      return v === null ? [] : [{ labels: { sync_id: sync.syncId, collection: c.collectionId }, value: v }];
    }),
  );

const perConsumer = (figures: Figures, value: (c: ConsumerFigures) => number | null): Series[] =>
  figures.consumers.flatMap((c) => {
    const v = value(c);
    return v === null ? [] : [{ labels: { consumer_id: c.consumerId, kind: c.kind }, value: v }];
  });

/** Every status metric; docs/OPERATIONS.md lists them. */
export const STATUS_METRICS: readonly StatusMetric[] = [
  {
    name: 'syncline_sync_state',
    help: 'A sync in this state (1); without sync_id, the number of syncs in it',
    type: 'gauge',
    labelNames: ['sync_id', 'state'],
    combine: 'sum',
    series: (f) => f.syncs.map((s) => ({ labels: { sync_id: s.syncId, state: s.state }, value: 1 })),
  },
  {
    name: 'syncline_sync_upstream_requests_total',
    help: 'Upstream requests the sync sent, every attempt (status requests_made)',
    type: 'counter',
    labelNames: ['sync_id'],
    combine: 'sum',
    series: (f) => f.syncs.map((s) => ({ labels: { sync_id: s.syncId }, value: s.requestsMade })),
  },
  {
    name: 'syncline_sync_rate_limit_wait_seconds_total',
    help: 'Seconds the sync waited for its rate limit (status rate_limit_wait_ms / 1000)',
    type: 'counter',
    labelNames: ['sync_id'],
    combine: 'sum',
    series: (f) => f.syncs.map((s) => ({ labels: { sync_id: s.syncId }, value: s.rateLimitWaitMs / 1000 })),
  },
  {
    name: 'syncline_sync_retries_total',
    help: 'Upstream requests the sync retried (status retries)',
    type: 'counter',
    labelNames: ['sync_id'],
    combine: 'sum',
    series: (f) => f.syncs.map((s) => ({ labels: { sync_id: s.syncId }, value: s.retries })),
  },
  {
    name: 'syncline_sync_seconds_since_last_poll',
    help: 'Seconds since the sync last completed a poll (status last_poll_at); absent before its first; without sync_id, the oldest among unpaused syncs',
    type: 'gauge',
    labelNames: ['sync_id'],
    combine: 'max',
    series: (f) =>
      f.syncs.flatMap((s) => (s.lastPollAt === null || s.state === 'paused' ? [] : [{ labels: { sync_id: s.syncId }, value: Math.max(0, f.now - s.lastPollAt.getTime()) / 1000 }])),
  },
  {
    name: 'syncline_sync_collection_upstream_requests_total',
    help: 'Upstream requests sent for the collection (status collections[].requests_made)',
    type: 'counter',
    labelNames: ['sync_id', 'collection'],
    combine: 'sum',
    series: (f) => perCollection(f, (c) => c.requestsMade),
  },
  {
    name: 'syncline_sync_collection_delete_detection_requests_total',
    help: 'Upstream requests spent on detecting deletes (status collections[].delete_detection_requests)',
    type: 'counter',
    labelNames: ['sync_id', 'collection'],
    combine: 'sum',
    series: (f) => perCollection(f, (c) => c.deleteDetectionRequests),
  },
  {
    name: 'syncline_sync_collection_changes_fetched_total',
    help: 'Changed objects fetched after the backfill (status collections[].changes_fetched)',
    type: 'counter',
    labelNames: ['sync_id', 'collection'],
    combine: 'sum',
    series: (f) => perCollection(f, (c) => c.changesFetched),
  },
  {
    name: 'syncline_sync_collection_backfill_done',
    help: 'The collection finished its backfill (1) or not (0); without sync_id, how many have',
    type: 'gauge',
    labelNames: ['sync_id', 'collection'],
    combine: 'sum',
    series: (f) => perCollection(f, (c) => (c.backfillDone ? 1 : 0)),
  },
  {
    name: 'syncline_sync_collection_backfill_records',
    help: 'Records the backfill wrote so far (status collections[].backfill.records)',
    type: 'gauge',
    labelNames: ['sync_id', 'collection'],
    combine: 'sum',
    series: (f) => perCollection(f, (c) => c.backfillRecords),
  },
  {
    name: 'syncline_sync_collection_backfill_total_records',
    help: "The upstream's count of the collection, when it tells one (status collections[].backfill.total)",
    type: 'gauge',
    labelNames: ['sync_id', 'collection'],
    combine: 'sum',
    series: (f) => perCollection(f, (c) => c.backfillTotal),
  },
  {
    name: 'syncline_consumer_state',
    help: "A push consumer's runner in this state (1); without consumer_id, the number of consumers in it",
    type: 'gauge',
    labelNames: ['consumer_id', 'kind', 'state'],
    combine: 'sum',
    series: (f) => f.consumers.flatMap((c) => (c.state === null ? [] : [{ labels: { consumer_id: c.consumerId, kind: c.kind, state: c.state }, value: 1 }])),
  },
  {
    name: 'syncline_consumer_pending_messages',
    help: 'Messages still to deliver (HTTP num_pending, push consumers lag)',
    type: 'gauge',
    labelNames: ['consumer_id', 'kind'],
    combine: 'sum',
    series: (f) => perConsumer(f, (c) => c.pending),
  },
  {
    name: 'syncline_consumer_lag_seconds',
    help: 'Seconds since the oldest record still to deliver was written (push consumers lag_seconds); without consumer_id, the largest',
    type: 'gauge',
    labelNames: ['consumer_id', 'kind'],
    combine: 'max',
    series: (f) => perConsumer(f, (c) => c.lagSeconds),
  },
  {
    name: 'syncline_consumer_ack_pending_messages',
    help: 'Messages leased and not acked yet (HTTP num_ack_pending)',
    type: 'gauge',
    labelNames: ['consumer_id', 'kind'],
    combine: 'sum',
    series: (f) => perConsumer(f, (c) => c.ackPending),
  },
  {
    name: 'syncline_consumer_dead_letters',
    help: 'Dead letters kept (HTTP num_dead, push consumers dead letters)',
    type: 'gauge',
    labelNames: ['consumer_id', 'kind'],
    combine: 'sum',
    series: (f) => perConsumer(f, (c) => c.deadLetters),
  },
  {
    name: 'syncline_consumer_delivered_total',
    help: 'Records a push consumer delivered (NATS messages_published, webhook and PostgreSQL delivered count)',
    type: 'counter',
    labelNames: ['consumer_id', 'kind'],
    combine: 'sum',
    series: (f) => perConsumer(f, (c) => c.delivered),
  },
];

/** Series without their instance labels, those with the same remaining labels (`kept`) combined. */
export function withoutInstanceLabels(series: readonly Series[], kept: readonly string[], combine: 'sum' | 'max'): Series[] {
  const byKey = new Map<string, Series>();
  for (const { labels, value } of series) {
    const key = kept.map((name) => labels[name]).join('\u0000');
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { labels: Object.fromEntries(kept.map((name) => [name, labels[name]!])), value });
    else seen.value = combine === 'sum' ? seen.value + value : Math.max(seen.value, value);
  }
  return [...byKey.values()];
}

/** One read of the figures shared by every collect() of a scrape (prom-client collects them together). */
function oncePerScrape(ctx: AppContext, logger: Logger, outcome: { up: boolean; seconds: number }): () => Promise<Figures | null> {
  let inFlight: Promise<Figures | null> | null = null;
  const read = async (): Promise<Figures | null> => {
    const started = performance.now();
    try {
      const [syncs, consumers] = await Promise.all([allSyncFigures(ctx), allConsumerFigures(ctx)]);
      outcome.up = true;
      return { syncs, consumers, now: ctx.now().getTime() };
    } catch (error) {
      logger.warn({ err: error }, 'metrics: reading the sync and consumer figures failed');
      outcome.up = false;
      return null;
    } finally {
      outcome.seconds = (performance.now() - started) / 1000;
    }
  };
  return () => (inFlight ??= read().finally(() => (inFlight = null)));
}

/**
 * A family of status series, handed to prom-client's registry as a metric of its own: its
 * values are the figures' series as they are, without the label bookkeeping of a Gauge or
 * Counter (a hash per series), which cost most of a scrape with 10,000 syncs.
 */
class FigureFamily {
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
    private readonly values: () => Promise<Series[]>,
  ) {}

  async get() {
    return { name: this.name, help: this.help, type: this.type, values: await this.values(), aggregator: this.aggregator };
  }

  reset(): void {}
}

/** Registers the status metrics and the figures read's own health on `registry`. */
export function registerStatusMetrics(registry: Registry, ctx: AppContext, perSync: boolean): void {
  const outcome = { up: true, seconds: 0 };
  const figures = oncePerScrape(ctx, ctx.logger, outcome);
  for (const metric of STATUS_METRICS) {
    const kept = metric.labelNames.filter((name) => !INSTANCE_LABELS.has(name));
    const family = new FigureFamily(metric.name, metric.help, metric.type, async () => {
      const read = await figures();
      if (!read) return [];
      const series = metric.series(read);
      return perSync ? series : withoutInstanceLabels(series, kept, metric.combine);
    });
    registry.registerMetric(family as unknown as Metric);
  }
  new Gauge({
    name: 'syncline_status_figures_up',
    help: 'Whether the last scrape read the sync and consumer figures (0: the database did not answer; their series are absent)',
    registers: [registry],
    async collect() {
      await figures();
      this.set(outcome.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'syncline_status_figures_read_seconds',
    help: 'How long the last scrape took to read the sync and consumer figures',
    registers: [registry],
    async collect() {
      await figures();
      this.set(outcome.seconds);
    },
  });
}
