import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { callGitHub } from '../../src/sync/providers/github/client.ts';
import { readHubSpotError } from '../../src/sync/providers/hubspot/client.ts';
import { MAX_UPSTREAM_MESSAGE_CHARS, requestJson, type ErrorReader } from '../../src/sync/providers/http-json.ts';
import { readJiraError } from '../../src/sync/providers/jira/errors.ts';
import { readAtlassianOAuthError } from '../../src/sync/providers/jira/oauth.ts';
import { UpstreamAuthError, UpstreamRequestError } from '../../src/sync/providers/provider.ts';
import { readOAuthError, readSalesforceError } from '../../src/sync/providers/salesforce/errors.ts';
import { readShopifyError } from '../../src/sync/providers/shopify/errors.ts';
import { callStripe } from '../../src/sync/providers/stripe/client.ts';
import { readZendeskError } from '../../src/sync/providers/zendesk/errors.ts';

const MARKER = 'INTERNAL-BODY-MARKER-5be1';
const readers: [string, ErrorReader | undefined][] = [
  ['default', undefined],
  ['hubspot', readHubSpotError],
  ['shopify', readShopifyError],
  ['jira', readJiraError],
  ['atlassian oauth', readAtlassianOAuthError],
  ['zendesk', readZendeskError],
  ['salesforce', readSalesforceError],
  ['salesforce oauth', readOAuthError],
];

const answering = (status: number, body: string, contentType = 'text/plain') => async () => new Response(body, { status, headers: { 'content-type': contentType } });

async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error as Error,
  );
  if (!outcome) throw new Error('expected the request to fail');
  return outcome;
}

describe('upstream error bodies reach tenants only as the provider\'s own error fields', () => {
  it.each(readers)('%s: a body that is not structured JSON becomes "HTTP <status>"', async (_name, reader) => {
    for (const [status, body] of [
      [400, `<html><body>proxy says ${MARKER}</body></html>`],
      [404, `plain text ${MARKER}`],
      [401, `denied ${MARKER}`],
      [422, JSON.stringify(`a JSON string ${MARKER}`)],
    ] as const) {
      const error = await failure(requestJson((answering(status, body) as unknown) as typeof fetch, { url: 'http://upstream.test/x' }, reader));
      expect(error).toBeInstanceOf(status === 401 ? UpstreamAuthError : UpstreamRequestError);
      expect(error.message).not.toContain(MARKER);
      expect(error.message).toMatch(new RegExp(`HTTP ${status}|http_${status}`));
      if (error instanceof UpstreamRequestError) expect(error.code).not.toContain(MARKER);
    }
  });

  it.each(readers)('%s: the provider\'s own message is kept, cut to a bounded length', async (name, reader) => {
    const long = 'm'.repeat(20_000);
    const fields = { message: long, error: 'invalid_request', error_description: long, errors: long, errorMessages: [long], description: long, category: 'VALIDATION_ERROR' };
    const body = JSON.stringify(name === 'salesforce' ? [{ message: long, errorCode: 'INVALID_FIELD' }] : fields);
    const error = await failure(requestJson((answering(400, body, 'application/json') as unknown) as typeof fetch, { url: 'http://upstream.test/x' }, reader));
    expect(error.message.length).toBeLessThanOrEqual(MAX_UPSTREAM_MESSAGE_CHARS);
    expect(error.message).toMatch(/m{100}/);
  });

  it('GitHub (Octokit): a body that is not JSON becomes "HTTP <status>"; its own message is kept', async () => {
    const httpError = (data: unknown) => Object.assign(new Error(typeof data === 'string' ? data : 'x'), { name: 'HttpError', status: 422, response: { status: 422, data } });
    const text = await failure(callGitHub(() => Promise.reject(httpError(`gateway page ${MARKER}`))));
    expect(text.message).toBe('HTTP 422');
    const own = await failure(callGitHub(() => Promise.reject(httpError({ message: 'Validation Failed' }))));
    expect(own.message).toBe('Validation Failed');
  });

  it('Stripe (SDK): the error message is cut to a bounded length', async () => {
    const error = await failure(callStripe(() => Promise.reject(new Stripe.errors.StripeInvalidRequestError({ message: 'x'.repeat(20_000), type: 'invalid_request_error' }))));
    expect(error).toBeInstanceOf(UpstreamRequestError);
    expect(error.message.length).toBeLessThanOrEqual(MAX_UPSTREAM_MESSAGE_CHARS);
  });
});
