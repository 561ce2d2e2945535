import { connect, headers, type JetStreamClient, type MsgHdrs, type NatsConnection } from 'nats';
import type { AppContext } from '../../app-context.ts';
import { openNatsSecrets } from '../../commands/nats-consumers.ts';
import type { NatsConsumer } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import { egressPolicy } from '../../net/egress-policy.ts';
import type { RecordRow } from '../../projections/record-row.ts';
import { sinkConsumerBase } from '../sinks/consumer-row.ts';
import { isChangeEvent, recordOrEventRows } from '../sinks/event-sources.ts';
import { SinkWriteError, type SinkBatch, type SinkConsumer, type SinkKind, type SinkWriteResult, type SinkWriter } from '../sinks/sink.ts';
import { connectionOptions, describeFailure, serverAddress } from './connection.ts';
import { pinnedServerOptions } from './egress.ts';
import { toEventMessage, toRecordMessage, type RecordMessage } from './record-batch.ts';
import { currentTraceparent } from '../../tracing.ts';

/** Records per batch: all of a batch's publishes are in flight together. */
const BATCH_SIZE = 500;
const PUBLISH_ACK_TIMEOUT_MS = 10_000;

/** A NATS consumer as its sink runner sees it: the common settings, and its row for the server's. */
export interface NatsSinkConsumer extends SinkConsumer {
  kind: 'nats';
  settings: NatsConsumer;
}

export function toNatsSinkConsumer(row: NatsConsumer): NatsSinkConsumer {
  return {
    ...sinkConsumerBase('nats', row),
    batchSize: BATCH_SIZE,
    // One batch at a time: JetStream keeps a subject's messages in the order they arrive.
    maxInFlight: 1,
    // Never dead letters: a record waits for the server however long it is away (DESIGN.md §7).
    maxDeliver: -1,
    retryWindowMs: null,
    settings: row,
  };
}

/**
 * NATS consumers (DESIGN.md §7, docs/NATS.md): each batch published to JetStream, every message
 * sent before any ack is awaited, with `Nats-Msg-Id` so a batch published again after a crash is
 * deduplicated by the server.
 */
export const natsSinkKind: SinkKind<NatsSinkConsumer, RecordRow> = {
  records: recordOrEventRows,
  name: 'nats',
  async listConsumers(ctx) {
    return (await ctx.prisma.natsConsumer.findMany()).map(toNatsSinkConsumer);
  },
  openWriter(ctx, consumer, signal) {
    return NatsWriter.open(ctx, consumer.settings, signal);
  },
};

/** A NATS failure (connect or publish) as the runner shows it: `last_error` never holds a secret. */
function failureOf(error: unknown, where: { server: string; subject?: string | undefined; subjectPrefix: string }) {
  const failure = describeFailure(error, { server: where.server, subjectPrefix: where.subjectPrefix, ...(where.subject ? { subject: where.subject } : {}) });
  return { failure, error: new SinkWriteError(failure.message, { retryable: true, state: failure.state, cause: error }) };
}

class PublishFailure extends Error {
  constructor(
    readonly reason: unknown,
    readonly subject: string,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/** `traceparent` of the batch's delivery span (src/consumers/delivery-trace.ts), while tracing is on; one set per message (publish adds Nats-Msg-Id to it). */
function traceHeaders(traceparent: string | null): { headers?: MsgHdrs } {
  if (!traceparent) return {};
  const trace = headers();
  trace.set('traceparent', traceparent);
  return { headers: trace };
}

async function publishAll(js: JetStreamClient, messages: RecordMessage[]): Promise<void> {
  // Pipelined: every publish is sent before any ack is awaited.
  const traceparent = currentTraceparent();
  const results = await Promise.allSettled(messages.map((m) => js.publish(m.subject, m.data, { msgID: m.msgID, timeout: PUBLISH_ACK_TIMEOUT_MS, ...traceHeaders(traceparent) })));
  const failed = results.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) throw new PublishFailure((results[failed] as PromiseRejectedResult).reason, messages[failed]!.subject);
}

/**
 * One connection to the consumer's NATS server. When the outcome of publishes in flight is unknown
 * (lost connection, timeout) the connection is dropped and the writer is `lost`: the runner opens
 * a new one, so nothing still buffered in the old one can reach the server after a newer version
 * of the same record.
 */
class NatsWriter implements SinkWriter {
  readonly lost: Promise<void>;
  private readonly js: JetStreamClient;
  /** Closed by us (a failure, the runner): not worth a warning. */
  private closing = false;

  private constructor(
    private readonly connection: NatsConnection,
    private readonly consumer: NatsConsumer,
    private readonly server: string,
    log: Logger,
  ) {
    this.js = connection.jetstream();
    this.lost = connection.closed().then((error) => {
      if (error || !this.closing) log.warn({ reason: error?.message ?? 'closed by the server' }, 'NATS connection lost');
    });
  }

  static async open(ctx: AppContext, consumer: NatsConsumer, signal: AbortSignal): Promise<NatsWriter> {
    const server = serverAddress(consumer);
    const log = ctx.logger.child({ natsConsumerId: consumer.id, natsConsumer: consumer.name, natsServer: server });
    const connection = await connectUnlessStopped(ctx, consumer, server, signal);
    log.info('connected to NATS');
    return new NatsWriter(connection, consumer, server, log);
  }

  async write(batch: SinkBatch, signal: AbortSignal): Promise<SinkWriteResult> {
    // Stopping rejects the publishes in flight: the batch is not confirmed and is published again later.
    const onAbort = () => void this.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await publishAll(
        this.js,
        batch.rows.map((row) => (isChangeEvent(row) ? toEventMessage(this.consumer.subjectPrefix, row) : toRecordMessage(this.consumer.subjectPrefix, row))),
      );
      return {};
    } catch (error) {
      const { reason, subject } = error instanceof PublishFailure ? error : { reason: error, subject: undefined };
      const { failure, error: writeError } = failureOf(reason, { server: this.server, subject, subjectPrefix: this.consumer.subjectPrefix });
      if (failure.dropConnection) await this.close();
      throw writeError;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.connection.close().catch(() => undefined);
  }
}

/** Connecting may take the whole connect timeout: stopping does not wait for it. */
async function connectUnlessStopped(ctx: AppContext, consumer: NatsConsumer, server: string, signal: AbortSignal): Promise<NatsConnection> {
  const where = { server, subjectPrefix: consumer.subjectPrefix };
  let attempt: Promise<NatsConnection>;
  try {
    const options = connectionOptions(consumer, openNatsSecrets(ctx, consumer));
    attempt = pinnedServerOptions(egressPolicy(ctx.config), consumer, options.tls).then((pinned) => connect({ ...options, ...pinned }));
  } catch (error) {
    throw failureOf(error, where).error;
  }
  let onAbort = () => {};
  const stopped = new Promise<null>((resolve) => {
    onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  let connection: NatsConnection | null;
  try {
    connection = await Promise.race([attempt, stopped]);
  } catch (error) {
    throw failureOf(error, where).error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (connection === null || signal.aborted) {
    void attempt.then((late) => late.close()).catch(() => undefined);
    throw new SinkWriteError('stopped', { retryable: true });
  }
  return connection;
}
