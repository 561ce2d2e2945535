import { bodyTooLargeCause } from './http/bounded-body.ts';
import { CursorStalledError } from './cursor-progress.ts';
import { UpstreamPageTooLargeError } from './providers/read-budgeted-session.ts';

/**
 * Step failures that retrying cannot cure: the upstream's answer is over the size limit (it would
 * be again), a page holds too many objects, or its listing does not advance. The runner puts the sync in `error` with this code
 * and message and stops the run (like an upstream auth failure) until the sync is resumed or
 * updated, its credential changes, or the server restarts.
 */
export function haltingError(error: unknown): { code: string; message: string } | null {
  const tooLarge = bodyTooLargeCause(error);
  if (tooLarge) return { code: tooLarge.code, message: tooLarge.message };
  if (error instanceof CursorStalledError || error instanceof UpstreamPageTooLargeError) return { code: error.code, message: error.message };
  return null;
}
