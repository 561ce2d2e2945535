/** The HubSpot provider's conformance targets: a private-app token, and an OAuth app's refresh token. */

import { startHubSpotEmulator, type HubSpotEmulator } from '../../../src/emulators/hubspot/index.ts';
import { hubspotCollection } from '../../../src/sync/providers/hubspot/collections.ts';
import type { ConformanceTarget, WebhookSample } from '../conformance/target.ts';
import { hubspotApiDescription } from '../api-descriptions/hubspot.ts';

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

let changes = 0;

/**
 * HubSpot has no API a credential registers webhooks with: `subscribe` does what a person does in
 * the app's settings (target URL + subscriptions). The emulator signs with the app's client
 * secret, which an OAuth credential carries; a private-app credential does not, so that target
 * hands it to the sync as `signing_secret`.
 */
const webhooks = (withSigningSecret: boolean): WebhookSample<HubSpotEmulator> => ({
  collectionId: 'hubspot:contact',
  ...(withSigningSecret ? { settings: (emulator: HubSpotEmulator) => ({ signing_secret: emulator.webhookSecret }) } : {}),
  subscribe: (emulator, url) => emulator.subscribeWebhooks(url),
  change: (emulator) => {
    const id = emulator.objects('contact')[0]?.id as string;
    changes += 1;
    if (!emulator.updateObject('contact', id, { jobtitle: `Webhook conformance ${changes}` })) throw new Error(`contact ${id} could not be changed`);
    return id;
  },
  remove: (emulator) => {
    const id = emulator.objects('contact').at(-1)?.id as string;
    if (!emulator.archiveObject('contact', id)) throw new Error(`contact ${id} could not be archived`);
    return id;
  },
  secret: (emulator) => emulator.webhookSecret,
  request: (emulator, upstreamId, secret) => {
    const contact = emulator.objects('contact').find((o) => o.id === upstreamId);
    const jobtitle = ((contact?.properties ?? {}) as Properties).jobtitle ?? null;
    return emulator.webhookRequest([{ collection: 'contact', kind: 'propertyChange', id: upstreamId, atMs: Date.now(), propertyName: 'jobtitle', propertyValue: jobtitle }], { secret });
  },
});

const base: Omit<ConformanceTarget<HubSpotEmulator>, 'credential'> = {
  provider: 'hubspot',
  collections: ['hubspot:contact', 'hubspot:company', 'hubspot:deal'],
  startEmulator: ({ objects, randomSeed, rateLimit }) => startHubSpotEmulator({ objects, randomSeed, rateLimit: rateLimit ?? null }),
  upstreamId: (_collectionId, object) => object.id as string,
  sameObject,
  apiDescription: hubspotApiDescription,
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
  webhooks: webhooks(true),
  credential: async (_api, emulator) => ({ kind: 'hubspot', access_token: emulator.privateAppToken, api_base_url: emulator.url }),
};

export const hubspotOAuthTarget: ConformanceTarget<HubSpotEmulator> = {
  ...base,
  webhooks: webhooks(false),
  credential: async (api, emulator) => {
    const app = await api.post('/v1/oauth-apps', { provider: 'hubspot', client_id: emulator.oauthClient.clientId, client_secret: emulator.oauthClient.clientSecret });
    if (app.status !== 201) throw new Error(`POST /v1/oauth-apps answered ${app.status}: ${JSON.stringify(app.body)}`);
    return { kind: 'hubspot_oauth2', refresh_token: emulator.issueRefreshToken(), oauth_app_id: app.body.id, api_base_url: emulator.url };
  },
  expireAccessTokens: (emulator) => emulator.expireAccessTokens(),
  refreshGrants: (emulator) => emulator.refreshGrants,
};
