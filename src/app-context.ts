import type { PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import type pg from 'pg';
import type { SecretBox } from './crypto/secret-box.ts';
import type { InlineProjection } from './db/inline-projection.ts';
import type { RecordTraceNotes } from './db/record-traces.ts';
import type { PrismaClient } from './db/prisma.ts';
import type { StreamWriteLock } from './db/stream-write-lock.ts';
import type { TableStatistics } from './db/table-statistics.ts';
import type { LiveBus } from './live/live-bus.ts';
import type { HistoryRecorder } from './consumers/http/history-recorder.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/** What command handlers and queries need: passed in, never taken from globals. */
export interface AppContext {
  /** The configuration parsed at start (limits, egress policy). */
  config: Config;
  eventStore: PostgresEventStore;
  /** The read models the event store projects inline (src/projections/index.ts), for raw appends (src/db/raw-append.ts) to project the same. */
  inlineProjections: readonly InlineProjection[];
  prisma: PrismaClient;
  pool: pg.Pool;
  secretBox: SecretBox;
  logger: Logger;
  bus: LiveBus;
  streamWriteLock: StreamWriteLock;
  history: HistoryRecorder;
  statistics: TableStatistics;
  /** Which span wrote which record versions, while tracing is on (written behind the writes). */
  recordTraces: RecordTraceNotes;
  now: () => Date;
  newId: () => string;
}

/** The caller, resolved from the API token. */
export interface Principal {
  accountId: string;
  tokenId: string;
  isRoot: boolean;
}
