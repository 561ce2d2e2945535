import { isExpectedVersionConflictError } from '@event-driven-io/emmett';
import type { PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import type { MessageHistoryEvent } from '../../domain/http-consumers/events.ts';
import type { Logger } from '../../logger.ts';
import { eventStorePool } from '../../db/event-store.ts';
import type { InlineProjection } from '../../db/inline-projection.ts';
import { appendEventsInTransaction, inTransaction } from '../../db/raw-append.ts';
import { beginCompressed } from '../../db/toast-compression.ts';

const FLUSH_MS = 100;

/**
 * Appends delivery-history events (leased, acked, nacked, dead) to `consumer-<id>-messages`
 * after the delivery transaction committed, batched per consumer every 100 ms so that /next
 * throughput does not pay an append per call. The lease tables are the delivery truth; this log
 * is for inspection, so a crash can lose the last moments of history (the buffer's 100 ms, and a
 * PostgreSQL crash the commits not yet flushed), never a message.
 */
export class HistoryRecorder {
  private buffer = new Map<string, MessageHistoryEvent[]>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly eventStore: PostgresEventStore,
    /** The event store's inline projections (the message history read model among them). */
    private readonly projections: readonly InlineProjection[],
    private readonly logger: Logger,
  ) {}

  record(consumerId: string, event: MessageHistoryEvent): void {
    if (event.data.groups.length === 0) return;
    const events = this.buffer.get(consumerId) ?? [];
    events.push(event);
    this.buffer.set(consumerId, events);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.buffer;
    this.buffer = new Map();
    this.flushing = this.flushing.then(async () => {
      // Bind parameters rather than Emmett's SQL literals: a busy consumer's batch holds thousands of messages.
      const pool = eventStorePool(this.eventStore);
      for (const [consumerId, events] of batch) {
        const stream = `consumer-${consumerId}-messages`;
        // Instances serving one consumer flush into the same stream: the stream row is locked, and a
        // race on its very first append is retried once.
        // Committed without waiting for the WAL flush: the log may lose its last moments anyway (see above).
        const append = async (): Promise<void> => {
          if (pool) await inTransaction(pool, (db) => appendEventsInTransaction(db, this.projections, stream, events, { lockStream: true }), `${await beginCompressed(pool)}; SET LOCAL synchronous_commit = off`);
          else await this.eventStore.appendToStream(stream, events);
        };
        await append()
          .catch((error: unknown) => (isExpectedVersionConflictError(error) ? append() : Promise.reject(error)))
          .catch((error: unknown) => this.logger.warn({ err: error, consumerId }, 'could not record delivery history'));
      }
    });
    return this.flushing;
  }
}
