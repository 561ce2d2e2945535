import { describe, expect, it } from 'vitest';
import { egressFetch } from '../../../src/net/egress-fetch.ts';
import { redactSecrets, upstreamErrorMessage } from '../../../src/sync/http/error-cause.ts';
import { freePort } from '../../support/free-port.ts';

describe('upstreamErrorMessage', () => {
  it('names the refused connection that fetch hides behind "fetch failed"', async () => {
    const port = await freePort();
    const failure = await egressFetch({ SYNCLINE_EGRESS_ALLOW: '127.0.0.1/32' })(`http://127.0.0.1:${port}/v1/customers`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((failure as Error).message).toBe('fetch failed');
    const message = upstreamErrorMessage(failure);
    expect(message).toMatch(/^fetch failed: /);
    expect(message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('follows the Stripe SDK detail and adds a code the message lacks', () => {
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const stripe = Object.assign(new Error('An error occurred with our connection to Stripe.'), { detail: tls });
    expect(upstreamErrorMessage(stripe)).toBe('An error occurred with our connection to Stripe.: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
  });

  it('takes the first refusal of several addresses and stops at cycles', () => {
    const first = Object.assign(new Error('connect ECONNREFUSED ::1:443'), { code: 'ECONNREFUSED' });
    const aggregate = new AggregateError([first, new Error('connect ECONNREFUSED 127.0.0.1:443')], '');
    const outer = new TypeError('fetch failed', { cause: aggregate });
    (first as { cause?: unknown }).cause = outer;
    expect(upstreamErrorMessage(outer)).toBe('fetch failed: connect ECONNREFUSED ::1:443');
  });

  it('never carries credentials', () => {
    const error = new Error('GET https://user:pa55@api.example.test/x?access_token=abc123&page=2 failed with Bearer sk_live_4242abcd', {
      cause: new Error('rejected sk_test_51Habc'),
    });
    const message = upstreamErrorMessage(error);
    for (const secret of ['pa55', 'abc123', 'sk_live_4242abcd', 'sk_test_51Habc']) expect(message).not.toContain(secret);
    expect(message).toContain('page=2');
    expect(redactSecrets('Basic dXNlcjpwYXNz')).toBe('Basic [redacted]');
  });

  it('bounds what it keeps', () => {
    expect(upstreamErrorMessage(new Error('x'.repeat(5000))).length).toBeLessThanOrEqual(500);
    expect(upstreamErrorMessage(undefined)).toBe('unknown upstream error');
  });
});
