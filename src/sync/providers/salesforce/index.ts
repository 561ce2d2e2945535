import { bearerFetch } from '../../oauth/bearer-fetch.ts';
import { UpstreamAuthError, type Provider } from '../provider.ts';
import { SalesforceApi } from './api.ts';
import { salesforceCollections } from './collections.ts';
import { isSalesforceRateLimited } from './errors.ts';
import { salesforceOAuth } from './oauth.ts';
import { SalesforceSession } from './session.ts';

export const salesforceProvider: Provider = {
  name: 'salesforce',
  displayName: 'Salesforce',
  credentialKinds: ['salesforce_oauth2'],
  collections: salesforceCollections.map(({ id, name, mutations }) => ({ id, name, mutations })),
  // Salesforce limits API requests per org per rolling 24 hours (100,000 + per-licence extra on
  // Enterprise Edition) and 25 long-running ones at once, not per second: a steady 5/s stays
  // clear of the concurrency limit; the daily budget is the poll interval's business (docs).
  defaultRateLimit: { allowedRequests: 5, intervalSeconds: 1, maxConcurrentRequests: 3 },
  isRateLimited: isSalesforceRateLimited,
  oauth: salesforceOAuth,
  connect(context) {
    if (!context.oauth) throw new UpstreamAuthError('Salesforce credentials need OAuth tokens (salesforce_oauth2)', 401);
    return new SalesforceSession(new SalesforceApi(bearerFetch(context.fetch, context.oauth), context.oauth));
  },
};
