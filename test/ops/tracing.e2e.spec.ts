import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../src/emulators/stripe/index.ts';
import { spanContextOf, startTracing, tracesExporterWanted, tracingEnabled, type Tracing } from '../../src/tracing.ts';
import { restClient, type RestClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { createStripeSync, waitForBackfill } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { WebhookInbox } from '../support/webhook-inbox.ts';
import { addStream, connectNats, deleteStream, SHARED_NATS, streamMessageCount, uniqueName } from '../support/nats.ts';

/**
 * OpenTelemetry traces (docs/OPERATIONS.md "Traces"): off by default, with nothing recorded or
 * stored; on (the SDK with an in-memory exporter), one record's trace runs from the upstream
 * fetch of its page to the HTTP consumer's /next and ack, and webhook deliveries carry the
 * `traceparent` of their span.
 */

const CUSTOMERS = 3;

interface Run {
  server: TestServer;
  emulator: StripeEmulator;
  api: RestClient;
  syncId: string;
  streamId: string;
  inbox: WebhookInbox;
}

async function startRun(): Promise<Run> {
  const emulator = await startStripeEmulator({ seed: { customer: CUSTOMERS }, randomSeed: 26 });
  const server = await startTestServer({ LOG_LEVEL: 'warn' });
  const api = restClient(server.url, ROOT_TOKEN);
  const { sync } = await createStripeSync(api, emulator, { collections: ['customer'] });
  await waitForBackfill(api, sync.id, 30_000);
  const inbox = new WebhookInbox();
  await inbox.start();
  return { server, emulator, api, syncId: sync.id, streamId: sync.stream_id, inbox };
}

async function stopRun(run: Run | undefined): Promise<void> {
  await run?.server.stop();
  await run?.emulator.close();
  await run?.inbox.close();
}

/** An update made upstream, polled into a new version of the record (the changes path: append and projection). */
async function changeUpstream(run: Run, customerId: string, name: string): Promise<void> {
  run.emulator.change('POST', `/v1/customers/${customerId}`, `name=${name}`);
  await waitFor(
    async () => {
      const { rows } = await run.server.app.ctx.pool.query(`SELECT 1 FROM records WHERE upstream_id = $1 AND data->>'name' = $2`, [customerId, name]);
      return rows.length > 0;
    },
    20_000,
    'the change to be synced',
  );
}

async function webhookDelivery(run: Run) {
  const created = await run.api.post('/v1/webhook-consumers', { name: 'traced', url: run.inbox.url, stream_id: run.streamId });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await run.inbox.arrivals(1, 'a webhook delivery', 20_000);
  return run.inbox.arrived[0]!;
}

describe('tracing off (no OTEL_* variables)', () => {
  let run: Run | undefined;
  afterAll(() => stopRun(run));

  it('starts no SDK: the API tracer records nothing, no trace context is stored or sent', async () => {
    expect(tracesExporterWanted({})).toBeNull();
    expect(tracesExporterWanted({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBeNull();
    expect(tracesExporterWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe('otlp');
    expect(await startTracing({})).toBeNull();
    expect(tracingEnabled()).toBe(false);
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);

    run = await startRun();
    await changeUpstream(run, run.emulator.objects('customer')[0]!.id as string, 'Untraced');
    const delivery = await webhookDelivery(run);
    expect(delivery.headers.get('traceparent')).toBeNull();
    const { rows } = await run.server.app.ctx.pool.query('SELECT count(*)::int AS n FROM record_traces');
    expect(rows[0].n).toBe(0);
  }, 90_000);
});

describe('tracing on (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | null = null;
  let run: Run | undefined;

  afterAll(async () => {
    await stopRun(run);
    await tracing?.shutdown();
  });

  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((s) => s.name === name);
  const byId = (spanId: string | undefined) => spans().find((s) => s.spanContext().spanId === spanId);
  const parentOf = (span: ReadableSpan) => byId(span.parentSpanContext?.spanId);
  const childrenOf = (span: ReadableSpan) => spans().filter((s) => s.parentSpanContext?.spanId === span.spanContext().spanId);

  it('shows one record from the upstream fetch of its page to /next and the ack, parent to child', async () => {
    tracing = await startTracing({}, exporter);
    expect(tracingEnabled()).toBe(true);
    run = await startRun();
    const customerId = run.emulator.objects('customer')[0]!.id as string;
    await changeUpstream(run, customerId, 'Traced');

    const consumer = await run.api.post('/v1/http-consumers', { name: 'traced', sync_id: run.syncId });
    expect(consumer.status, JSON.stringify(consumer.body)).toBe(201);
    const next = await run.api.post(`/v1/http-consumers/${consumer.body.id}/next`, { batch_size: 10 });
    expect(next.status).toBe(200);
    const message = next.body.find((m: { record: { upstream_id: string } }) => m.record.upstream_id === customerId);
    expect(message.record.data.name).toBe('Traced');
    const acked = await run.api.post(`/v1/http-consumers/${consumer.body.id}/ack`, { ack_tokens: [message.ack_token] });
    expect(acked.body).toEqual({ acked: 1, invalid_ack_tokens: [] });

    // The ack hangs from the write of the record's current version: the poll's append…
    // Their spans end once the answer is sent (the lookup of the records' traces is off the consumer's path).
    const ack = await waitFor(async () => named('syncline.consumer.ack')[0] ?? null, 10_000, 'the ack span');
    expect(ack?.attributes).toMatchObject({ 'syncline.consumer.id': consumer.body.id, 'syncline.consumer.kind': 'http', 'syncline.records': 1 });
    const append = parentOf(ack)!;
    expect(append.name).toBe('syncline.records.append');
    expect(append.attributes).toMatchObject({ 'syncline.sync.id': run.syncId, 'syncline.collection': 'stripe:customer', 'syncline.records.source': 'changes', 'syncline.records.changed': 1 });
    // …which projected the version…
    expect(childrenOf(append).map((s) => s.name)).toContain('syncline.records.project');
    // …inside the page read from upstream, the root of the trace…
    const page = parentOf(append)!;
    expect(page.name).toBe('syncline.sync.page');
    expect(page.attributes).toMatchObject({ 'syncline.provider': 'stripe', 'syncline.collection': 'stripe:customer', 'syncline.sync.phase': 'changes' });
    expect(page.parentSpanContext).toBeUndefined();
    // …whose upstream request is its child.
    const requests = childrenOf(page).filter((s) => s.name === 'syncline.upstream.request');
    expect(requests.length).toBeGreaterThan(0);
    expect(requests[0]!.attributes).toMatchObject({
      'syncline.provider': 'stripe',
      'syncline.collection': 'stripe:customer',
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'syncline.upstream.attempts': 1,
    });
    expect(requests[0]!.attributes['syncline.upstream.rate_limit_wait_ms']).toBeTypeOf('number');
    // One trace, from the fetch to the ack.
    expect(new Set([ack, append, page, requests[0]!].map((s) => s.spanContext().traceId)).size).toBe(1);

    // /next delivered records of the backfill and of the poll: a child of the first's write, linked to the other's.
    const delivered = await waitFor(async () => named('syncline.consumer.next')[0] ?? null, 10_000, 'the /next span');
    expect(delivered?.attributes['syncline.records']).toBe(CUSTOMERS);
    const writers = [delivered.parentSpanContext?.spanId, ...delivered.links.map((l) => l.context.spanId)];
    expect(writers).toContain(append.spanContext().spanId);
    expect(parentOf(delivered)?.name).toBe('syncline.records.append');

    // Both link to the API requests that asked, named by route.
    const ackRequest = spans().find((s) => s.name === 'POST /v1/http-consumers/:id/ack');
    expect(ackRequest?.attributes).toMatchObject({ 'http.route': '/v1/http-consumers/:id/ack', 'http.response.status_code': 200 });
    expect(ack.links.map((l) => l.context.spanId)).toContain(ackRequest!.spanContext().spanId);
  }, 90_000);

  it('sends the delivery span as traceparent on webhook POSTs, a child of the records’ write', async () => {
    const delivery = await webhookDelivery(run!);
    const traceparent = delivery.headers.get('traceparent');
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const sent = spanContextOf(traceparent!)!;
    const sink = await waitFor(async () => byId(sent.spanId) ?? null, 10_000, 'the delivery span to end');
    expect(sink.name).toBe('syncline.sink.webhook');
    expect(sink.spanContext().traceId).toBe(sent.traceId);
    expect(sink.attributes).toMatchObject({ 'syncline.consumer.kind': 'webhook', 'syncline.batch.attempt': 1, 'syncline.records': delivery.json<{ data: unknown[] }>().data.length });
    expect(parentOf(sink)?.name).toBe('syncline.records.append');
  }, 60_000);

  it('sends the delivery span as traceparent in NATS message headers', async () => {
    const nc = await connectNats(SHARED_NATS);
    const jetStream = uniqueName('SYNCLINE-TRACE').toUpperCase();
    const subjectPrefix = uniqueName('traced');
    await addStream(nc, jetStream, subjectPrefix, { latestOnly: true });
    try {
      const created = await run!.api.post('/v1/nats-consumers', {
        sync_id: run!.syncId,
        name: 'traced',
        subject_prefix: subjectPrefix,
        nats: { host: SHARED_NATS.host, port: SHARED_NATS.port, tls: false },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      await waitFor(async () => (await streamMessageCount(nc, jetStream)) === CUSTOMERS, 20_000, 'the records to be published');
      const message = await (await nc.jetstream().consumers.get(jetStream)).next();
      const traceparent = message?.headers?.get('traceparent') ?? '';
      expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const sink = await waitFor(async () => byId(spanContextOf(traceparent)!.spanId) ?? null, 10_000, 'the publish span to end');
      expect(sink.name).toBe('syncline.sink.nats');
      expect(parentOf(sink)?.name).toBe('syncline.records.append');
    } finally {
      await deleteStream(nc, jetStream);
      await nc.close();
    }
  }, 60_000);
});
