/** The Salesforce provider's conformance target: a connected app's refresh token against the emulator (login host and instance in one). */

import { startSalesforceEmulator, type SalesforceEmulator } from '../../../src/emulators/salesforce/index.ts';
import type { ConformanceTarget } from '../conformance/target.ts';

const UPDATED_TITLE = 'Updated by Syncline';

export const salesforceConformanceTarget: ConformanceTarget<SalesforceEmulator> = {
  provider: 'salesforce',
  collections: ['salesforce:contact', 'salesforce:account', 'salesforce:opportunity', 'salesforce:lead'],
  // Batches smaller than the 2,000 default (Salesforce may answer fewer than asked) so the backfill pages.
  startEmulator: ({ objects, randomSeed, rateLimit }) => startSalesforceEmulator({ objects, randomSeed, rateLimit: rateLimit ?? null, defaultBatchSize: 50 }),
  credential: async (api, emulator) => {
    const app = await api.post('/v1/oauth-apps', { provider: 'salesforce', client_id: emulator.client.clientId, client_secret: emulator.client.clientSecret });
    if (app.status !== 201) throw new Error(`POST /v1/oauth-apps answered ${app.status}: ${JSON.stringify(app.body)}`);
    return { kind: 'salesforce_oauth2', refresh_token: emulator.issueRefreshToken(), oauth_app_id: app.body.id, api_base_url: emulator.url };
  },
  upstreamId: (_collectionId, object) => object.Id as string,
  expireAccessTokens: (emulator) => emulator.expireAccessTokens(),
  refreshGrants: (emulator) => emulator.grants.refresh_token,
  mutation: {
    collectionId: 'salesforce:contact',
    create: { FirstName: 'Conformance', LastName: 'Contact', Email: 'conformance.contact@example.com', Title: 'Tester' },
    update: { Title: UPDATED_TITLE },
    showsUpdate: (object) => object.Title === UPDATED_TITLE,
  },
};
