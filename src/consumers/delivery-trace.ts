/**
 * Delivery spans (docs/OPERATIONS.md "Traces"): each is a child of the span that wrote the first
 * record it delivers (src/db/record-traces.ts) and links the writers of the others, so a record's
 * trace runs from its upstream fetch to its delivery. Only while tracing is on: off, no lookup.
 */
import type { AppContext } from '../app-context.ts';
import { traceparentsAt, traceparentsOf, type RecordRef } from '../db/record-traces.ts';
import { activeSpanLink, deliveredFrom, inSpan, spanDone, SpanKind, tracingEnabled, type Attributes, type Span } from '../tracing.ts';

/** Ack tokens of messages /next answered here, with their records' traces: an ack then needs no lookup. */
const tracesByToken = new Map<string, string>();
/** About 10 MB at most. */
const MAX_TOKENS = 100_000;

/** Distinct, in the order of the records. */
const distinct = (traceparents: Iterable<string>) => [...new Set(traceparents)];

/** A delivery to a push target (NATS publish, webhook POST, PostgreSQL batch) of `idxs` of `streamId`, `work` in its span. */
export async function inDeliverySpan<T>(
  ctx: AppContext,
  name: string,
  records: { streamId: string; idxs: readonly (string | bigint)[] },
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return inSpan(name, {}, work);
  const from = deliveredFrom(distinct((await traceparentsAt(ctx.pool, records.streamId, records.idxs)).values()));
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
      for (const m of delivered) {
        const traceparent = traces.get(m.updatedIdx);
        if (traceparent) tracesByToken.set(m.ackToken, traceparent);
      }
      for (const token of tracesByToken.keys()) {
        if (tracesByToken.size <= MAX_TOKENS) break;
        tracesByToken.delete(token);
      }
      const ordered = distinct(delivered.flatMap((m) => traces.get(m.updatedIdx) ?? []));
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
  const known = acked.flatMap((m) => tracesByToken.get(m.ackToken) ?? []);
  const unknown = acked.filter((m) => !tracesByToken.has(m.ackToken));
  for (const m of acked) tracesByToken.delete(m.ackToken);
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
