/**
 * Delivery spans (docs/OPERATIONS.md "Traces"): each is a child of the span that wrote the first
 * record it delivers (src/db/record-traces.ts) and links the writers of the others, so a record's
 * trace runs from its upstream fetch to its delivery. Only while tracing is on: off, no lookup.
 */
import type { AppContext } from '../app-context.ts';
import { traceparentsAt, traceparentsOf, type RecordRef } from '../db/record-traces.ts';
import { batchTokenIndex, sameBatch } from './http/ack-tokens.ts';
import { activeSpanLink, deliveredFrom, inSpan, spanDone, SpanKind, tracingEnabled, type Attributes, type Span } from '../tracing.ts';

/**
 * The records' traces of messages /next answered here, so that their ack needs no lookup: per lease
 * batch (an ack token names its batch and its index in it, ack-tokens.ts), the traceparent of each
 * index. One entry per batch, not per token: a map of 100,000 tokens cost a consumer's /next and
 * ack more CPU than their spans.
 */
const tracesByBatch = new Map<string, BatchTraces>();
/** The traceparent of each index of a batch not acked yet, and how many those are. */
interface BatchTraces {
  byIndex: (string | undefined)[];
  left: number;
}
/** About 10 MB at most. */
const MAX_BATCHES = 10_000;

/**
 * Reads tokens one after the other (ack-tokens.ts): `index(token)` answers the token's index in its
 * lease batch and leaves the batch's key in `batch`, built once per batch (a key, and parts, per
 * token made most of the garbage tracing added on the consume path). A per-message (version 4)
 * token is its own batch of one.
 */
class TokenSlots {
  batch = '';
  private last = '';

  index(token: string): number {
    const index = batchTokenIndex(token);
    if (index < 0) {
      this.batch = token;
      this.last = '';
      return 0;
    }
    if (!this.last || !sameBatch(token, this.last)) {
      this.last = token;
      this.batch = `${token.slice(0, 15)}${token.slice(18)}`.toLowerCase();
    }
    return index;
  }
}

/** Distinct, in the order of the records; undefined (no trace known) left out. */
const distinct = (traceparents: Iterable<string | undefined>): string[] => {
  const found = new Set(traceparents);
  found.delete(undefined);
  return [...found] as string[];
};

/** A delivery to a push target (NATS publish, webhook POST, PostgreSQL batch) of `idxs` of `streamId`, `work` in its span. */
export async function inDeliverySpan<T>(
  ctx: AppContext,
  name: string,
  records: { streamId: string; idxs: readonly (string | bigint)[] },
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return inSpan(name, {}, work);
  const from = deliveredFrom(distinct(await traceparentsAt(ctx.pool, records.streamId, records.idxs)));
  return inSpan(name, { kind: SpanKind.PRODUCER, attributes: { ...attributes, 'syncline.records': records.idxs.length }, ...from }, work);
}

/**
 * An HTTP consumer's /next answer, done since `startTime`: its span in the trace of the records
 * delivered. Not awaited by the answer: the lookup is off the consumer's path.
 */
export function nextDone(
  ctx: AppContext,
  startTime: number,
  streamId: string,
  delivered: readonly { updatedIdx: string; ackToken: string }[],
  attributes: Attributes,
): void {
  if (!tracingEnabled() || delivered.length === 0) return;
  const asker = activeSpanLink();
  void traceparentsAt(ctx.pool, streamId, delivered.map((m) => m.updatedIdx)).then(
    (traces) => {
      const slots = new TokenSlots();
      let batch = '';
      let entry: BatchTraces | undefined;
      delivered.forEach((m, i) => {
        const traceparent = traces[i];
        if (!traceparent) return;
        const index = slots.index(m.ackToken);
        if (slots.batch !== batch || !entry) {
          batch = slots.batch;
          entry = tracesByBatch.get(batch);
          if (!entry) tracesByBatch.set(batch, (entry = { byIndex: [], left: 0 }));
        }
        if (entry.byIndex[index] !== undefined) return;
        entry.byIndex[index] = traceparent;
        entry.left++;
      });
      for (const key of tracesByBatch.keys()) {
        if (tracesByBatch.size <= MAX_BATCHES) break;
        tracesByBatch.delete(key);
      }
      const ordered = distinct(traces);
      const { parent, links = [] } = deliveredFrom(ordered);
      spanDone('syncline.consumer.next', startTime, { kind: SpanKind.CONSUMER, attributes: { ...attributes, 'syncline.records': delivered.length }, ...(parent ? { parent } : {}), links: [...links, ...asker] });
    },
    (error: unknown) => ctx.logger.debug({ err: error }, 'trace lookup failed'),
  );
}

/**
 * An HTTP consumer's ack, done since `startTime`: its span in the trace of the records acked
 * (those /next answered on another instance, at their current version). Not awaited either.
 */
export function ackDone(ctx: AppContext, startTime: number, acked: readonly (RecordRef & { ackToken: string })[], attributes: Attributes): void {
  if (!tracingEnabled() || acked.length === 0) return;
  const asker = activeSpanLink();
  const known: string[] = [];
  const unknown: RecordRef[] = [];
  const slots = new TokenSlots();
  let batch = '';
  let entry: BatchTraces | undefined;
  for (const m of acked) {
    const index = slots.index(m.ackToken);
    if (slots.batch !== batch) {
      batch = slots.batch;
      entry = tracesByBatch.get(batch);
    }
    const traceparent = entry?.byIndex[index];
    if (!entry || !traceparent) {
      unknown.push(m);
      continue;
    }
    known.push(traceparent);
    entry.byIndex[index] = undefined;
    if (--entry.left === 0) tracesByBatch.delete(batch);
  }
  void (unknown.length === 0 ? Promise.resolve([]) : traceparentsOf(ctx.pool, unknown)).then(
    (looked) => {
      const { parent, links = [] } = deliveredFrom(distinct([...known, ...looked]));
      spanDone('syncline.consumer.ack', startTime, { kind: SpanKind.CONSUMER, attributes: { ...attributes, 'syncline.records': acked.length }, ...(parent ? { parent } : {}), links: [...links, ...asker] });
    },
    (error: unknown) => ctx.logger.debug({ err: error }, 'trace lookup failed'),
  );
}

/** A push consumer's attempt at a batch: `syncline.sink.<kind>` (nats: the publishes, webhook: the POST, postgres: the batch's statement). */
export function inSinkSpan<T>(
  ctx: AppContext,
  consumer: { kind: string; id: string; selection: { streamId: string } },
  batch: { id: string; attempt: number; rows: readonly { updated_idx: string | bigint }[] },
  work: () => Promise<T>,
): Promise<T> {
  const attributes = { 'syncline.consumer.id': consumer.id, 'syncline.consumer.kind': consumer.kind, 'syncline.batch.id': batch.id, 'syncline.batch.attempt': batch.attempt };
  return inDeliverySpan(ctx, `syncline.sink.${consumer.kind}`, { streamId: consumer.selection.streamId, idxs: batch.rows.map((r) => r.updated_idx) }, attributes, work);
}
