/** The Zendesk provider's conformance targets: an API token, and an OAuth client's refresh token. */

import { startZendeskEmulator, type ZendeskEmulator } from '../../../src/emulators/zendesk/index.ts';
import type { ConformanceTarget } from '../conformance/target.ts';

const base: Omit<ConformanceTarget<ZendeskEmulator>, 'credential'> = {
  provider: 'zendesk',
  collections: ['zendesk:ticket', 'zendesk:user', 'zendesk:organization'],
  // Zendesk's export rules (last minute left out, 10 exports a minute) stay off: the suite polls
  // every 500 ms and waits 60 s for convergence.
  startEmulator: ({ objects, randomSeed, rateLimit }) =>
    startZendeskEmulator({ objects, randomSeed, apiKey: 'zendesk_conformance_token', email: 'conformance@syncline-test.zendesk.com', rateLimit: rateLimit ?? null }),
  upstreamId: (_collectionId, object) => String(object.id),
  mutation: {
    collectionId: 'zendesk:ticket',
    create: { subject: 'Conformance Created', comment: { body: 'Created by the conformance suite' }, priority: 'normal' },
    update: { status: 'pending', tags: ['conformance'] },
    showsUpdate: (object) => object.status === 'pending' && JSON.stringify(object.tags) === '["conformance"]',
  },
};

export const zendeskConformanceTarget: ConformanceTarget<ZendeskEmulator> = {
  ...base,
  credential: async (_api, emulator) => ({
    kind: 'zendesk',
    access_token: emulator.apiToken,
    metadata: { email: emulator.email },
    api_base_url: emulator.url,
  }),
};

/** With a refresh token and no access token, the engine refreshes before the first request. */
export const zendeskOAuthTarget: ConformanceTarget<ZendeskEmulator> = {
  ...base,
  credential: async (api, emulator) => {
    const app = await api.post('/v1/oauth-apps', { provider: 'zendesk', client_id: emulator.oauthClient.clientId, client_secret: emulator.oauthClient.clientSecret });
    if (app.status !== 201) throw new Error(`POST /v1/oauth-apps answered ${app.status}: ${JSON.stringify(app.body)}`);
    return { kind: 'zendesk_oauth2', refresh_token: emulator.issueRefreshToken(), oauth_app_id: app.body.id, api_base_url: emulator.url };
  },
  expireAccessTokens: (emulator) => emulator.expireAccessTokens(),
  refreshGrants: (emulator) => emulator.refreshGrants,
};
