import { RECORD_MESSAGES } from '../../src/domain/change-events.ts';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { loadConfig } from '../../src/config.ts';
import { batchId } from '../../src/consumers/sinks/batch-id.ts';
import { listSinkDeadLetters, redeliverSinkDeadLetters } from '../../src/consumers/sinks/dead-letters.ts';
import { DELIVERY_LOG_SIZE, listSinkDeliveries } from '../../src/consumers/sinks/deliveries.ts';
import { SinkRunner } from '../../src/consumers/sinks/runner.ts';
import { keptRecordOrEventJson } from '../../src/consumers/sinks/event-sources.ts';
import { recordRows } from '../../src/consumers/sinks/record-sources.ts';
import { SinkWriteError, type SinkBatch, type SinkConsumer, type SinkKind, type SinkRecordKey, type SinkWriteResult, type SinkWriter } from '../../src/consumers/sinks/sink.ts';
import { sinkStatuses } from '../../src/consumers/sinks/status.ts';
import { LiveBus } from '../../src/live/live-bus.ts';
import { createLogger } from '../../src/logger.ts';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../support/database.ts';
import { waitFor } from '../support/wait.ts';

/** What the test writer was handed, attempt by attempt. */
interface Call {
  id: string;
  attempt: number;
  keys: string[];
  /** The JSON texts of rows that carry them (kinds reading JSON records). */
  texts: string[];
  at: number;
}

type Script = (batch: SinkBatch<SinkRecordKey>, signal: AbortSignal) => Promise<SinkWriteResult>;

/** A writer whose every answer the test decides. */
class TestWriter implements SinkWriter<SinkRecordKey> {
  readonly calls: Call[] = [];
  opened = 0;
  closed = 0;
  inFlight = 0;
  maxInFlight = 0;
  loseNow: () => void = () => {};
  lost: Promise<void> = new Promise((resolve) => (this.loseNow = resolve));

  constructor(public script: Script = async () => ({ status: 200, responseExcerpt: 'ok' })) {}

  async write(batch: SinkBatch<SinkRecordKey>, signal: AbortSignal): Promise<SinkWriteResult> {
    const texts = batch.rows.flatMap((r) => ('json' in r && typeof r.json === 'string' ? [r.json] : []));
    this.calls.push({ id: batch.id, attempt: batch.attempt, keys: batch.rows.map((r) => `${r.upstream_id}@${r.updated_idx}`), texts, at: Date.now() });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.script(batch, signal);
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    this.closed++;
  }

  /** Every record version delivered (confirmed), in order. */
  delivered: string[] = [];
}

const kindFor = (writer: TestWriter): SinkKind => ({
  name: 'webhook',
  records: recordRows,
  listConsumers: async () => [],
  openWriter: async () => {
    writer.opened++;
    writer.lost = new Promise((resolve) => (writer.loseNow = resolve));
    return writer;
  },
});

/** Confirms and remembers what it confirmed. */
const confirming =
  (writer: () => TestWriter, delay: () => number = () => 0): Script =>
  async (batch) => {
    if (delay() > 0) await new Promise((r) => setTimeout(r, delay()));
    writer().delivered.push(...batch.rows.map((r) => `${r.upstream_id}@${r.updated_idx}`));
    return { status: 200, responseExcerpt: 'ok' };
  };

