import { describe, expect, it } from 'vitest';
import { StaleRunError } from '../../src/domain/syncs/decide.ts';
import { EgressRefusedError } from '../../src/errors.ts';
import { CursorStalledError } from '../../src/sync/cursor-progress.ts';
import { UpstreamAuthError } from '../../src/sync/providers/provider.ts';
import { UpstreamPageTooLargeError } from '../../src/sync/providers/read-budgeted-session.ts';
import { classifyStepFailure } from '../../src/sync/step-failure.ts';

describe('step failures', () => {
  it('tells apart what a step failure means for the collection', () => {
    expect(classifyStepFailure(new StaleRunError('s1'), 'Stripe')).toEqual({ kind: 'stale_run' });
    const stalled = new CursorStalledError(20, 'the Stripe events feed did not end');
    expect(classifyStepFailure(stalled, 'Stripe')).toEqual({ kind: 'halting', code: 'upstream_cursor_stalled', message: stalled.message });
    const tooLarge = new UpstreamPageTooLargeError(5000, 'customers');
    expect(classifyStepFailure(tooLarge, 'Stripe')).toEqual({ kind: 'halting', code: 'upstream_page_too_large', message: tooLarge.message });
    expect(classifyStepFailure(new UpstreamAuthError('Invalid API Key provided', 401), 'Stripe')).toEqual({
      kind: 'credential_rejected',
      message: 'Stripe rejected the credential (HTTP 401): Invalid API Key provided',
    });
  });

  it('retries anything else, with the egress code when the policy refused the connection', () => {
    const refused = new EgressRefusedError('internal.example', 'private', '127.0.0.1');
    expect(classifyStepFailure(refused, 'Stripe')).toEqual({ kind: 'retryable', code: 'egress_refused', message: refused.message, error: refused });
    const other = new Error('socket hang up');
    expect(classifyStepFailure(other, 'Stripe')).toEqual({ kind: 'retryable', code: 'upstream_error', message: 'socket hang up', error: other });
  });
});
