import type { ConsumerHealthEvent, ConsumerHealthRef } from './events.ts';

/**
 * The health event of a change of the error a runner shows: failing once it shows one after none,
 * recovered once it shows none after one. A different error while failing is no change of health.
 */
export function healthChange(ref: ConsumerHealthRef, shown: string | null, next: string | null, now: Date): ConsumerHealthEvent | null {
  const at = now.toISOString();
  if (shown === null && next !== null) return { type: 'ConsumerFailed', data: { ...ref, message: next, at } };
  if (shown !== null && next === null) return { type: 'ConsumerRecovered', data: { ...ref, at } };
  return null;
}
