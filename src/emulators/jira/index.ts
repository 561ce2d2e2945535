/**
 * The Jira Cloud REST v3 emulator (issues, projects, users), on the emulator kit: Basic auth at
 * the site's `/rest/api/3/`, and OAuth 2.0 (3LO) as Atlassian serves it (consent, token endpoint
 * with rotating refresh tokens, accessible-resources, the gateway's `/ex/jira/{cloudId}/rest/api/3/`).
 * Every change is sent as Jira's webhooks (webhook-registry.ts).
 */

import { OAuthIssuer, withOAuthControls, type OAuthClient, type OAuthControls } from '../kit/oauth-issuer.ts';
import { listenHttpEmulator, mutationControls, transportControls, type CommonEmulatorOptions, type EmulatorDescriptor, type ProviderEmulator } from '../kit/provider-emulator.ts';
import { Random } from '../kit/random.ts';
import { mutateRandomly, seed, type SeedCounts } from './mutator.ts';
import { JiraOAuthRoutes } from './oauth-routes.ts';
import { WebhookSender } from '../kit/webhook-sender.ts';
import { JIRA_COLLECTIONS, JiraStore, type JiraCollection } from './store.ts';
import { DEFAULT_WEBHOOK_SECRET, JiraWebhookRegistry, type RegisteredJiraWebhook } from './webhook-registry.ts';
import { JiraWireFormat } from './wire-format.ts';

export { JIRA_COLLECTIONS, type JiraCollection } from './store.ts';

export interface JiraEmulatorOptions extends CommonEmulatorOptions {
  /** The account's email (Basic auth user); default `admin@example.com`. */
  email?: string;
  /** The account's time zone: JQL dates are read in it. Default `America/New_York`. */
  timeZone?: string;
  /** Test knob: read JQL dates in this zone instead of the account's `timeZone` (Jira uses the account's). */
  jqlTimeZone?: string;
  /** Seeded objects per collection; overrides `objects`. */
  seed?: Partial<SeedCounts>;
  /** The OAuth 2.0 (3LO) app that may connect (default: one emulator client). */
  oauthClient?: OAuthClient;
  /** Lifetime of OAuth access tokens (Atlassian: 3600 s). */
  accessTokenTtlSeconds?: number;
  /** The site's cloud id in accessible-resources and the gateway path. */
  cloudId?: string;
  /** Whether the account is a Jira administrator (admin webhooks need it; default true). */
  admin?: boolean;
  /** Life of dynamic webhooks (Jira: 30 days). */
  dynamicWebhookLifetimeMs?: number;
}

export interface JiraEmulator extends ProviderEmulator<JiraCollection>, OAuthControls {
  readonly email: string;
  readonly apiToken: string;
  /** The site's cloud id (`/ex/jira/{cloudId}/rest/api/3/`). */
  readonly cloudId: string;
  readonly webhooks: WebhookSender;
  /** The secret deliveries to `webhookUrl` are signed with. */
  readonly webhookSecret: string;
  /** The admin and dynamic webhooks registered through the API, oldest first. */
  registeredWebhooks(): RegisteredJiraWebhook[];
  /**
   * A `jira:issue_updated` (`jira:issue_deleted` once deleted) delivery of issue `id` exactly as sent (signed with `secret`: `hub` as an
   * admin webhook's `X-Hub-Signature`, `jwt` as a dynamic webhook's Bearer JWT).
   */
  webhookRequest(id: string, secret: string, signing: 'hub' | 'jwt'): { headers: Record<string, string>; body: string };
  /** Edits an issue as `PUT /issue/{id}` does (`fields`), sending its webhook. */
  updateIssue(idOrKey: string, fields: Record<string, unknown>): void;
  /** Deletes an issue as `DELETE /issue/{id}` does, sending its webhook. */
  deleteIssue(idOrKey: string): void;
  instructions(): string[];
}

const DEFAULT_OAUTH_CLIENT: OAuthClient = { clientId: 'jira-emulator-client', clientSecret: 'jira-emulator-secret' };
const DEFAULT_CLOUD_ID = '1324a887-45db-1bf4-1e99-ef0ff456d421';
/** Jira retries a failed delivery up to 5 times; its backoff (minutes, up to ~30) scaled down. */
export const JIRA_WEBHOOK_RETRY_DELAYS_MS = [200, 400, 800, 1_600, 3_200];
/** Jira retries 408, 409, 425, 429, 5xx and deliveries that got no answer; other answers are final. */
const jiraRetries = (status: number): boolean => status === 0 || status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;

