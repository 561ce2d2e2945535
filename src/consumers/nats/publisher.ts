import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import type { AppContext } from '../../app-context.ts';
import type { RecordRow } from '../../projections/record-row.ts';
import { openNatsSecrets } from '../../commands/nats-consumers.ts';
import type { NatsConsumer } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import { connectionOptions, describeFailure, serverAddress, type FailureDescription } from './connection.ts';
import { pinnedServerOptions } from './egress.ts';
import { egressPolicy } from '../../net/egress-policy.ts';
import { readRecordsAfter, toRecordMessage, type RecordMessage } from './record-batch.ts';
import { NatsRuntimeStore, type NatsConnectionState } from './runtime.ts';

const BATCH_SIZE = 500;
/** Records written by another process send no in-process signal: look again this often when idle. */
const IDLE_RECHECK_MS = 1_000;
const PUBLISH_ACK_TIMEOUT_MS = 10_000;
const BACKOFF_INITIAL_MS = 250;
const BACKOFF_MAX_MS = 15_000;

/** A failure on the NATS side (connect or publish), as opposed to a local one (database). */
class NatsFailure extends Error {
  constructor(
    readonly reason: unknown,
    readonly subject?: string,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

class ConsumerGone extends Error {}

/** Exponential, jittered (half to all of it), so publishers recovering from one outage spread out. */
export function backoffDelay(failures: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.min(failures, 16));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

async function publishAll(js: JetStreamClient, messages: RecordMessage[]): Promise<void> {
  // Pipelined: every publish is sent before any ack is awaited.
  const results = await Promise.allSettled(
    messages.map((m) => js.publish(m.subject, m.data, { msgID: m.msgID, timeout: PUBLISH_ACK_TIMEOUT_MS })),
  );
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) throw new NatsFailure((results[failed] as PromiseRejectedResult).reason, messages[failed]!.subject);
}

/**
 * Publishes one NATS consumer's records to JetStream until stopped: from the checkpoint, in
 * `updated_idx` order, a batch at a time (all publishes of a batch in flight together); the
 * checkpoint is stored only once JetStream acked the whole batch. Caught up, it waits for new
 * records. Failures (server down, no stream, auth) are recorded and retried with backoff on the
 * same records: never skipped, never a crash.
 */
export class NatsPublisher {
  private readonly abort = new AbortController();
  private readonly runtime: NatsRuntimeStore;
  private readonly log: Logger;
  private readonly server: string;
  private connection: NatsConnection | null = null;
  private checkpoint = 0n;
  private shown: { state: NatsConnectionState; error: string | null } = { state: 'connecting', error: null };
  private wakeUp: (() => void) | null = null;
  private ahead: { after: bigint; rows: Promise<RecordRow[]> } | null = null;
  readonly done: Promise<void>;

