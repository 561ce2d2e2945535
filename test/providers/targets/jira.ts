/** The Jira provider's conformance targets: Basic auth with an email and an API token, and an OAuth 2.0 (3LO) app's rotating refresh token. */

import { startJiraEmulator, type JiraEmulator } from '../../../src/emulators/jira/index.ts';
import { stringify as canonicalJson } from 'safe-stable-stringify';
import type { ConformanceTarget, WebhookSample } from '../conformance/target.ts';
import { jiraApiDescription } from '../api-descriptions/jira.ts';

type Fields = Record<string, unknown>;

/** An embedded project or user summary reduced to its id. */
const idOf = (value: unknown): unknown => (value && typeof value === 'object' ? ((value as Fields).accountId ?? (value as Fields).id) : value);

/**
 * An issue embeds summaries of its project and people (`fields.project`, `assignee`,
 * `reporter`, `creator`), and Jira answers them as they are now: renaming a project or a user
 * changes every issue's answer without changing its `updated`, so no issue search sees it. A
 * record keeps them as of the issue's last change (`jira:project` / `jira:user` carry the current
 * ones): issues are the same when everything else is equal and those summaries name the same ids.
 */
function sameObject(collectionId: string, data: Record<string, unknown>, upstream: Record<string, unknown>): boolean {
  if (collectionId !== 'jira:issue') return canonicalJson(data) === canonicalJson(upstream);
  const reduce = (issue: Record<string, unknown>): Record<string, unknown> => {
    const fields = { ...((issue.fields ?? {}) as Fields) };
    for (const name of ['project', 'assignee', 'reporter', 'creator']) fields[name] = idOf(fields[name]);
    return { ...issue, fields };
  };
  return canonicalJson(reduce(data)) === canonicalJson(reduce(upstream));
}

let webhookChanges = 0;

/**
 * Syncline registers the webhook through the emulator's API: an admin webhook with a secret it
 * generates (API token, `X-Hub-Signature`), or a dynamic webhook signed with the OAuth app's
 * client secret (a JWT).
 */
const webhookSample = (signing: 'hub' | 'jwt'): WebhookSample<JiraEmulator> => ({
  collectionId: 'jira:issue',
  change: (emulator) => {
    const issues = emulator.objects('issue');
    const id = String(issues[++webhookChanges % issues.length]!.id);
    emulator.updateIssue(id, { summary: `Webhook change ${webhookChanges}` });
    return id;
  },
  remove: (emulator) => {
    const id = String(emulator.objects('issue').at(-1)!.id);
    emulator.deleteIssue(id);
    return id;
  },
  secret: (emulator) => {
    const secret = emulator.registeredWebhooks().at(-1)?.secret;
    if (!secret) throw new Error('no signed webhook is registered with the Jira emulator');
    return secret;
  },
  request: (emulator, upstreamId, secret) => emulator.webhookRequest(upstreamId, secret, signing),
});

const base: Omit<ConformanceTarget<JiraEmulator>, 'credential'> = {
  provider: 'jira',
  collections: ['jira:issue', 'jira:project', 'jira:user'],
  apiDescription: jiraApiDescription,
  startEmulator: ({ objects, randomSeed, rateLimit }) =>
    startJiraEmulator({
      seed: { issue: objects, user: objects, project: Math.ceil(objects / 3) },
      randomSeed,
      email: 'conformance@example.com',
      apiKey: 'ATATT-conformance',
      // JQL dates are read in this zone: the provider must format its cursor minute in it.
      timeZone: 'America/Los_Angeles',
      rateLimit: rateLimit ?? null,
    }),
  sameObject,
  upstreamId: (collectionId, object) => String(collectionId === 'jira:user' ? object.accountId : object.id),
  mutation: {
    collectionId: 'jira:issue',
    // The emulator's first project always has id 10000 (Jira's first project id).
    create: { fields: { project: { id: '10000' }, summary: 'Conformance Created', issuetype: { name: 'Task' } } },
    update: { fields: { summary: 'Conformance Updated', labels: ['conformance'] } },
    showsUpdate: (object) => {
      const fields = object.fields as { summary?: unknown; labels?: unknown };
      return fields.summary === 'Conformance Updated' && Array.isArray(fields.labels) && fields.labels.includes('conformance');
    },
  },
};

export const jiraConformanceTarget: ConformanceTarget<JiraEmulator> = {
  ...base,
  webhooks: webhookSample('hub'),
  credential: async (_api, emulator) => ({ kind: 'jira', access_token: emulator.apiToken, metadata: { email: emulator.email }, api_base_url: emulator.url }),
};

/** OAuth 2.0 (3LO): the emulator serves auth.atlassian.com and api.atlassian.com; refresh tokens rotate on every grant. */
export const jiraOAuthTarget: ConformanceTarget<JiraEmulator> = {
  ...base,
  webhooks: webhookSample('jwt'),
  credential: async (api, emulator) => {
    const app = await api.post('/v1/oauth-apps', { provider: 'jira', client_id: emulator.oauthClient.clientId, client_secret: emulator.oauthClient.clientSecret });
    if (app.status !== 201) throw new Error(`POST /v1/oauth-apps answered ${app.status}: ${JSON.stringify(app.body)}`);
    return { kind: 'jira_oauth2', refresh_token: emulator.issueRefreshToken(), oauth_app_id: app.body.id, api_base_url: emulator.url };
  },
  expireAccessTokens: (emulator) => emulator.expireAccessTokens(),
  refreshGrants: (emulator) => emulator.refreshGrants,
};
