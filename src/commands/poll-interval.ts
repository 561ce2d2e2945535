import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';

/** A sync's poll interval when its creator gives none (DESIGN §8). */
export const DEFAULT_POLL_INTERVAL_MS = 5_000;

/**
 * Refuses a poll interval under the operator's minimum (`SYNCLINE_MIN_POLL_INTERVAL_MS`): 422
 * `validation_failed` naming the minimum. Each polling sync sends its upstream at least one
 * request per interval, so the minimum bounds what one tenant's syncs can send.
 */
export function checkPollInterval(config: Config, pollIntervalMs: number | undefined): void {
  const minimum = config.SYNCLINE_MIN_POLL_INTERVAL_MS;
  if (pollIntervalMs === undefined || pollIntervalMs >= minimum) return;
  throw new AppError('validation_failed', `poll_interval_ms must be at least ${minimum}`, 422, [
    { path: 'pollIntervalMs', message: `at least ${minimum} ms (SYNCLINE_MIN_POLL_INTERVAL_MS)` },
  ]);
}

/** The interval given, or the default raised to the operator's minimum. */
export const pollIntervalOrDefault = (config: Config, pollIntervalMs: number | undefined): number =>
  pollIntervalMs ?? Math.max(DEFAULT_POLL_INTERVAL_MS, config.SYNCLINE_MIN_POLL_INTERVAL_MS);
