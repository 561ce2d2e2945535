import type { SinkDeadLetter } from '../consumers/sinks/dead-letters.ts';
import type { SinkDeliveryEntry } from '../consumers/sinks/deliveries.ts';
import type { SinkStatus } from '../consumers/sinks/status.ts';

/*
 * What every push consumer answers of its sink runner (DESIGN.md §7b) in REST's snake_case: its
 * status, its delivery log and its dead letters. Each kind names the batch id its own way
 * (`webhook_id`, `batch_id`).
 */

/** `state, lag, lag_seconds, last_delivered_at, last_error`. */
export function presentSinkStatus(status: SinkStatus) {
  return {
    state: status.state,
    lag: status.lag,
    lag_seconds: status.lagSeconds,
    last_delivered_at: status.lastDeliveredAt,
    last_error: status.lastError,
  };
}

/** The batch id under the kind's name for it. */
const batchIdAs = <K extends string>(name: K, batchId: string) => ({ [name]: batchId }) as Record<K, string>;

/** One attempt of the delivery log, its batch id named `idName`. */
export function presentDeliveryAttempt<K extends string>(entry: SinkDeliveryEntry, idName: K) {
  return {
    at: entry.at.toISOString(),
    ...batchIdAs(idName, entry.batchId),
    batch_size: entry.batchSize,
    status: entry.status,
    latency_ms: entry.latencyMs,
    error: entry.error,
    response_excerpt: entry.responseExcerpt,
  };
}

/** A dead letter, the id of its last batch named `idName`. */
export function presentDeadLetter<K extends string>(letter: SinkDeadLetter, idName: K) {
  return {
    sync_id: letter.syncId,
    collection_id: letter.collectionId,
    upstream_id: letter.upstreamId,
    updated_idx: Number(letter.updatedIdx),
    ...batchIdAs(idName, letter.batchId),
    attempts: letter.attempts,
    last_error: letter.lastError,
    first_attempt_at: letter.firstAttemptAt.toISOString(),
    last_attempt_at: letter.lastAttemptAt.toISOString(),
    dead_at: letter.deadAt.toISOString(),
    redelivery_pending: letter.redeliveryPending,
  };
}
