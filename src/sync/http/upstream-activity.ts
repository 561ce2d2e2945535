/** Why a sync's request is not on the wire: waiting for a rate-limit slot (or an upstream pause), or a retry's backoff. */
export type UpstreamWaitReason = 'rate_limit' | 'backoff' | 'step_retry';

/**
 * Told by the engine's fetch of each request as it is sent and of each wait as it starts; each
 * call returns the function that ends it. What the sync's status shows as in flight.
 */
export interface UpstreamActivity {
  /** `request`: `METHOD /path` (no query: it may carry secrets). */
  request(request: string): () => void;
  /** `ms`: how long the wait is known to last, null when unknown (a rate-limit slot). */
  waiting(reason: UpstreamWaitReason, ms: number | null): () => void;
}