export async function startJiraEmulator(options: JiraEmulatorOptions = {}): Promise<JiraEmulator> {
  const email = options.email ?? 'admin@example.com';
  const apiToken = options.apiKey ?? 'ATATT-emulator';
  const random = new Random(options.randomSeed ?? 42);
  const store = new JiraStore(random.fork());
  const objects = options.objects ?? 0;
  seed(store, random.fork(), { project: Math.max(1, Math.ceil(objects / 2)), user: Math.max(1, objects), issue: objects, ...options.seed }, { email, displayName: 'Site Admin' }, options.timeZone ?? 'America/New_York');
  const oauthClient = options.oauthClient ?? DEFAULT_OAUTH_CLIENT;
  const cloudId = options.cloudId ?? DEFAULT_CLOUD_ID;
  const issuer = new OAuthIssuer([oauthClient], { accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 3600, rotateRefreshTokens: true, tokenPrefix: 'jira-access-' });
  const oauthRoutes = new JiraOAuthRoutes(issuer, { cloudId, url: () => store.base, name: 'emulator' });
  const me = () => [...store.users.values()].find((u) => u.emailAddress === email) ?? [...store.users.values()][0]!;
  const sender = new WebhookSender({ retryDelaysMs: options.webhookRetryDelaysMs ?? JIRA_WEBHOOK_RETRY_DELAYS_MS, retryOn: jiraRetries, ...(options.logger ? { logger: options.logger } : {}) });
  const webhookSecret = options.webhookSecret ?? DEFAULT_WEBHOOK_SECRET;
  const registry = new JiraWebhookRegistry(store, {
    sender,
    oauthClient,
    actor: me,
    isAdmin: options.admin ?? true,
    cliUrl: options.webhookUrl ?? null,
    cliSecret: webhookSecret,
    ...(options.dynamicWebhookLifetimeMs === undefined ? {} : { dynamicLifetimeMs: options.dynamicWebhookLifetimeMs }),
    timeZone: () => options.jqlTimeZone ?? me().timeZone,
  });
  store.onChange((change) => registry.deliver(change));
  const http = await listenHttpEmulator(new JiraWireFormat(store, { email, apiToken }, options.jqlTimeZone ?? null, { routes: oauthRoutes, cloudId }, registry), options);
  store.base = http.url;
  const mutationRandom = random.fork();
  const mutate = (n: number, collections: readonly JiraCollection[] = JIRA_COLLECTIONS) =>
    mutateRandomly(store, mutationRandom, n, collections.length > 0 ? collections : JIRA_COLLECTIONS);
  const listed = (collection: JiraCollection): Record<string, unknown>[] => {
    switch (collection) {
      case 'issue':
        return [...store.issues.values()].sort((a, b) => a.id - b.id).map((i) => store.renderIssue(i));
      case 'project':
        return [...store.projects.values()].map((p) => store.renderProject(p));
      case 'user':
        return [...store.users.values()].map((u) => store.renderUser(u));
    }
  };

  const mutation = mutationControls(http, mutate);
  const emulator: Omit<JiraEmulator, keyof OAuthControls> = {
    ...transportControls(http),
    email,
    apiToken,
    cloudId,
    collections: JIRA_COLLECTIONS,
    objects: (collection) => JSON.parse(JSON.stringify(listed(collection))) as Record<string, unknown>[],
    ...mutation,
    close: async () => {
      await sender.close();
      await mutation.close();
    },
    webhooks: sender,
    webhookSecret,
    registeredWebhooks: () => registry.registered(),
    webhookRequest: (id, secret, signing) => {
      const gone = store.deletedIssues.get(Number(id));
      const change = gone ? { kind: 'issue' as const, event: 'deleted' as const, issue: gone, before: null } : { kind: 'issue' as const, event: 'updated' as const, issue: store.issue(id), before: null };
      if (signing === 'hub') return registry.request(change, { kind: 'hub', secret });
      return registry.request(change, { kind: 'jwt', clientId: oauthClient.clientId, secret, accountId: me().accountId }, { matchedWebhookIds: registry.registered().filter((w) => w.kind === 'dynamic').map((w) => w.id) });
    },
    updateIssue: (idOrKey, fields) => void store.updateIssue(idOrKey, { fields }),
    deleteIssue: (idOrKey) => store.deleteIssue(idOrKey),
    instructions: () => [
      `Jira emulator listening on ${http.url} (Basic auth ${email} / ${apiToken}); Syncline credential:`,
      JSON.stringify({ kind: 'jira', access_token: apiToken, metadata: { email }, api_base_url: http.url }),
      `OAuth 2.0 (3LO), cloud id ${cloudId}: POST /v1/oauth-apps ${JSON.stringify({ provider: 'jira', client_id: oauthClient.clientId, client_secret: oauthClient.clientSecret })}, then`,
      JSON.stringify({ kind: 'jira_oauth2', refresh_token: issuer.issueRefreshToken(oauthClient.clientId), oauth_app_id: '<the oauth app id>', api_base_url: http.url }),
      `Webhooks: a sync with {"webhooks": {"enabled": true}} registers them here itself (SYNCLINE_PUBLIC_URL set): an admin webhook with a secret (jira) or a dynamic webhook signed with the OAuth app's client secret (jira_oauth2).`,
      options.webhookUrl
        ? `Every change is also sent to ${options.webhookUrl}, signed with X-Hub-Signature and secret "${webhookSecret}" (give it as the sync's webhooks.signing_secret).`
        : `Or start with --webhook-url <Syncline>/v1/webhooks/in/<sync id> --webhook-secret <secret> and give that secret as the sync's webhooks.signing_secret.`,
    ],
  };
  return withOAuthControls(emulator, issuer, oauthClient);
}

export const jiraEmulatorDescriptor: EmulatorDescriptor = {
  name: 'jira',
  defaultPort: 12116,
  start: (options) => startJiraEmulator(options),
};
