/**
 * The database as the server opens it (src/app.ts): PostgreSQL at DATABASE_URL, else the embedded
 * PGlite in SYNCLINE_DATA_DIR, with the same migrations applied first. For the commands that work
 * on the database itself rather than through a running server: `migrate`, `rebuild-projections`,
 * `token create --root`. Embedded mode admits one process at a time (src/db/data-dir-lock.ts), so
 * while a server runs on the data dir these commands stop with a one-line reason.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { openDatabase, type Database } from '../app.ts';
import type { AppContext } from '../app-context.ts';
import type { Config } from '../config.ts';
import { HistoryRecorder } from '../consumers/http/history-recorder.ts';
import { DataDirInUseError } from '../db/data-dir-lock.ts';
import { createEventStore, type PostgresEventStore } from '../db/event-store.ts';
import { migrate } from '../db/migrate.ts';
import { createPool } from '../db/pool.ts';
import { createPrisma } from '../db/prisma.ts';
import { loadSecretBox } from '../db/secret-key.ts';
import { StreamWriteLock } from '../db/stream-write-lock.ts';
import { RecordTraceNotes } from '../db/record-traces.ts';
import { TableStatistics } from '../db/table-statistics.ts';
import { LiveBus } from '../live/live-bus.ts';
import { createLogger, type Logger } from '../logger.ts';
import { readModelProjections } from '../projections/index.ts';
import { CommandFailure, oneLine } from './cli-errors.ts';

/** The server's logs are JSON lines for collectors; a command's own output is for people, so only warnings reach stderr unless LOG_LEVEL asks for more. */
export function commandLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  return createLogger(env.LOG_LEVEL ?? 'warn', pino.destination(2));
}

/** Where the database is, for the line a command prints before it works on it (never the password). */
export function describeDatabase(config: Config): string {
  if (!config.DATABASE_URL) return `embedded database in ${path.resolve(config.SYNCLINE_DATA_DIR)} (SYNCLINE_DATA_DIR)`;
  try {
    const url = new URL(config.DATABASE_URL);
    url.password = '';
    url.search = '';
    return `PostgreSQL ${url.toString()} (DATABASE_URL)`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

/** Opens the database as the server does, turning "the data dir is in use" into its one-line reason. */
export async function openServerDatabase(config: Config, { mustExist }: { mustExist: boolean }): Promise<Database> {
  if (!config.DATABASE_URL && mustExist && !existsSync(path.join(config.SYNCLINE_DATA_DIR, 'pgdata'))) {
    throw new CommandFailure(
      `no embedded database in ${path.resolve(config.SYNCLINE_DATA_DIR)}: run this where the server runs (SYNCLINE_DATA_DIR is relative to the current directory), or set SYNCLINE_DATA_DIR or DATABASE_URL`,
    );
  }
  try {
    return await openDatabase(config);
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      throw new CommandFailure(
        `the embedded database in ${path.resolve(error.dataDir)} is in use by process ${error.holderPid} (a running Syncline server?): stop it first; embedded mode admits one process at a time`,
      );
    }
    throw error;
  }
}

export interface Storage {
  database: Database;
  pool: pg.Pool;
  eventStore: PostgresEventStore;
  close(): Promise<void>;
}

export interface AppliedMigrations {
  migrations: string[];
  sqlFunctions: string[];
}

/** When each SQL function was last installed, to tell afterwards which ones `migrate` installed. */
async function functionsInstalledAt(pool: pg.Pool): Promise<Map<string, string>> {
  const table = await pool.query<{ present: boolean }>(`SELECT to_regclass('_syncline_functions') IS NOT NULL AS present`);
  if (!table.rows[0]?.present) return new Map();
  const { rows } = await pool.query<{ name: string; installed_at: string }>('SELECT name, installed_at::text FROM _syncline_functions');
  return new Map(rows.map((row) => [row.name, row.installed_at]));
}

/**
 * Opens the database as the server does and migrates it as at the server's start; any failure
 * becomes one line naming the database. `mustExist`: refuse to create an embedded database
 * (a command run from the wrong directory must not make a new, empty one).
 */
export async function openStorage(config: Config, { mustExist, logger }: { mustExist: boolean; logger: Logger }): Promise<Storage & { applied: AppliedMigrations }> {
  const where = describeDatabase(config);
  const database = await openServerDatabase(config, { mustExist }).catch((error: unknown) => {
    throw error instanceof CommandFailure ? error : new CommandFailure(`cannot open the ${where}: ${oneLine(error)}`);
  });
  const pool = createPool({ connectionString: database.connectionString, max: 2, name: 'cli', logger });
  const eventStorePool = createPool({ connectionString: database.connectionString, max: 2, name: 'cli-event-store', logger });
  const eventStore = createEventStore(database.connectionString, eventStorePool, readModelProjections);
  const close = async () => {
    await eventStore.close();
    await eventStorePool.end();
    await pool.end();
    await database.embedded?.close();
  };
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await close().catch(() => undefined);
    throw new CommandFailure(`cannot open the ${where}: ${oneLine(error)}`);
  }
  try {
    const before = await functionsInstalledAt(pool);
    const migrations = await migrate(pool);
    await eventStore.schema.migrate();
    const after = await functionsInstalledAt(pool);
    const sqlFunctions = [...after].filter(([name, at]) => before.get(name) !== at).map(([name]) => name);
    return { database, pool, eventStore, close, applied: { migrations, sqlFunctions } };
  } catch (error) {
    await close().catch(() => undefined);
    throw new CommandFailure(`cannot migrate the ${where}: ${oneLine(error)}`);
  }
}

/**
 * What the command handlers need (AppContext), over `storage`, for one command run by the
 * operator at the database: no HTTP server, no sync workers, no NATS publishers. The live bus is
 * in-process only, so a running server (PostgreSQL mode) learns nothing from it; the commands run
 * this way (creating a token) need it not.
 */
export async function operatorContext(storage: Storage, config: Config, logger: Logger): Promise<{ ctx: AppContext; close(): Promise<void> }> {
  const secretBox = await loadSecretBox(config.SYNCLINE_SECRET_KEY, config.SYNCLINE_DATA_DIR);
  const { prisma, close: closePrisma } = createPrisma(storage.database.connectionString, 2, logger);
  const ctx: AppContext = {
    config,
    eventStore: storage.eventStore,
    inlineProjections: readModelProjections,
    prisma,
    pool: storage.pool,
    secretBox,
    logger,
    bus: new LiveBus(),
    streamWriteLock: new StreamWriteLock(storage.pool, storage.database.embedded === null),
    history: new HistoryRecorder(storage.eventStore, readModelProjections, logger),
    statistics: new TableStatistics(storage.pool, logger),
    recordTraces: new RecordTraceNotes(storage.pool, logger),
    now: () => new Date(),
    newId: randomUUID,
  };
  return {
    ctx,
    async close() {
      await ctx.history.flush();
      await closePrisma();
    },
  };
}
