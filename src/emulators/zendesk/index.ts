/**
 * The Zendesk Support API emulator (tickets, users, organizations, incremental exports), on the
 * emulator kit: API token auth, and OAuth (consent page, token endpoint, Bearer tokens).
 */

import type { EmulatorRateLimit } from '../kit/http-emulator.ts';
import { OAuthIssuer, withOAuthControls, type OAuthClient, type OAuthControls } from '../kit/oauth-issuer.ts';
import { listenHttpEmulator, mutationControls, transportControls, type CommonEmulatorOptions, type EmulatorDescriptor, type ProviderEmulator } from '../kit/provider-emulator.ts';
import { Random } from '../kit/random.ts';
import { WebhookSender } from '../kit/webhook-sender.ts';
import { mutateRandomly, seed } from './mutator.ts';
import { ZendeskOAuthRoutes } from './oauth-routes.ts';
import { ZENDESK_COLLECTIONS, ZendeskStore, type ZendeskCollection } from './store.ts';
import { ZendeskWireFormat } from './wire-format.ts';
import { ZendeskWebhookDeliveries } from './webhook-deliveries.ts';
import { ZendeskWebhookRoutes } from './webhook-routes.ts';

export { ZENDESK_COLLECTIONS, type ZendeskCollection } from './store.ts';

/** Zendesk's documented limits, for `realisticExports` and `rateLimit`. */
export const ZENDESK_EXPORT_RATE_LIMIT: EmulatorRateLimit = { requests: 10, windowMs: 60_000 };
export const ZENDESK_EXPORT_LAG_SECONDS = 60;
/**
 * Zendesk's documented secret of test deliveries ("this_secret_is_for_testing_only"): the default
 * secret of `--webhook-url` deliveries.
 */
export const ZENDESK_TEST_SIGNING_SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
const ACCOUNT_ID = 9_242_270;

export interface ZendeskEmulatorOptions extends CommonEmulatorOptions {
  /** The agent's email of `{email}/token:{api_token}` (default `agent@syncline-emulator.zendesk.com`). */
  email?: string;
  /** Seeded objects per collection; overrides `objects`. */
  seed?: Partial<Record<ZendeskCollection, number>>;
  /**
   * Zendesk's export rules: items changed within the last minute left out (and a start_time
   * younger than a minute refused), at most 10 export requests a minute. Default off: a test
   * sync that polls every 500 ms could not converge within its timeouts under them.
   */
  realisticExports?: boolean;
  /** The OAuth client that may connect (default: one emulator client). */
  oauthClient?: OAuthClient;
  /** Lifetime of OAuth access tokens (answered as `expires_in`); default none: Zendesk's tokens never expire. */
  accessTokenTtlSeconds?: number;
}

export interface ZendeskEmulator extends ProviderEmulator<ZendeskCollection>, OAuthControls {
  readonly email: string;
  readonly apiToken: string;
  readonly webhooks: WebhookSender;
  /** Webhooks and triggers registered through the API (each webhook with its signing secret). */
  readonly webhookRegistry: ZendeskWebhookRoutes;
  /** The secret `--webhook-url` deliveries are signed with. */
  readonly webhookSecret: string;
  /** Updates a ticket as `PUT tickets/{id}.json` does (its webhooks are sent); answers the ticket. */
  updateTicket(id: number, fields: Record<string, unknown>): Record<string, unknown>;
  /** Deletes a ticket as `DELETE tickets/{id}.json` does (its webhooks are sent). */
  deleteTicket(id: number): void;
  /** Holds the incremental exports to their own limit (Zendesk: ZENDESK_EXPORT_RATE_LIMIT), or lifts it. */
  setExportRateLimit(limit: EmulatorRateLimit | null): void;
  /** How many export requests the exports' own limit answered 429. */
  readonly exportLimitAnswers: number;
  instructions(): string[];
}

const DEFAULT_OAUTH_CLIENT: OAuthClient = { clientId: 'zendesk-emulator-client', clientSecret: 'zendesk-emulator-secret' };

/**
 * Zendesk retries 409, 429 and 503 (it also honours a short Retry-After on the last two) and
 * deliveries that timed out; any other answer is final.
 */
const zendeskRetries = (status: number): boolean => status === 0 || status === 409 || status === 429 || status === 503;

