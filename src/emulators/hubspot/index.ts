/**
 * The HubSpot emulator: CRM v3 contacts, companies and deals (list with `properties` and
 * `archived`, read, search, create, update, archive), private-app and OAuth Bearer tokens, the
 * OAuth consent and token endpoints, `X-HubSpot-RateLimit-*` headers and HubSpot's 429s.
 */

import type { EmulatorRateLimit } from '../kit/http-emulator.ts';
import { OAuthIssuer, withOAuthControls, type OAuthClient, type OAuthControls } from '../kit/oauth-issuer.ts';
import { listenHttpEmulator, mutationControls, transportControls, type ChangesMade, type CommonEmulatorOptions, type EmulatorDescriptor, type ProviderEmulator } from '../kit/provider-emulator.ts';
import { Random } from '../kit/random.ts';
import { CrmRoutes } from './crm-routes.ts';
import { OAuthRoutes } from './oauth-routes.ts';
import { HUBSPOT_COLLECTIONS, SCHEMAS, type HubSpotCollection } from './schema.ts';
import { fakeEdit, fakeProperties } from './seed.ts';
import { HubSpotStore, renderObject } from './store.ts';
import { HubSpotWireFormat } from './wire-format.ts';

export { HUBSPOT_COLLECTIONS, type HubSpotCollection } from './schema.ts';
export type { HubSpotObjectJson } from './store.ts';

export interface HubSpotEmulatorOptions extends CommonEmulatorOptions {
  /** Objects seeded per collection; overrides `objects` for the collections it names. */
  seed?: Partial<Record<HubSpotCollection, number>>;
  /** The private app's access token clients send as `Authorization: Bearer` (default: `apiKey`, else the emulator's). */
  privateAppToken?: string;
  /** The OAuth app that may connect (default: one emulator client). */
  oauthClient?: OAuthClient;
  /** Lifetime of OAuth access tokens (HubSpot: 1800 s). */
  accessTokenTtlSeconds?: number;
  /** The search endpoints' limit; default HubSpot's 5 per second, null = none. */
  searchRateLimit?: EmulatorRateLimit | null;
  dailyLimit?: number;
}

export interface HubSpotEmulator extends ProviderEmulator<HubSpotCollection>, OAuthControls {
  readonly privateAppToken: string;
  setSearchRateLimit(limit: EmulatorRateLimit | null): void;
  /** Live or archived objects as the API returns them with every property of the type. */
  allObjects(collection: HubSpotCollection, options?: { archived?: boolean }): Record<string, unknown>[];
  /** Lines telling a person how to point Syncline at it. */
  instructions(): string[];
}

const DEFAULT_PRIVATE_APP_TOKEN = 'pat-na1-emulator-0000-0000-000000000000';
const DEFAULT_OAUTH_CLIENT: OAuthClient = { clientId: 'hubspot-emulator-client', clientSecret: 'hubspot-emulator-secret' };
const SEED_SPAN_MS = 2 * 365 * 86_400_000;

export async function startHubSpotEmulator(options: HubSpotEmulatorOptions = {}): Promise<HubSpotEmulator> {
  const random = new Random(options.randomSeed ?? 42);
  const store = new HubSpotStore();
  seed(store, random.fork(), options);

  const privateAppToken = options.privateAppToken ?? options.apiKey ?? DEFAULT_PRIVATE_APP_TOKEN;
  const oauthClient = options.oauthClient ?? DEFAULT_OAUTH_CLIENT;
  const issuer = new OAuthIssuer([oauthClient], { accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 1800, tokenPrefix: 'hs-access-' });
  const oauth = new OAuthRoutes(issuer);
  const wire = new HubSpotWireFormat(
    {
      privateAppToken,
      isValidAccessToken: (token) => issuer.isValid(token),
      dailyLimit: options.dailyLimit ?? 1_000_000,
      searchRateLimit: options.searchRateLimit === undefined ? { requests: 5, windowMs: 1000 } : options.searchRateLimit,
    },
    new CrmRoutes(store),
    oauth,
  );
  const http = await listenHttpEmulator(wire, options);
  const mutations = random.fork();

  const render = (collection: HubSpotCollection, archived: boolean) =>
    store.list(collection, archived).map((o) => JSON.parse(JSON.stringify(renderObject(o, [...SCHEMAS[collection].properties].sort()))) as Record<string, unknown>);

  const mutateRandomly = (n: number, collections: HubSpotCollection[] = [...HUBSPOT_COLLECTIONS]): ChangesMade => {
    const made: ChangesMade = { created: [], updated: [], deleted: [] };
    for (let i = 0; i < n; i++) {
      const collection = mutations.pick(collections);
      const live = store.list(collection, false);
      const roll = mutations.next();
      if (live.length === 0 || roll < 0.3) {
        made.created.push(store.create(collection, fakeProperties(collection, mutations, store.nowMs())).id);
      } else if (roll < 0.8) {
        const target = mutations.pick(live);
        store.update(collection, target.id, fakeEdit(collection, mutations));
        made.updated.push(target.id);
      } else {
        const target = mutations.pick(live);
        store.archive(collection, target.id);
        made.deleted.push(target.id);
      }
    }
    return made;
  };

  const emulator: Omit<HubSpotEmulator, keyof OAuthControls> = {
    ...transportControls(http),
    setSearchRateLimit: (limit) => wire.setSearchRateLimit(limit),
    collections: HUBSPOT_COLLECTIONS,
    objects: (collection) => render(collection, false),
    allObjects: (collection, { archived = false } = {}) => render(collection, archived),
    ...mutationControls(http, mutateRandomly),
    privateAppToken,
    instructions: () => [
      `HubSpot emulator listening on ${http.url} (${Object.entries(store.counts()).map(([c, n]) => `${n} ${c}`).join(', ')}).`,
      'Private-app credential for POST /v1/credentials:',
      JSON.stringify({ kind: 'hubspot', access_token: privateAppToken, api_base_url: http.url }),
      `OAuth: POST /v1/oauth-apps ${JSON.stringify({ provider: 'hubspot', client_id: oauthClient.clientId, client_secret: oauthClient.clientSecret })}, then`,
      JSON.stringify({ kind: 'hubspot_oauth2', refresh_token: issuer.issueRefreshToken(oauthClient.clientId), oauth_app_id: '<the oauth app id>', api_base_url: http.url }),
    ],
  };
  return withOAuthControls(emulator, issuer, oauthClient);
}

/** Backdated objects: created over the last two years, some modified since. */
function seed(store: HubSpotStore, random: Random, options: HubSpotEmulatorOptions): void {
  const now = store.nowMs();
  for (const collection of HUBSPOT_COLLECTIONS) {
    const count = options.seed?.[collection] ?? options.objects ?? 0;
    const times = Array.from({ length: count }, () => now - random.int(0, SEED_SPAN_MS)).sort((a, b) => a - b);
    for (const createdMs of times) {
      const updatedMs = random.chance(0.6) ? createdMs + random.int(0, now - createdMs) : createdMs;
      store.create(collection, fakeProperties(collection, random, createdMs), { createdMs, updatedMs });
    }
  }
}

export const hubspotEmulatorDescriptor: EmulatorDescriptor = {
  name: 'hubspot',
  defaultPort: 12112,
  start: (options) => startHubSpotEmulator(options),
};
