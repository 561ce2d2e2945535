import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppContext } from '../app-context.ts';
import type { LiveMessage } from '../live/live-bus.ts';
import { registerStatusMetrics } from './status-metrics.ts';

/** What `/metrics` reads at scrape time beyond its own counters (docs/OPERATIONS.md). */
export interface MetricSources {
  ctx: AppContext;
  /** The process's database pools by name (`app`, `event-store`, `prisma`). */
  pools: Record<string, pg.Pool>;
  /** SYNCLINE_METRICS_PER_SYNC: label series by sync and consumer, or add them up by state and kind. */
  perSync: boolean;
}

const LIVE_CHANNELS: readonly LiveMessage['channel'][] = ['records', 'sync', 'token-revoked'];

export function createMetrics(sources?: MetricSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'syncline_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'syncline_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  if (sources) {
    // Internals first: prom-client collects in registration order, so the pools are read before the figures' queries take connections.
    registerInternals(registry, sources);
    registerStatusMetrics(registry, sources.ctx, sources.perSync);
  }
  return { registry, httpRequests, httpDuration };
}

/** The process's internals that need no runner's help: database pools and the live bus. */
function registerInternals(registry: Registry, { ctx, pools }: MetricSources): void {
  const poolGauge = (name: string, help: string, value: (pool: pg.Pool) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'] as const,
      registers: [registry],
      collect() {
        for (const [pool, client] of Object.entries(pools)) this.set({ pool }, value(client));
      },
    });
  poolGauge('syncline_db_pool_connections', 'Open connections of the database pool', (pool) => pool.totalCount);
  poolGauge('syncline_db_pool_idle_connections', 'Open connections of the database pool not in use', (pool) => pool.idleCount);
  poolGauge('syncline_db_pool_waiting_clients', 'Queries waiting for a connection of the database pool', (pool) => pool.waitingCount);
  new Gauge({
    name: 'syncline_live_bus_listeners',
    help: 'Listeners on the live bus by channel: GraphQL subscriptions, /next long polls, sink runners, the sync scheduler',
    labelNames: ['channel'] as const,
    registers: [registry],
    collect() {
      for (const channel of LIVE_CHANNELS) this.set({ channel }, ctx.bus.listenerCount(channel));
    },
  });
  // The embedded database needs no bridge: there the bus is in-process only, and the metric is absent.
  if (ctx.bus.crossProcess === null) return;
  new Gauge({
    name: 'syncline_live_bus_connected',
    help: 'Whether the LISTEN/NOTIFY connection that carries the live bus between instances is up',
    registers: [registry],
    collect() {
      this.set(ctx.bus.crossProcess?.connected ? 1 : 0);
    },
  });
}

export type Metrics = ReturnType<typeof createMetrics>;