export async function startZendeskEmulator(options: ZendeskEmulatorOptions = {}): Promise<ZendeskEmulator> {
  const apiToken = options.apiKey ?? 'zendesk_emulator_token';
  const email = options.email ?? 'agent@syncline-emulator.zendesk.com';
  const random = new Random(options.randomSeed ?? 42);
  const site = { baseUrl: '' };
  const store = new ZendeskStore(site, random.fork());
  const oauthClient = options.oauthClient ?? DEFAULT_OAUTH_CLIENT;
  const ttl = options.accessTokenTtlSeconds ?? null;
  // No TTL: the issuer's tokens stay valid until expireAccessTokens().
  const issuer = new OAuthIssuer([oauthClient], { accessTokenTtlSeconds: ttl ?? Number.POSITIVE_INFINITY, tokenPrefix: 'zd-access-' });
  const webhookRoutes = new ZendeskWebhookRoutes(random.fork(), () => '361000000000');
  const wire = new ZendeskWireFormat(
    store,
    { email, apiToken, isValidAccessToken: (token) => issuer.isValid(token) },
    {
      lagSeconds: options.realisticExports ? ZENDESK_EXPORT_LAG_SECONDS : 0,
      rateLimit: options.realisticExports ? ZENDESK_EXPORT_RATE_LIMIT : null,
    },
    new ZendeskOAuthRoutes(issuer, ttl),
    webhookRoutes,
  );
  const http = await listenHttpEmulator(wire, options);
  // Object urls name the address clients reach (Zendesk: https://<subdomain>.zendesk.com).
  site.baseUrl = http.url;
  const objects = options.objects ?? 0;
  seed(store, random.fork(), { organization: Math.ceil(objects / 3), user: objects, ticket: objects, ...options.seed });
  const webhookSecret = options.webhookSecret ?? ZENDESK_TEST_SIGNING_SECRET;
  const sender = new WebhookSender({ retryOn: zendeskRetries, ...(options.webhookRetryDelaysMs ? { retryDelaysMs: options.webhookRetryDelaysMs } : {}), ...(options.logger ? { logger: options.logger } : {}) });
  const cli = options.webhookUrl ? { id: 'cli', url: options.webhookUrl, secret: webhookSecret, events: ['*'] } : null;
  const deliveries = new ZendeskWebhookDeliveries(sender, webhookRoutes, cli, ACCOUNT_ID);
  // After seeding: the seeded account is the state webhooks start from.
  store.onChange = (change) => deliveries.changed(change);
  const mutationRandom = random.fork();
  const mutate = (n: number, collections: readonly ZendeskCollection[] = ZENDESK_COLLECTIONS) =>
    mutateRandomly(store, mutationRandom, n, collections.length > 0 ? collections : ZENDESK_COLLECTIONS);

  const controls = mutationControls(http, mutate);
  const emulator: Omit<ZendeskEmulator, keyof OAuthControls> = {
    ...transportControls(http),
    email,
    apiToken,
    collections: ZENDESK_COLLECTIONS,
    objects: (collection) => JSON.parse(JSON.stringify(store.live(collection).sort((a, b) => Number(a.id) - Number(b.id)))) as Record<string, unknown>[],
    ...controls,
    close: async () => {
      await sender.close();
      await controls.close();
    },
    webhooks: sender,
    webhookRegistry: webhookRoutes,
    webhookSecret,
    updateTicket: (id, fields) => JSON.parse(JSON.stringify(store.updateTicket(id, fields))) as Record<string, unknown>,
    deleteTicket: (id) => store.deleteTicket(id),
    setExportRateLimit: (limit) => {
      wire.exportRules.rateLimit = limit;
    },
    get exportLimitAnswers() {
      return wire.exportLimitAnswers;
    },
    instructions: () => [
      `Zendesk emulator listening on ${http.url} (API token auth: ${email}/token:${apiToken}); Syncline credential:`,
      JSON.stringify({ kind: 'zendesk', access_token: apiToken, metadata: { email }, api_base_url: http.url }),
      `OAuth: POST /v1/oauth-apps ${JSON.stringify({ provider: 'zendesk', client_id: oauthClient.clientId, client_secret: oauthClient.clientSecret })}, then`,
      JSON.stringify({ kind: 'zendesk_oauth2', refresh_token: issuer.issueRefreshToken(oauthClient.clientId), oauth_app_id: '<the oauth app id>', api_base_url: http.url }),
      'Webhooks: a sync with {"webhooks": {"enabled": true}} registers them through this emulator\'s /api/v2/webhooks and /api/v2/triggers (Syncline needs SYNCLINE_PUBLIC_URL);',
      cli
        ? `or they all go to ${cli.url}, signed with ${webhookSecret}: give the sync {"webhooks": {"enabled": true, "signing_secret": "${webhookSecret}"}}.`
        : 'or start with --webhook-url http://<syncline>/v1/webhooks/in/<sync id> [--webhook-secret …] and give the sync that secret as webhooks.signing_secret.',
    ],
  };
  return withOAuthControls(emulator, issuer, oauthClient);
}

export const zendeskEmulatorDescriptor: EmulatorDescriptor = {
  name: 'zendesk',
  defaultPort: 12117,
  start: (options) => startZendeskEmulator(options),
};
