import { upstreamErrorMessage } from './http/error-cause.ts';
import { StaleRunError } from '../domain/syncs/decide.ts';
import { EgressRefusedError } from '../errors.ts';
import { haltingError } from './halting-errors.ts';
import { ChangesExpiredError, UpstreamAuthError } from './providers/provider.ts';

/** Why a collection's step did not complete, as collection-step.ts decides on it. */
export type StepFailure =
  /** The run was stopped (by the scheduler, or by another collection's halt) while the step was in flight. */
  | { kind: 'stopped' }
  /** A newer run of the sync (resync, update, lease lost) refused this one's checkpoint. */
  | { kind: 'stale_run' }
  /** Retrying cannot help (halting-errors.ts). */
  | { kind: 'halting'; code: string; message: string }
  /** The upstream refused the credential: nothing to do until it or the sync changes. */
  | { kind: 'credential_rejected'; message: string }
  /** The upstream no longer keeps the changes after the collection's cursor: the collection is listed afresh. */
  | { kind: 'changes_expired'; code: string; message: string }
  /** Anything else: retried with backoff. */
  | { kind: 'retryable'; code: string; message: string; error: unknown };

/** What an error thrown by a step means for the collection (a stopped run is told apart by the runner). */
export function classifyStepFailure(error: unknown, providerName: string): StepFailure {
  if (error instanceof StaleRunError) return { kind: 'stale_run' };
  const halt = haltingError(error);
  if (halt) return { kind: 'halting', ...halt };
  if (error instanceof ChangesExpiredError) return { kind: 'changes_expired', code: error.code, message: `${providerName}: ${error.message}; resyncing the collection from a full listing` };
  if (error instanceof UpstreamAuthError) {
    return { kind: 'credential_rejected', message: `${providerName} rejected the credential (HTTP ${error.status}): ${error.message}` };
  }
  return { kind: 'retryable', code: error instanceof EgressRefusedError ? error.code : 'upstream_error', message: upstreamErrorMessage(error), error };
}
