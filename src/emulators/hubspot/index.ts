/**
 * The HubSpot emulator: CRM v3 contacts, companies and deals (list with `properties` and
 * `archived`, read, search, create, update, archive), private-app and OAuth Bearer tokens, the
 * OAuth consent and token endpoints, `X-HubSpot-RateLimit-*` headers and HubSpot's 429s.
 */

import type { EmulatorRateLimit } from '../kit/http-emulator.ts';
import { OAuthIssuer, withOAuthControls, type OAuthClient, type OAuthControls } from '../kit/oauth-issuer.ts';
import type { WebhookSender } from '../kit/webhook-sender.ts';
import { listenHttpEmulator, mutationControls, transportControls, type ChangesMade, type CommonEmulatorOptions, type EmulatorDescriptor, type ProviderEmulator } from '../kit/provider-emulator.ts';
import { Random } from '../kit/random.ts';
import { CrmRoutes } from './crm-routes.ts';
import { OAuthRoutes } from './oauth-routes.ts';
import { HUBSPOT_COLLECTIONS, SCHEMAS, type HubSpotCollection } from './schema.ts';
import { fakeEdit, fakeProperties } from './seed.ts';
import { HubSpotStore, renderObject, type StoreChange } from './store.ts';
import { WebhookRoutes } from './webhook-routes.ts';
import { HubSpotWebhooks } from './webhooks.ts';
import { HubSpotWireFormat } from './wire-format.ts';

export { HUBSPOT_COLLECTIONS, type HubSpotCollection } from './schema.ts';
export type { HubSpotObjectJson, StoreChange } from './store.ts';

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
  /** The developer account's API key the webhooks API (`/webhooks/v3/{appId}/…?hapikey=`) takes. */
  developerApiKey?: string;
}

export interface HubSpotEmulator extends ProviderEmulator<HubSpotCollection>, OAuthControls {
  readonly privateAppToken: string;
  readonly webhooks: WebhookSender;
  /** The app's client secret, which signs every webhook (`webhookSecret`, else the OAuth app's). */
  readonly webhookSecret: string;
  /** The app's id and the account's (portal) id the webhooks carry. */
  readonly appId: number;
  readonly portalId: number;
  readonly developerApiKey: string;
  /**
   * What a person does in the app's webhook settings: sets its one target URL to `url` and
   * subscribes to `eventTypes` (default: creation, propertyChange and deletion of every object).
   */
  subscribeWebhooks(url: string, eventTypes?: string[]): void;
  /** The app's target URL (null until set). */
  readonly webhookTargetUrl: string | null;
  /** A delivery of these changes' events exactly as the emulator sends one to the app's target URL (or `url`), signed with `secret` (default the app's). */
  webhookRequest(changes: StoreChange[], options?: { secret?: string; url?: string }): { headers: Record<string, string>; body: string };
  /** Sets properties of a live object as a person in HubSpot would (webhooks sent); undefined when there is none. */
  updateObject(collection: HubSpotCollection, id: string, properties: Record<string, string | null>): Record<string, unknown> | undefined;
  /** Archives a live object (HubSpot's delete; webhooks sent); false when there is none. */
  archiveObject(collection: HubSpotCollection, id: string): boolean;
  setSearchRateLimit(limit: EmulatorRateLimit | null): void;
  /** Live or archived objects as the API returns them with every property of the type. */
  allObjects(collection: HubSpotCollection, options?: { archived?: boolean }): Record<string, unknown>[];
  /** Lines telling a person how to point Syncline at it. */
  instructions(): string[];
}

const DEFAULT_PRIVATE_APP_TOKEN = 'pat-na1-emulator-0000-0000-000000000000';
const DEFAULT_OAUTH_CLIENT: OAuthClient = { clientId: 'hubspot-emulator-client', clientSecret: 'hubspot-emulator-secret' };
const DEFAULT_DEVELOPER_API_KEY = 'hubspot-emulator-developer-key';
const APP_ID = 4_210_987;
const PORTAL_ID = 62_515_301;
const SEED_SPAN_MS = 2 * 365 * 86_400_000;

