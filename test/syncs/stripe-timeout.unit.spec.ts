import { describe, expect, it } from 'vitest';
import { callStripe, createStripeClient, STRIPE_REQUEST_TIMEOUT_MS, StripeTimeoutError } from '../../src/sync/providers/stripe/client.ts';

/**
 * A Stripe request that never answers used to hold its collection for the SDK's default 80 s
 * with nothing in the sync's status. Now the call is abandoned after the client's timeout with a
 * StripeTimeoutError, whose message the sync runner logs and stores as the sync's last_error.
 */
describe('Stripe client timeout', () => {
  it('abandons a request that never answers with a StripeTimeoutError naming the timeout', async () => {
    let aborted = false;
    const neverAnswers: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => {
          aborted = true;
          reject(init.signal!.reason as Error);
        });
      });
    const credential = { accessToken: 'sk_test_timeout', apiBaseUrl: 'http://127.0.0.1:9' } as Parameters<typeof createStripeClient>[0]['credential'];
    const stripe = createStripeClient({ credential, fetch: neverAnswers, oauth: null }, 200);
    const error = await callStripe(() => stripe.customers.list({ limit: 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StripeTimeoutError);
    expect((error as StripeTimeoutError).timeoutMs).toBe(200);
    expect((error as Error).message).toMatch(/did not answer within 0.2 s/);
    expect(aborted).toBe(true);
  });

  it('defaults to 30 s instead of the SDK 80 s', () => {
    expect(STRIPE_REQUEST_TIMEOUT_MS).toBe(30_000);
  });
});