  constructor(
    private readonly ctx: AppContext,
    private readonly consumer: NatsConsumer,
  ) {
    this.runtime = new NatsRuntimeStore(ctx.pool, consumer.id);
    this.server = serverAddress(consumer);
    this.log = ctx.logger.child({ natsConsumerId: consumer.id, natsConsumer: consumer.name, natsServer: this.server });
    this.done = this.run();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeUp?.();
    // Rejects publishes in flight; their batch is not checkpointed and is published again later.
    await this.connection?.close().catch(() => undefined);
    await this.done;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const stored = await this.runtime.load();
        if (stored === null) throw new ConsumerGone();
        this.checkpoint = stored.checkpoint;
        this.shown = { state: stored.state, error: stored.error };
        for (;;) {
          const published = await this.publishNextBatch();
          failures = 0;
          if (this.stopped) break;
          if (published === 0) await this.waitForRecords();
          if (this.stopped) break;
        }
      } catch (error) {
        if (this.stopped) break;
        if (error instanceof ConsumerGone) {
          this.log.info('nats consumer deleted: publisher stopped');
          break;
        }
        await this.recordFailure(error, failures);
        await sleep(backoffDelay(failures++), undefined, { signal: this.abort.signal }).catch(() => undefined);
      }
    }
    await this.closeConnection();
  }

  /** Publishes the next batch past the checkpoint; returns how many records it published. */
  private async publishNextBatch(): Promise<number> {
    const connection = await this.connected();
    const rows = await this.nextRows();
    if (rows.length === 0) {
      await this.show('connected', null);
      return 0;
    }
    // A full batch: the next one is read from the database while this one waits for its acks.
    if (rows.length === BATCH_SIZE) this.readAhead(BigInt(rows[rows.length - 1]!.updated_idx));
    const messages = rows.map((row) => toRecordMessage(this.consumer.subjectPrefix, row));
    await publishAll(connection.jetstream(), messages);
    const last = messages[messages.length - 1]!.updatedIdx;
    if (!(await this.runtime.storeCheckpoint(last, messages.length))) throw new ConsumerGone();
    this.checkpoint = last;
    this.shown = { state: 'connected', error: null };
    return messages.length;
  }

  /** The records past the checkpoint: read ahead when they were, else read now. */
  private nextRows(): Promise<RecordRow[]> {
    const ahead = this.ahead;
    this.ahead = null;
    if (ahead && ahead.after === this.checkpoint) return ahead.rows;
    return readRecordsAfter(this.ctx.pool, this.consumer, this.checkpoint, BATCH_SIZE, this.ctx.config.SYNCLINE_MAX_ANSWER_BYTES);
  }

  private readAhead(after: bigint): void {
    const rows = readRecordsAfter(this.ctx.pool, this.consumer, after, BATCH_SIZE, this.ctx.config.SYNCLINE_MAX_ANSWER_BYTES);
    rows.catch(() => undefined); // unused if this batch fails; read again (and its error seen) when needed
    this.ahead = { after, rows };
  }

  private async connected(): Promise<NatsConnection> {
    if (this.connection && !this.connection.isClosed()) return this.connection;
    await this.show('connecting', this.shown.error);
    const connection = await this.connectUnlessStopped();
    this.connection = connection;
    this.log.info('connected to NATS');
    void connection.closed().then((error) => {
      if (this.connection !== connection || this.stopped) return;
      this.log.warn({ reason: error?.message ?? 'closed by the server' }, 'NATS connection lost');
      this.wakeUp?.();
    });
    await this.show('connected', this.shown.error);
    return connection;
  }

  /** Connecting may take the whole connect timeout: stopping does not wait for it. */
  private async connectUnlessStopped(): Promise<NatsConnection> {
    const options = connectionOptions(this.consumer, openNatsSecrets(this.ctx, this.consumer));
    const attempt = pinnedServerOptions(egressPolicy(this.ctx.config), this.consumer, options.tls).then((pinned) => connect({ ...options, ...pinned }));
    let onAbort = () => {};
    const stopped = new Promise<null>((resolve) => {
      onAbort = () => resolve(null);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
    let connection: NatsConnection | null;
    try {
      connection = await Promise.race([attempt, stopped]);
    } catch (error) {
      throw new NatsFailure(error);
    } finally {
      this.abort.signal.removeEventListener('abort', onAbort);
    }
    if (connection === null || this.stopped) {
      void attempt.then((late) => late.close()).catch(() => undefined);
      throw new NatsFailure('stopped');
    }
    return connection;
  }

  private async closeConnection(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    await connection?.close().catch(() => undefined);
  }

  /** Until records past the checkpoint may exist, the connection drops, or the publisher stops. */
  private waitForRecords(): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        unsubscribe();
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(finish, IDLE_RECHECK_MS);
      const unsubscribe = this.ctx.bus.on('records', (message) => {
        if (message.streamId !== this.consumer.streamId || message.maxIdx <= this.checkpoint) return;
        if (this.consumer.syncId && message.syncId !== this.consumer.syncId) return;
        finish();
      });
      this.wakeUp = finish;
    });
  }

  private async recordFailure(error: unknown, failures: number): Promise<void> {
    if (!(error instanceof NatsFailure)) {
      this.log.error({ err: error }, 'nats publisher failed; retrying');
      return;
    }
    const failure: FailureDescription = describeFailure(error.reason, {
      server: this.server,
      subject: error.subject,
      subjectPrefix: this.consumer.subjectPrefix,
    });
    if (failure.dropConnection) await this.closeConnection();
    if (failure.message === this.shown.error) this.log.debug({ failures: failures + 1 }, failure.message);
    else this.log.warn({ state: failure.state }, failure.message);
    await this.show(failure.state, failure.message);
  }

  /** Writes the connection state and error when they differ from what the API already shows. */
  private async show(state: NatsConnectionState, error: string | null): Promise<void> {
    if (this.shown.state === state && this.shown.error === error) return;
    try {
      if (error === this.shown.error) await this.runtime.setState(state);
      else await this.runtime.setStatus(state, error === null ? null : { message: error, at: this.ctx.now() });
      this.shown = { state, error };
    } catch (writeError) {
      this.log.error({ err: writeError }, 'could not record the nats publisher state');
    }
  }
}
