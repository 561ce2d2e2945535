import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureRootAccount } from './commands/accounts.ts';
import type { AppContext } from './app-context.ts';
import type { Config } from './config.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres.ts';
import { createEventStore } from './db/event-store.ts';
import type { InlineProjection } from './db/inline-projection.ts';
import { readModelProjections } from './projections/index.ts';
import { migrate } from './db/migrate.ts';
import { createPrisma } from './db/prisma.ts';
import { createPool } from './db/pool.ts';
import { allowPreparedStatements } from './db/prepared-statements.ts';
import { RecordTraceNotes } from './db/record-traces.ts';
import { TableStatistics } from './db/table-statistics.ts';
import { loadSecretBox } from './db/secret-key.ts';
import { verifySecretKey } from './db/secret-key-check.ts';
import { createMetrics } from './http/metrics.ts';
import { createHttpServer } from './http/server.ts';
import { createLogger, type Logger } from './logger.ts';
import { LiveBus } from './live/live-bus.ts';
import { StreamWriteLock } from './db/stream-write-lock.ts';
import { SyncScheduler } from './sync/scheduler.ts';
import { SyncLeases } from './sync/leases/sync-leases.ts';
import { rateLimiters } from './sync/rate-limiters.ts';
import { HistoryRecorder } from './consumers/http/history-recorder.ts';
import { natsSinkKind } from './consumers/nats/sink-kind.ts';
import { postgresSinkKind } from './consumers/postgres/kind.ts';
import { SinkSupervisor } from './consumers/sinks/supervisor.ts';
import { webhookSinkKind } from './consumers/webhook/kind.ts';
import { Notifier } from './notifications/notifier.ts';
import { notificationOutboxProjection } from './notifications/outbox-projection.ts';

const POOL_SIZE = 10;

export interface RunningApp {
  url: string;
  ctx: AppContext;
  /** Set only on the first start when no SYNCLINE_API_TOKEN was configured. */
  generatedRootToken: string | null;
  close(): Promise<void>;
}

export interface Database {
  connectionString: string;
  embedded: EmbeddedPostgres | null;
}

export async function openDatabase(config: Config): Promise<Database> {
  if (config.DATABASE_URL) return { connectionString: config.DATABASE_URL, embedded: null };
  // Emmett's pool, Prisma's and ours share the embedded server: give it room for all of them.
  const embedded = await startEmbeddedPostgres(config.SYNCLINE_DATA_DIR, POOL_SIZE * 4);
  return { connectionString: embedded.connectionString, embedded };
}

/** Opens the database, applies migrations, and wires the event store, read models and HTTP server. */
export interface StartOptions {
  /** Run no sync workers (tools and tests that only need the API). */
  disableSyncs?: boolean;
  /** Tests: guard /metrics as though HOST reached beyond loopback, while binding where HOST says. */
  listenerBeyondLoopback?: boolean;
}

export async function startApp(
  config: Config,
  logger: Logger = createLogger(config.LOG_LEVEL),
  options: StartOptions = {},
): Promise<RunningApp> {
  const database = await openDatabase(config);
  const pool = createPool({ connectionString: database.connectionString, max: POOL_SIZE, name: 'app', logger });
  if (database.embedded === null) allowPreparedStatements(pool);
  const eventStorePool = createPool({ connectionString: database.connectionString, max: POOL_SIZE, name: 'event-store', logger });
  // The read models, and the notification outbox after them (not a read model: never rebuilt).
  const inlineProjections = [...readModelProjections, notificationOutboxProjection] as InlineProjection[];
  const eventStore = createEventStore(database.connectionString, eventStorePool, inlineProjections);
  const applied = await migrate(pool);
  await eventStore.schema.migrate();
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');

  const secretBox = await loadSecretBox(config.SYNCLINE_SECRET_KEY, config.SYNCLINE_DATA_DIR);
  await verifySecretKey(pool, secretBox).catch(async (error: unknown) => {
    await Promise.allSettled([eventStore.close(), eventStorePool.end(), pool.end()]);
    await database.embedded?.close();
    throw error;
  });

  const { prisma, pool: prismaPool, close: closePrisma } = createPrisma(database.connectionString, POOL_SIZE, logger);
  const ctx: AppContext = {
    config,
    eventStore,
    inlineProjections,
    prisma,
    pool,
    secretBox,
    logger,
    bus: new LiveBus(),
    streamWriteLock: new StreamWriteLock(pool, database.embedded === null),
    history: new HistoryRecorder(eventStore, inlineProjections, logger),
    statistics: new TableStatistics(pool, logger),
    recordTraces: new RecordTraceNotes(pool, logger),
    now: () => new Date(),
    newId: randomUUID,
  };
  const { generatedToken } = await ensureRootAccount(ctx, config.SYNCLINE_API_TOKEN);

  // Several processes may share a PostgreSQL database (docs/DEPLOY.md): the live bus crosses
  // them (LISTEN/NOTIFY), syncs are leased, rate limits are kept in the database.
  const crossProcess = database.embedded === null;
  let leases: SyncLeases | null = null;
  if (crossProcess) {
    await ctx.bus.connect(database.connectionString, logger);
    const instanceId = config.SYNCLINE_INSTANCE_ID ?? (config.PORT ? `${os.hostname()}:${config.PORT}` : `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`);
    leases = new SyncLeases({ pool, instanceId, ttlMs: config.SYNCLINE_LEASE_TTL_MS, runsSyncs: !options.disableSyncs, logger });
    await leases.start();
    rateLimiters.share(pool, { instanceId, logger });
  }
  const scheduler = new SyncScheduler(ctx, leases);
  // Every push consumer kind (DESIGN.md §7b) is delivered by one sink runner per consumer.
  const sinks = new SinkSupervisor(ctx, [natsSinkKind, webhookSinkKind, postgresSinkKind], { crossProcess });
  sinks.start();
  const notifier = new Notifier(ctx);
  notifier.start();

  const metrics = createMetrics({ ctx, pools: { app: pool, 'event-store': eventStorePool, prisma: prismaPool }, perSync: config.SYNCLINE_METRICS_PER_SYNC });
  const http = createHttpServer(ctx, metrics, config.SYNCLINE_MAX_BODY_BYTES, { listenerBeyondLoopback: options.listenerBeyondLoopback });
  await listen(http.server, config.PORT, config.HOST);
  const address = http.server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  // After listen: a second process started on the same address (same default instance id) fails before it runs syncs.
  if (!options.disableSyncs) scheduler.start();
  logger.info({ url, database: database.embedded ? 'embedded' : 'postgresql', instanceId: leases?.instanceId }, 'syncline listening');

  return {
    url,
    ctx,
    generatedRootToken: generatedToken,
    async close() {
      await scheduler.stop();
      await leases?.stop();
      rateLimiters.unshare(pool);
      await sinks.stop();
      await notifier.stop();
      await http.closeWebSockets();
      await ctx.history.flush();
      await ctx.recordTraces.flush();
      await ctx.bus.close();
      await new Promise<void>((resolve) => {
        http.server.close(() => resolve());
        http.server.closeIdleConnections();
      });
      await closePrisma();
      await eventStore.close();
      await eventStorePool.end();
      await pool.end();
      await database.embedded?.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
