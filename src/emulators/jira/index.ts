/**
 * The Jira Cloud REST v3 emulator (issues, projects, users), on the emulator kit: Basic auth at
 * the site's `/rest/api/3/`, and OAuth 2.0 (3LO) as Atlassian serves it (consent, token endpoint
 * with rotating refresh tokens, accessible-resources, the gateway's `/ex/jira/{cloudId}/rest/api/3/`).
 */

import { OAuthIssuer, withOAuthControls, type OAuthClient, type OAuthControls } from '../kit/oauth-issuer.ts';
import { listenHttpEmulator, mutationControls, transportControls, type CommonEmulatorOptions, type EmulatorDescriptor, type ProviderEmulator } from '../kit/provider-emulator.ts';
import { Random } from '../kit/random.ts';
import { mutateRandomly, seed, type SeedCounts } from './mutator.ts';
import { JiraOAuthRoutes } from './oauth-routes.ts';
import { JIRA_COLLECTIONS, JiraStore, type JiraCollection } from './store.ts';
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
}

export interface JiraEmulator extends ProviderEmulator<JiraCollection>, OAuthControls {
  readonly email: string;
  readonly apiToken: string;
  /** The site's cloud id (`/ex/jira/{cloudId}/rest/api/3/`). */
  readonly cloudId: string;
  instructions(): string[];
}

const DEFAULT_OAUTH_CLIENT: OAuthClient = { clientId: 'jira-emulator-client', clientSecret: 'jira-emulator-secret' };
const DEFAULT_CLOUD_ID = '1324a887-45db-1bf4-1e99-ef0ff456d421';

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
  const http = await listenHttpEmulator(new JiraWireFormat(store, { email, apiToken }, options.jqlTimeZone ?? null, { routes: oauthRoutes, cloudId }), options);
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

  const emulator: Omit<JiraEmulator, keyof OAuthControls> = {
    ...transportControls(http),
    email,
    apiToken,
    cloudId,
    collections: JIRA_COLLECTIONS,
    objects: (collection) => JSON.parse(JSON.stringify(listed(collection))) as Record<string, unknown>[],
    ...mutationControls(http, mutate),
    instructions: () => [
      `Jira emulator listening on ${http.url} (Basic auth ${email} / ${apiToken}); Syncline credential:`,
      JSON.stringify({ kind: 'jira', access_token: apiToken, metadata: { email }, api_base_url: http.url }),
      `OAuth 2.0 (3LO), cloud id ${cloudId}: POST /v1/oauth-apps ${JSON.stringify({ provider: 'jira', client_id: oauthClient.clientId, client_secret: oauthClient.clientSecret })}, then`,
      JSON.stringify({ kind: 'jira_oauth2', refresh_token: issuer.issueRefreshToken(oauthClient.clientId), oauth_app_id: '<the oauth app id>', api_base_url: http.url }),
    ],
  };
  return withOAuthControls(emulator, issuer, oauthClient);
}

export const jiraEmulatorDescriptor: EmulatorDescriptor = {
  name: 'jira',
  defaultPort: 12116,
  start: (options) => startJiraEmulator(options),
};