export async function startHubSpotEmulator(options: HubSpotEmulatorOptions = {}): Promise<HubSpotEmulator> {
  const random = new Random(options.randomSeed ?? 42);
  const store = new HubSpotStore();
  seed(store, random.fork(), options);

  const privateAppToken = options.privateAppToken ?? options.apiKey ?? DEFAULT_PRIVATE_APP_TOKEN;
  const oauthClient = options.oauthClient ?? DEFAULT_OAUTH_CLIENT;
  const issuer = new OAuthIssuer([oauthClient], { accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 1800, tokenPrefix: 'hs-access-' });
  const oauth = new OAuthRoutes(issuer);
  const webhooks = new HubSpotWebhooks({
    appId: APP_ID,
    portalId: PORTAL_ID,
    secret: options.webhookSecret ?? oauthClient.clientSecret,
    ...(options.webhookUrl ? { cliUrl: options.webhookUrl } : {}),
    ...(options.webhookRetryDelaysMs ? { retryDelaysMs: options.webhookRetryDelaysMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  store.onChange = (change) => webhooks.record(change);
  const developerApiKey = options.developerApiKey ?? DEFAULT_DEVELOPER_API_KEY;
  const wire = new HubSpotWireFormat(
    {
      privateAppToken,
      isValidAccessToken: (token) => issuer.isValid(token),
      dailyLimit: options.dailyLimit ?? 1_000_000,
      searchRateLimit: options.searchRateLimit === undefined ? { requests: 5, windowMs: 1000 } : options.searchRateLimit,
    },
    new CrmRoutes(store),
    oauth,
    new WebhookRoutes(webhooks, APP_ID, developerApiKey),
  );
  const http = await listenHttpEmulator(wire, options);
  const mutations = random.fork();
  const renderLive = (collection: HubSpotCollection, id: string) => {
    const object = store.get(collection, id, false);
    return object && (JSON.parse(JSON.stringify(renderObject(object, [...SCHEMAS[collection].properties].sort()))) as Record<string, unknown>);
  };

  const render = (collection: HubSpotCollection, archived: boolean) =>
    store.list(collection, archived).map((o) => JSON.parse(JSON.stringify(renderObject(o, [...SCHEMAS[collection].properties].sort()))) as Record<string, unknown>);

  const mutateRandomly = (n: number, collections: HubSpotCollection[] = [...HUBSPOT_COLLECTIONS]): ChangesMade => webhooks.during('CRM_UI', () => {
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
  });
  const controls = mutationControls(http, mutateRandomly);

  const emulator: Omit<HubSpotEmulator, keyof OAuthControls> = {
    ...transportControls(http),
    setSearchRateLimit: (limit) => wire.setSearchRateLimit(limit),
    collections: HUBSPOT_COLLECTIONS,
    objects: (collection) => render(collection, false),
    allObjects: (collection, { archived = false } = {}) => render(collection, archived),
    ...controls,
    close: async () => {
      await controls.close();
      await webhooks.close();
    },
    privateAppToken,
    webhooks: webhooks.sender,
    webhookSecret: webhooks.secret,
    appId: APP_ID,
    portalId: PORTAL_ID,
    developerApiKey,
    subscribeWebhooks: (url, eventTypes) => webhooks.subscribe(url, eventTypes),
    get webhookTargetUrl() {
      return webhooks.targetUrl;
    },
    webhookRequest: (changes, { secret, url } = {}) => {
      const target = url ?? webhooks.targetUrl ?? options.webhookUrl;
      if (!target) throw new Error('the emulator has no webhook target URL: subscribeWebhooks(url) first, or pass url');
      return webhooks.request(target, changes, secret);
    },
    updateObject: (collection, id, properties) => webhooks.during('CRM_UI', () => (store.update(collection, id, properties) ? renderLive(collection, id) : undefined)),
    archiveObject: (collection, id) => webhooks.during('CRM_UI', () => store.archive(collection, id) !== undefined),
    instructions: () => [
      `HubSpot emulator listening on ${http.url} (${Object.entries(store.counts()).map(([c, n]) => `${n} ${c}`).join(', ')}).`,
      'Private-app credential for POST /v1/credentials:',
      JSON.stringify({ kind: 'hubspot', access_token: privateAppToken, api_base_url: http.url }),
      `OAuth: POST /v1/oauth-apps ${JSON.stringify({ provider: 'hubspot', client_id: oauthClient.clientId, client_secret: oauthClient.clientSecret })}, then`,
      JSON.stringify({ kind: 'hubspot_oauth2', refresh_token: issuer.issueRefreshToken(oauthClient.clientId), oauth_app_id: '<the oauth app id>', api_base_url: http.url }),
      'Webhooks: create the sync with "webhooks": {"enabled": true} (with the private-app credential also "signing_secret": ' + JSON.stringify(webhooks.secret) + ', the app\'s client secret), then',
      options.webhookUrl
        ? `every change is sent, signed with that secret, to ${options.webhookUrl} (--webhook-url: it must be the sync's webhooks.url).`
        : `point the app at the sync's webhooks.url as HubSpot has it done in the developer account (no credential can): PUT ${http.url}/webhooks/v3/${APP_ID}/settings?hapikey=${developerApiKey} {"targetUrl": "<webhooks.url>"} and POST …/subscriptions {"eventType": "contact.creation"} (one per event type and property), or restart with --webhook-url <webhooks.url> (every event).`,
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
