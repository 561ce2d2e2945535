/** The HubSpot provider's conformance targets: a private-app token, and an OAuth app's refresh token. */

import { startHubSpotEmulator, type HubSpotEmulator } from '../../../src/emulators/hubspot/index.ts';
import { hubspotCollection } from '../../../src/sync/providers/hubspot/collections.ts';
import type { ConformanceTarget } from '../conformance/target.ts';

type Properties = Record<string, string | null | undefined>;

/**
 * HubSpot answers only the properties a request names, so a record carries the collection's
 * fixed property set while the emulator's object carries every property of its type: they are
 * the same object when the envelope matches and every property of that set has the same value
 * (null when unset), and the record carries nothing else.
 */
function sameObject(collectionId: string, data: Record<string, unknown>, upstream: Record<string, unknown>): boolean {
  const names = hubspotCollection(collectionId).properties;
  for (const key of ['id', 'createdAt', 'updatedAt', 'archived'] as const) if (data[key] !== upstream[key]) return false;
  const mine = (data.properties ?? {}) as Properties;
  const theirs = (upstream.properties ?? {}) as Properties;
  if (!Object.keys(mine).every((name) => names.includes(name))) return false;
  return names.every((name) => (mine[name] ?? null) === (theirs[name] ?? null));
}

const base: Omit<ConformanceTarget<HubSpotEmulator>, 'credential'> = {
  provider: 'hubspot',
  collections: ['hubspot:contact', 'hubspot:company', 'hubspot:deal'],
  startEmulator: ({ objects, randomSeed, rateLimit }) => startHubSpotEmulator({ objects, randomSeed, rateLimit: rateLimit ?? null }),
  upstreamId: (_collectionId, object) => object.id as string,
  sameObject,
  mutation: {
    collectionId: 'hubspot:contact',
    create: { properties: { email: 'conformance.created@example.com', firstname: 'Conformance', lastname: 'Created' } },
    update: { properties: { lastname: 'Updated', jobtitle: 'Conformance Tester' } },
    showsUpdate: (object) => {
      const properties = object.properties as Properties;
      return properties.lastname === 'Updated' && properties.jobtitle === 'Conformance Tester';
    },
  },
};

export const hubspotPrivateAppTarget: ConformanceTarget<HubSpotEmulator> = {
  ...base,
  credential: async (_api, emulator) => ({ kind: 'hubspot', access_token: emulator.privateAppToken, api_base_url: emulator.url }),
};

export const hubspotOAuthTarget: ConformanceTarget<HubSpotEmulator> = {
  ...base,
  credential: async (api, emulator) => {
    const app = await api.post('/v1/oauth-apps', { provider: 'hubspot', client_id: emulator.oauthClient.clientId, client_secret: emulator.oauthClient.clientSecret });
    if (app.status !== 201) throw new Error(`POST /v1/oauth-apps answered ${app.status}: ${JSON.stringify(app.body)}`);
    return { kind: 'hubspot_oauth2', refresh_token: emulator.issueRefreshToken(), oauth_app_id: app.body.id, api_base_url: emulator.url };
  },
  expireAccessTokens: (emulator) => emulator.expireAccessTokens(),
  refreshGrants: (emulator) => emulator.refreshGrants,
};
