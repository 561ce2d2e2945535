import type { AppContext } from '../../app-context.ts';
import { inSpan, traceparentOf, tracingEnabled, type Span } from '../../tracing.ts';
import type { RecordBatch } from './record-versions.ts';

/**
 * The span of one write of record versions (`syncline.records.append`: a batch of changes, or
 * backfill pages written by one statement), the child of the page fetch that read them.
 */
export function inWriteSpan<T>(batch: Omit<RecordBatch, 'objects'>, objects: number, work: (span: Span) => Promise<T>): Promise<T> {
  return inSpan(
    'syncline.records.append',
    () => ({
      attributes: {
        'syncline.sync.id': batch.syncId,
        'syncline.stream.id': batch.streamId,
        'syncline.collection': batch.collectionId,
        'syncline.records.source': batch.source,
        'syncline.records.objects': objects,
      },
    }),
    work,
  );
}

/**
 * After the write committed: its versions, positions (maxIdx - changed, maxIdx] of the stream,
 * keep the span's trace context (src/db/record-traces.ts), for their deliveries to hang from.
 */
export function noteWritten(ctx: AppContext, span: Span, streamId: string, maxIdx: bigint | null, changed: number): void {
  span.setAttribute('syncline.records.changed', changed);
  if (!tracingEnabled() || maxIdx === null || changed === 0) return;
  const traceparent = traceparentOf(span.spanContext());
  if (traceparent) ctx.recordTraces.note(streamId, maxIdx, changed, traceparent);
}
