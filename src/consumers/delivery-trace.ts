/**
 * Delivery spans (docs/OPERATIONS.md "Traces"): each is a child of the span that wrote the first
 * record it delivers (src/db/record-traces.ts) and links the writers of the others, so a record's
 * trace runs from its upstream fetch to its delivery. Only while tracing is on: off, no lookup.
 */
import type { AppContext } from '../app-context.ts';
import { traceparentsAt, traceparentsOf, type RecordRef } from '../db/record-traces.ts';
import { activeSpanLink, deliveredFrom, inSpan, spanDone, SpanKind, tracingEnabled, type Attributes, type Span } from '../tracing.ts';

/** A delivery to a push target (NATS publish, webhook POST, PostgreSQL batch) of `idxs` of `streamId`, `work` in its span. */
export async function inDeliverySpan<T>(
  ctx: AppContext,
  name: string,
  records: { streamId: string; idxs: readonly (string | bigint)[] },
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return inSpan(name, {}, work);
  const from = deliveredFrom(await traceparentsAt(ctx.pool, records.streamId, records.idxs));
  return inSpan(name, { kind: SpanKind.PRODUCER, attributes: { ...attributes, 'syncline.records': records.idxs.length }, ...from }, work);
}

/** An HTTP consumer's /next answer, done since `startTime`: its span in the trace of the records delivered. */
export async function nextDone(ctx: AppContext, startTime: number, records: { streamId: string; idxs: readonly string[] }, attributes: Attributes): Promise<void> {
  if (!tracingEnabled() || records.idxs.length === 0) return;
  const { parent, links = [] } = deliveredFrom(await traceparentsAt(ctx.pool, records.streamId, records.idxs));
  spanDone('syncline.consumer.next', startTime, { kind: SpanKind.CONSUMER, attributes: { ...attributes, 'syncline.records': records.idxs.length }, ...(parent ? { parent } : {}), links: [...links, ...activeSpanLink()] });
}

/** An HTTP consumer's ack, done since `startTime`: its span in the trace of the records acked (at their current version). */
export async function ackDone(ctx: AppContext, startTime: number, acked: readonly RecordRef[], attributes: Attributes): Promise<void> {
  if (!tracingEnabled() || acked.length === 0) return;
  const { parent, links = [] } = deliveredFrom(await traceparentsOf(ctx.pool, acked));
  spanDone('syncline.consumer.ack', startTime, { kind: SpanKind.CONSUMER, attributes: { ...attributes, 'syncline.records': acked.length }, ...(parent ? { parent } : {}), links: [...links, ...activeSpanLink()] });
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