describe('the sink runner', () => {
  let db: MigratedTestDatabase;
  let ctx: AppContext;
  const runners: SinkRunner[] = [];
  let idx = 0n;

  beforeAll(async () => {
    db = await createMigratedTestDatabase(6);
    ctx = {
      pool: db.pool,
      config: loadConfig({ SYNCLINE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }),
      bus: new LiveBus(),
      logger: createLogger('silent'),
      now: () => new Date(),
    } as Partial<AppContext> as AppContext;
  });

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await db?.close();
  });

  /** A stream of its own, with records written like the ingest writes them (one version per record, a new position per version). */
  function stream() {
    const streamId = randomUUID();
    const syncId = randomUUID();
    return {
      streamId,
      syncId,
      async put(upstreamIds: string[], options: { changedAt?: Date; collectionId?: string } = {}) {
        const collectionId = options.collectionId ?? 'stripe:customer';
        for (const upstreamId of upstreamIds) {
          idx++;
          await db.pool.query(
            `INSERT INTO records (sync_id, collection_id, upstream_id, stream_id, updated_idx, data, data_hash, deleted, changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'h', false, $7)
             ON CONFLICT (sync_id, collection_id, upstream_id) DO UPDATE SET updated_idx = excluded.updated_idx, data = excluded.data, changed_at = excluded.changed_at`,
            [syncId, collectionId, upstreamId, streamId, idx.toString(), { id: upstreamId, v: idx.toString() }, options.changedAt ?? new Date()],
          );
          // Every version at its position too, as the records projection writes it (kept plans read texts from there).
          await db.pool.query(
            `INSERT INTO record_versions (stream_id, updated_idx, sync_id, collection_id, upstream_id, first_idx, action, data, deleted, changed_at)
             SELECT $4, $5, $1, $2, $3, COALESCE(min(v.first_idx), $5), CASE WHEN count(v.*) = 0 THEN 'inserted' ELSE 'updated' END, $6, false, $7
             FROM record_versions v WHERE v.sync_id = $1 AND v.collection_id = $2 AND v.upstream_id = $3`,
            [syncId, collectionId, upstreamId, streamId, idx.toString(), { id: upstreamId, v: idx.toString() }, options.changedAt ?? new Date()],
          );
        }
        ctx.bus.publish({ channel: 'records', streamId, syncId, collectionId, maxIdx: idx });
      },
      consumer(over: Partial<SinkConsumer> = {}): SinkConsumer {
        return {
          kind: 'webhook',
          id: randomUUID(),
          accountId: randomUUID(),
          name: 'test',
          selection: { streamId, syncId: null, collectionIds: null, provider: null },
          message: RECORD_MESSAGES,
          generation: 0,
          startIdx: 0n,
          resetCount: 0,
          batchSize: 10,
          maxInFlight: 1,
          maxDeliver: -1,
          retryWindowMs: null,
          ...over,
        };
      },
    };
  }

  const start = (consumer: SinkConsumer, writer: TestWriter, backoff = () => 5) => {
    const runner = new SinkRunner(ctx, kindFor(writer), consumer, { idleRecheckMs: 50, backoff });
    runners.push(runner);
    return runner;
  };

  const runtime = async (consumerId: string) =>
    (await db.pool.query('SELECT position::text, state, last_error, delivered_count::int, retrying FROM sink_runtime WHERE consumer_id = $1', [consumerId])).rows[0];

  it('delivers in stream order, in batches, and moves the position only once the writer confirmed', async () => {
    const s = stream();
    await s.put(Array.from({ length: 25 }, (_, i) => `cus_${i}`));
    const consumer = s.consumer({ batchSize: 10 });
    const before = (await sinkStatuses(ctx, [consumer])).get(consumer.id)!;
    expect(before).toMatchObject({ state: 'connecting', lag: 25, lastDeliveredAt: null, lastError: null, deliveredCount: 0 });

    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const writer: TestWriter = new TestWriter(async (batch) => {
      if (writer.calls.length === 1) await held;
      return confirming(() => writer)(batch, new AbortController().signal);
    });
    start(consumer, writer);
    await waitFor(async () => writer.calls.length === 1, 5_000, 'the first batch');
    await new Promise((r) => setTimeout(r, 200));
    expect(writer.calls).toHaveLength(1);
    expect((await runtime(consumer.id)).position).toBe(consumer.startIdx.toString());
    release();
    await waitFor(async () => (await sinkStatuses(ctx, [consumer])).get(consumer.id)!.lag === 0, 5_000, 'everything delivered');

    expect(writer.calls.map((c) => c.keys.length)).toEqual([10, 10, 5]);
    expect(writer.delivered).toEqual(Array.from({ length: 25 }, (_, i) => expect.stringMatching(new RegExp(`^cus_${i}@`))));
    const status = (await sinkStatuses(ctx, [consumer])).get(consumer.id)!;
    expect(status).toMatchObject({ state: 'connected', lag: 0, lagSeconds: 0, lastError: null, deliveredCount: 25 });
    expect(Date.parse(status.lastDeliveredAt!)).toBeGreaterThan(Date.now() - 10_000);
    expect(writer.calls[0]!.id).toMatch(/^msg_[A-Za-z0-9_-]{43}$/);
    const log = await listSinkDeliveries(ctx, consumer.id, { limit: 10 });
    expect(log.data.map((d) => d.batchSize)).toEqual([5, 10, 10]);
    expect(log.data[0]).toMatchObject({ status: 200, error: null, responseExcerpt: 'ok', batchId: writer.calls[2]!.id });
  });

  it('retries a failing batch with the same id, at least Retry-After apart, and shows the failure meanwhile', async () => {
    const s = stream();
    await s.put(['a', 'b', 'c']);
    const consumer = s.consumer();
    const writer: TestWriter = new TestWriter(async (batch) => {
      if (batch.attempt === 1) throw new SinkWriteError('503 from the receiver', { retryable: true, status: 503, responseExcerpt: 'busy', state: 'error' });
      if (batch.attempt === 2) throw new SinkWriteError('429 from the receiver', { retryable: true, status: 429, retryAfterMs: 400 });
      if (batch.attempt === 3) throw new SinkWriteError('connection refused', { retryable: true, state: 'disconnected' });
      return { status: 204 };
    });
    start(consumer, writer);
    const failing = await waitFor(async () => {
      const status = (await sinkStatuses(ctx, [consumer])).get(consumer.id)!;
      return status.lastError ? status : null;
    }, 5_000, 'the failure to show');
    expect(failing).toMatchObject({ state: 'error', lag: 3, lastError: { message: expect.stringMatching(/^(503|429) from the receiver$/) } });
    await waitFor(async () => (await runtime(consumer.id)).position !== '0', 5_000, 'the batch delivered');
    expect(writer.calls.map((c) => c.attempt)).toEqual([1, 2, 3, 4]);
    expect(new Set(writer.calls.map((c) => c.id)).size).toBe(1);
    expect(writer.calls[2]!.at - writer.calls[1]!.at).toBeGreaterThanOrEqual(390);
    expect(await runtime(consumer.id)).toMatchObject({ state: 'connected', last_error: null, retrying: {} });
    const log = (await listSinkDeliveries(ctx, consumer.id, { limit: 10 })).data;
    expect(log.map((d) => [d.status, d.error])).toEqual([
      [204, null],
      [null, 'connection refused'],
      [429, '429 from the receiver'],
      [503, '503 from the receiver'],
    ]);
    expect(log[3]!.responseExcerpt).toBe('busy');
  });

  it('dead-letters a batch after maxDeliver refusals (retryable failures do not count) and goes on behind it', async () => {
    const s = stream();
    await s.put(['ok_1', 'bad_1', 'ok_2']);
    const consumer = s.consumer({ batchSize: 1, maxDeliver: 2 });
    const writer: TestWriter = new TestWriter(async (batch) => {
      const id = batch.rows[0]!.upstream_id;
      if (id === 'bad_1') {
        if (batch.attempt <= 2) throw new SinkWriteError('receiver down', { retryable: true, status: 502 });
        throw new SinkWriteError('400 from the receiver', { retryable: false, status: 400, responseExcerpt: '{"error":"no"}' });
      }
      return confirming(() => writer)(batch, new AbortController().signal);
    });
    start(consumer, writer);
    await waitFor(async () => (await sinkStatuses(ctx, [consumer])).get(consumer.id)!.lag === 0, 5_000, 'delivery past the dead letter');
    expect(writer.calls.filter((c) => c.keys[0]!.startsWith('bad_1')).map((c) => c.attempt)).toEqual([1, 2, 3, 4]);
    expect(writer.delivered.map((k) => k.split('@')[0])).toEqual(['ok_1', 'ok_2']);
    const dead = await listSinkDeadLetters(ctx, consumer.id, { limit: 10 });
    expect(dead.data).toEqual([
      expect.objectContaining({ upstreamId: 'bad_1', attempts: 4, lastError: '400 from the receiver', redeliveryPending: false, syncId: s.syncId }),
    ]);
    expect(dead.data[0]!.batchId).toBe(writer.calls.find((c) => c.keys[0]!.startsWith('bad_1'))!.id);
    expect((await sinkStatuses(ctx, [consumer])).get(consumer.id)!.deliveredCount).toBe(2);

    // Redelivered: its current version, once the receiver takes it.
    writer.script = confirming(() => writer);
    await s.put(['ok_3']);
    await waitFor(async () => writer.delivered.length === 3, 5_000, 'the next record');
    expect(await redeliverSinkDeadLetters(ctx, consumer.id, { upstreamIds: ['bad_1', 'nope'] })).toEqual({ requested: 1 });
    await waitFor(async () => (await listSinkDeadLetters(ctx, consumer.id, { limit: 10 })).data.length === 0, 5_000, 'the redelivery');
    expect(writer.delivered.map((k) => k.split('@')[0])).toEqual(['ok_1', 'ok_2', 'ok_3', 'bad_1']);
    expect(await redeliverSinkDeadLetters(ctx, consumer.id, { all: true })).toEqual({ requested: 0 });
  });

  it('dead-letters a batch once its retry window is over, and redelivers all dead letters on request', async () => {
    const s = stream();
    await s.put(['x', 'y']);
    const consumer = s.consumer({ batchSize: 1, retryWindowMs: 300 });
    const writer: TestWriter = new TestWriter(async (batch) => {
      if (batch.rows[0]!.upstream_id === 'x') throw new SinkWriteError('timed out after 30000 ms', { retryable: true });
      return confirming(() => writer)(batch, new AbortController().signal);
    });
    start(consumer, writer, () => 60);
    await waitFor(async () => (await sinkStatuses(ctx, [consumer])).get(consumer.id)!.lag === 0, 5_000, 'delivery past the window');
    const attempts = writer.calls.filter((c) => c.keys[0]!.startsWith('x@'));
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts[attempts.length - 1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(290);
    expect(attempts[attempts.length - 1]!.at - attempts[0]!.at).toBeLessThan(1_000);
    const [letter] = (await listSinkDeadLetters(ctx, consumer.id, { limit: 10 })).data;
    expect(letter).toMatchObject({ upstreamId: 'x', attempts: attempts.length, lastError: 'timed out after 30000 ms' });
    expect(letter!.lastAttemptAt.getTime() - letter!.firstAttemptAt.getTime()).toBeGreaterThanOrEqual(290);

    // A changed record is not redelivered: its new version comes in stream order.
    await s.put(['x']);
    writer.script = confirming(() => writer);
    await waitFor(async () => writer.delivered.some((k) => k.startsWith('x@')), 5_000, 'the new version');
    expect(await redeliverSinkDeadLetters(ctx, consumer.id, { all: true })).toEqual({ requested: 1 });
    await waitFor(async () => (await listSinkDeadLetters(ctx, consumer.id, { limit: 10 })).data.length === 0, 5_000, 'the redelivery request settled');
    expect(writer.delivered.filter((k) => k.startsWith('x@'))).toHaveLength(1);
  });

  it('keeps the retry count and window across a restart, and writes the same records under the same batch id', async () => {
    const s = stream();
    await s.put(['r1', 'r2']);
    const consumer = s.consumer({ maxDeliver: 50 });
    const first = new TestWriter(async () => {
      throw new SinkWriteError('422 from the receiver', { retryable: false, status: 422 });
    });
    const runner = start(consumer, first, () => 50);
    await waitFor(async () => first.calls.length >= 3, 5_000, 'three refusals');
    await runner.stop();
    const refusals = first.calls.length;
    const stored = await runtime(consumer.id);
    expect(stored.position).toBe('0');
    expect(stored.retrying[first.calls[0]!.id]).toMatchObject({ attempts: refusals, failed: refusals });

    let released: () => void = () => {};
    const writeStarted = new Promise<void>((resolve) => (released = resolve));
    const second: TestWriter = new TestWriter(async (batch, signal) => {
      released();
      // Held until the runner stops: not confirmed, written again later.
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      return confirming(() => second)(batch, signal);
    });
    const restarted = start(consumer, second);
    await writeStarted;
    expect(second.calls[0]).toMatchObject({ id: first.calls[0]!.id, attempt: refusals + 1 });
    await restarted.stop();
    expect((await runtime(consumer.id)).position).toBe('0');
    expect(second.closed).toBe(1);

    const third: TestWriter = new TestWriter(confirming(() => third));
    start(consumer, third);
    await waitFor(async () => (await runtime(consumer.id)).position !== '0', 5_000, 'delivery after the restarts');
    // The aborted attempt was not counted.
    expect(third.calls[0]).toMatchObject({ id: first.calls[0]!.id, attempt: refusals + 1 });
    expect(first.calls[0]!.id).toBe(batchId(consumer.id, (await db.pool.query(`SELECT * FROM records WHERE stream_id = $1 ORDER BY updated_idx`, [s.streamId])).rows));
    expect((await listSinkDeadLetters(ctx, consumer.id, { limit: 10 })).data).toEqual([]);
  });

  it('resends the window in progress as it was after a restart when the kind asks, though a record of it changed meanwhile', async () => {
    const s = stream();
    await s.put(['k1', 'k2', 'k3']);
    const consumer = s.consumer({ batchSize: 10 });
    let refused: () => void = () => {};
    const refusedOnce = new Promise<void>((resolve) => (refused = resolve));
    const first = new TestWriter(async () => {
      refused();
      throw new SinkWriteError('503 from the receiver', { retryable: true, status: 503 });
    });
    // What the webhook kind reads with: records or change events as the consumer asks (a consumer of records here).
    const keeping = (writer: TestWriter): SinkKind => ({ ...kindFor(writer), records: keptRecordOrEventJson });
    const runner = new SinkRunner(ctx, keeping(first), consumer, { idleRecheckMs: 50, backoff: () => 10_000 });
    runners.push(runner);
    await refusedOnce;
    await runner.stop();
    // While the server is down, k2 changes: re-reading would make another batch (k1, k3, k2@new).
    await s.put(['k2']);

    const second: TestWriter = new TestWriter(confirming(() => second));
    const restarted = new SinkRunner(ctx, keeping(second), consumer, { idleRecheckMs: 50, backoff: () => 5 });
    runners.push(restarted);
    await waitFor(async () => second.delivered.length >= 4, 5_000, 'the kept window, then the change');
    // The same body too: k2's text is the version kept, read again by its position.
    expect(second.calls[0]).toMatchObject({ id: first.calls[0]!.id, keys: first.calls[0]!.keys, texts: first.calls[0]!.texts });
    expect(first.calls[0]!.texts).toHaveLength(3);
    expect(second.calls[1]!.keys).toEqual([`k2@${idx}`]);
    expect((await runtime(consumer.id)).position).toBe(idx.toString());
    // Passed, the kept records go.
    await waitFor(async () => (await db.pool.query('SELECT 1 FROM sink_plans WHERE consumer_id = $1', [consumer.id])).rowCount === 0, 5_000, 'the plans dropped');
  });

  it('after a restart mid-plan, sends the rest of the kept plan in the same batches under the same ids, then reads on', async () => {
    const s = stream();
    const ids = Array.from({ length: 25 }, (_, i) => `p${i}`);
    await s.put(ids);
    const consumer = s.consumer({ batchSize: 10 });
    let refused: () => void = () => {};
    const refusedOnce = new Promise<void>((resolve) => (refused = resolve));
    const first: TestWriter = new TestWriter(async (batch, signal) => {
      if (first.calls.length === 1) return confirming(() => first)(batch, signal);
      refused();
      throw new SinkWriteError('503 from the receiver', { retryable: true, status: 503 });
    });
    // What the webhook kind reads with: records or change events as the consumer asks (a consumer of records here).
    const keeping = (writer: TestWriter): SinkKind => ({ ...kindFor(writer), records: keptRecordOrEventJson });
    const runner = new SinkRunner(ctx, keeping(first), consumer, { idleRecheckMs: 50, backoff: () => 10_000 });
    runners.push(runner);
    await refusedOnce;
    await runner.stop();
    expect(first.calls.map((c) => c.keys.length)).toEqual([10, 10]);
    // The first window's move was written before the failure of the second.
    const firstWindowEnd = first.calls[0]!.keys[9]!.split('@')[1]!;
    expect((await runtime(consumer.id)).position).toBe(firstWindowEnd);
    // Down, p15 (in the second window) and p22 (in the third) change.
    await s.put(['p15', 'p22']);

    const second: TestWriter = new TestWriter(confirming(() => second));
    const restarted = new SinkRunner(ctx, keeping(second), consumer, { idleRecheckMs: 50, backoff: () => 5 });
    runners.push(restarted);
    await waitFor(async () => (await runtime(consumer.id)).position === idx.toString(), 5_000, 'the rest of the plan, then the changes');
    expect(second.calls[0]).toMatchObject({ id: first.calls[1]!.id, keys: first.calls[1]!.keys, texts: first.calls[1]!.texts });
    expect(second.calls[1]!.keys).toEqual(ids.slice(20).map((id) => expect.stringMatching(new RegExp(`^${id}@`))));
    expect(second.calls[1]!.keys).not.toContain(`p22@${idx}`);
    expect(second.calls[2]!.keys).toEqual([`p15@${idx - 1n}`, `p22@${idx}`]);
    await waitFor(async () => (await db.pool.query('SELECT 1 FROM sink_plans WHERE consumer_id = $1', [consumer.id])).rowCount === 0, 5_000, 'the plans dropped');
  });

  it('sends nothing of a plan before it is kept, and keeps no plan behind one whose keep failed', async () => {
    const s = stream();
    const ids = Array.from({ length: 40 }, (_, i) => `k${i}`);
    await s.put(ids);
    const consumer = s.consumer({ batchSize: 5 });
    const plans = keptRecordOrEventJson.plans!;
    /** Each keep asked for, in order: the plan's first and last record, whether it was kept. */
    const keeps: { first: string; last: string; kept: boolean }[] = [];
    let failNext = 2; // the second plan's first keep fails
    const source: typeof keptRecordOrEventJson = {
      ...keptRecordOrEventJson,
      // Plans of ten records, so that several are read ahead.
      read: (context, after) => keptRecordOrEventJson.read(context, after, 10),
      plans: {
        kept: plans.kept,
        async keep(context, after, records) {
          const keep = { first: records[0]!.upstream_id, last: records[records.length - 1]!.upstream_id, kept: false };
          keeps.push(keep);
          // Slow keeps: the reads ahead answer while a keep runs.
          await new Promise((r) => setTimeout(r, 20));
          if (--failNext === 0) throw new Error('the keep failed');
          await plans.keep(context, after, records);
          keep.kept = true;
        },
      },
    };
    const sentUnkept: string[] = [];
    const writer: TestWriter = new TestWriter(async (batch, signal) => {
      for (const row of batch.rows) {
        const at = ids.indexOf(row.upstream_id);
        if (!keeps.some((k) => k.kept && ids.indexOf(k.first) <= at && at <= ids.indexOf(k.last))) sentUnkept.push(row.upstream_id);
      }
      return confirming(() => writer)(batch, signal);
    });
    const runner = new SinkRunner(ctx, { ...kindFor(writer), records: source }, consumer, { idleRecheckMs: 50, backoff: () => 5 });
    runners.push(runner);
    await waitFor(async () => (await runtime(consumer.id)).position === idx.toString(), 5_000, 'every record delivered');
    expect(writer.delivered).toEqual(ids.map((id) => expect.stringMatching(new RegExp(`^${id}@`))));
    expect(sentUnkept).toEqual([]);
    // The keep of the plan read after the failed one never ran before the failed plan was kept.
    const failed = keeps.findIndex((k) => !k.kept);
    expect(keeps[failed]).toMatchObject({ first: 'k10', last: 'k19' });
    const keptAgain = keeps.findIndex((k, i) => i > failed && k.first === 'k10' && k.kept);
    expect(keptAgain).toBeGreaterThan(failed);
    expect(keeps.slice(failed + 1, keptAgain).filter((k) => k.kept)).toEqual([]);
    expect(keeps.filter((k) => k.kept).map((k) => k.first)).toEqual(['k0', 'k10', 'k20', 'k30']);
  });

  it('with maxInFlight, writes a window of batches at once and keeps each record’s versions in order', async () => {
    const s = stream();
    const ids = Array.from({ length: 12 }, (_, i) => `m_${i}`);
    await s.put(ids);
    const consumer = s.consumer({ batchSize: 3, maxInFlight: 4 });
    const writer: TestWriter = new TestWriter(confirming(() => writer, () => 5 + Math.floor(Math.random() * 30)));
    start(consumer, writer);
    // New versions of the same records while the windows are delivered.
    for (let round = 0; round < 8; round++) {
      await s.put(ids.filter(() => Math.random() < 0.5));
      await new Promise((r) => setTimeout(r, 15));
    }
    const head = idx.toString();
    await waitFor(async () => (await runtime(consumer.id)).position === head, 10_000, 'every version delivered');
    expect(writer.maxInFlight).toBe(4);
    const seen = new Map<string, bigint>();
    for (const key of writer.delivered) {
      const [id, version] = key.split('@') as [string, string];
      expect(BigInt(version)).toBeGreaterThan(seen.get(id) ?? 0n);
      seen.set(id, BigInt(version));
    }
    const latest = await db.pool.query<{ upstream_id: string; updated_idx: string }>('SELECT upstream_id, updated_idx FROM records WHERE stream_id = $1', [s.streamId]);
    for (const row of latest.rows) expect(seen.get(row.upstream_id)).toBe(BigInt(row.updated_idx));
  });

  it('retries each batch of a window on its own; the position waits for the slowest', async () => {
    const s = stream();
    await s.put(Array.from({ length: 6 }, (_, i) => `w_${i}`));
    const consumer = s.consumer({ batchSize: 2, maxInFlight: 3 });
    let positionMeanwhile: string | null = null;
    const writer: TestWriter = new TestWriter(async (batch, signal) => {
      if (batch.rows[0]!.upstream_id === 'w_2' && batch.attempt < 4) {
        if (batch.attempt === 3) positionMeanwhile = (await runtime(consumer.id)).position;
        throw new SinkWriteError('flaky', { retryable: true });
      }
      return confirming(() => writer)(batch, signal);
    });
    start(consumer, writer, () => 30);
    await waitFor(async () => (await runtime(consumer.id)).position !== '0', 5_000, 'the window done');
    expect(positionMeanwhile).toBe('0');
    const byBatch = new Map<string, number[]>();
    for (const call of writer.calls) byBatch.set(call.keys[0]!, [...(byBatch.get(call.keys[0]!) ?? []), call.attempt]);
    expect([...byBatch.values()].sort((a, b) => a.length - b.length)).toEqual([[1], [1], [1, 2, 3, 4]]);
    expect((await runtime(consumer.id)).delivered_count).toBe(6);
  });

  it('opens a new writer when the last one is lost, and applies a reset', async () => {
    const s = stream();
    await s.put(['l1']);
    const consumer = s.consumer();
    const writer: TestWriter = new TestWriter(confirming(() => writer));
    const runner = start(consumer, writer);
    await waitFor(async () => writer.delivered.length === 1, 5_000, 'the first record');
    expect(writer.opened).toBe(1);
    writer.loseNow();
    await waitFor(async () => writer.opened === 2, 5_000, 'a new writer');
    expect(writer.closed).toBe(1);
    await runner.stop();

    // A reset to the start: everything again, in order.
    const rewound = { ...consumer, generation: 1, resetCount: 1, startIdx: 0n };
    expect((await sinkStatuses(ctx, [rewound])).get(consumer.id)!.lag).toBe(1);
    start(rewound, writer);
    await waitFor(async () => writer.delivered.length === 2, 5_000, 'the record again');
    expect(writer.delivered[1]).toBe(writer.delivered[0]);
    await runners.pop()!.stop();
    // Applied once: the same reset count again changes nothing.
    start(rewound, writer);
    await new Promise((r) => setTimeout(r, 300));
    expect(writer.delivered).toHaveLength(2);
  });

  it('counts lag and lag_seconds by selection, for many consumers in one statement', async () => {
    const s = stream();
    const old = new Date(Date.now() - 90_000);
    await s.put(['s1', 's2'], { changedAt: old });
    await s.put(['h1'], { collectionId: 'hubspot:contact' });
    const all = s.consumer();
    const stripeOnly = s.consumer({ selection: { streamId: s.streamId, syncId: s.syncId, collectionIds: null, provider: 'stripe' } });
    const hubspot = s.consumer({ selection: { streamId: s.streamId, syncId: null, collectionIds: ['hubspot:contact'], provider: null } });
    const otherSync = s.consumer({ selection: { streamId: s.streamId, syncId: randomUUID(), collectionIds: null, provider: null } });
    const statuses = await sinkStatuses(ctx, [all, stripeOnly, hubspot, otherSync]);
    expect([all, stripeOnly, hubspot, otherSync].map((c) => statuses.get(c.id)!.lag)).toEqual([3, 2, 1, 0]);
    expect(statuses.get(all.id)!.lagSeconds).toBeGreaterThanOrEqual(89);
    expect(statuses.get(hubspot.id)!.lagSeconds).toBeLessThan(10);
    expect(statuses.get(otherSync.id)!.lagSeconds).toBe(0);
  });

  it(`keeps the last ${DELIVERY_LOG_SIZE} attempts of the delivery log`, async () => {
    const s = stream();
    const total = DELIVERY_LOG_SIZE + 150;
    await s.put(Array.from({ length: total }, (_, i) => `log_${i}`));
    const consumer = s.consumer({ batchSize: 1 });
    const writer: TestWriter = new TestWriter(async (batch) => ({ status: 200, responseExcerpt: batch.rows[0]!.upstream_id }));
    start(consumer, writer);
    await waitFor(async () => (await runtime(consumer.id)).delivered_count === total, 60_000, 'every record delivered');
    await runners.pop()!.stop();
    const stored = Number((await db.pool.query('SELECT count(*) FROM sink_deliveries WHERE consumer_id = $1', [consumer.id])).rows[0].count);
    expect(stored).toBeGreaterThanOrEqual(DELIVERY_LOG_SIZE);
    expect(stored).toBeLessThanOrEqual(DELIVERY_LOG_SIZE + 100);
    const entries: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listSinkDeliveries(ctx, consumer.id, { limit: 400, ...(cursor ? { cursor } : {}) });
      entries.push(...page.data.map((d) => d.responseExcerpt!));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    // The newest first, the last 1,000 exactly.
    expect(entries).toEqual(Array.from({ length: DELIVERY_LOG_SIZE }, (_, i) => `log_${total - 1 - i}`));
  });
});
