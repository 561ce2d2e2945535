/**
 * Registering Jira webhooks for a sync, by credential kind:
 * - `jira` (API token, Basic): an admin webhook with a secret, `POST /rest/webhooks/1.0/webhook`
 *   (needs the Administer Jira permission; Jira answers 403 otherwise). Deliveries carry
 *   `X-Hub-Signature`. Issue, project and user events; it never expires. Renewing updates it in
 *   place (`PUT /rest/webhooks/1.0/webhook/{id}`), keeping its secret.
 * - `jira_oauth2` (OAuth 2.0 app): dynamic webhooks, `POST /rest/api/3/webhook` — the only kind an
 *   OAuth 2.0 app may register. Deliveries carry a JWT signed with the app's client secret. Issue
 *   events only (Jira offers no project or user events to them), a JQL filter is required (the
 *   account's projects, `project IN (…)`), and they lapse after 30 days: renewing extends them
 *   (`PUT /rest/api/3/webhook/refresh`), or registers them again when the URL or projects changed.
 */

import { randomInt } from 'node:crypto';
import { UpstreamRequestError, type ProviderContext, type RegisteredWebhook, type WebhookRegistrationInput } from '../provider.ts';
import { JiraClient } from './client.ts';
import { listAll, projectPage } from './reads.ts';
import { parseJiraTime } from './time.ts';
import { ISSUE_EVENTS, PROJECT_EVENTS, USER_EVENTS } from './webhook-events.ts';

/** The admin webhook API sits beside REST v3: `<site>/rest/webhooks/1.0/webhook`. */
const ADMIN_WEBHOOKS = '../../webhooks/1.0/webhook';
/** Jira lets dynamic webhooks live 30 days; assumed when an answer does not say. */
const DYNAMIC_LIFETIME_MS = 30 * 86_400_000;
const ADMIN_PREFIX = 'admin:';
const DYNAMIC_PREFIX = 'dynamic:';

type RegistrationInput = WebhookRegistrationInput;

export async function registerJiraWebhooks(context: ProviderContext, input: RegistrationInput): Promise<RegisteredWebhook> {
  const client = JiraClient.connect(context);
  if (context.credential.kind === 'jira_oauth2') {
    const secret = context.credential.oauthApp?.clientSecret;
    if (!secret) throw new UpstreamRequestError('Jira signs dynamic webhooks with the OAuth app\'s client secret: the credential has no OAuth app', 400, 'oauth_app_required');
    return registerDynamic(client, input, secret);
  }
  return registerAdmin(client, input);
}

export async function unregisterJiraWebhooks(context: ProviderContext, registered: RegisteredWebhook): Promise<void> {
  const client = JiraClient.connect(context);
  const dynamic = idsWith(registered.externalIds, DYNAMIC_PREFIX).map(Number);
  if (dynamic.length > 0) await ignoringNotFound(() => client.request('DELETE', client.url('webhook'), { webhookIds: dynamic }));
  for (const id of idsWith(registered.externalIds, ADMIN_PREFIX)) await ignoringNotFound(() => client.request('DELETE', client.url(`${ADMIN_WEBHOOKS}/${id}`)));
}

// --- admin webhooks ---------------------------------------------------------------------------

function adminEvents(collectionIds: readonly string[]): string[] {
  return [
    ...(collectionIds.includes('jira:issue') ? ISSUE_EVENTS : []),
    ...(collectionIds.includes('jira:project') ? PROJECT_EVENTS : []),
    ...(collectionIds.includes('jira:user') ? USER_EVENTS : []),
  ];
}

async function registerAdmin(client: JiraClient, input: RegistrationInput): Promise<RegisteredWebhook> {
  const events = adminEvents(input.collectionIds);
  if (events.length === 0) throw new UpstreamRequestError('none of the collections has Jira webhook events', 400, 'no_webhook_events');
  const previousId = input.previous ? idsWith(input.previous.externalIds, ADMIN_PREFIX)[0] : undefined;
  const secret = input.previous && previousId !== undefined ? input.previous.secret : newSecret();
  // No `filters`: an empty issue JQL matches every issue the webhook's owner may see.
  const body = { name: webhookName(input.url), url: input.url, events, excludeBody: false, secret };
  if (previousId !== undefined) {
    try {
      await client.request('PUT', client.url(`${ADMIN_WEBHOOKS}/${previousId}`), body);
      return { externalIds: [`${ADMIN_PREFIX}${previousId}`], secret, expiresAt: null };
    } catch (error) {
      if (!(error instanceof UpstreamRequestError && error.status === 404)) throw error;
    }
  }
  const answer = await client.request<Record<string, unknown>>('POST', client.url(ADMIN_WEBHOOKS), body);
  return { externalIds: [`${ADMIN_PREFIX}${adminWebhookId(answer.body)}`], secret, expiresAt: null };
}

/** Jira answers a created admin webhook with its `self` (`…/rest/webhooks/1.0/webhook/{id}`). */
function adminWebhookId(body: Record<string, unknown> | undefined): string {
  const self = typeof body?.self === 'string' ? /\/webhook\/(\d+)\/?$/.exec(body.self)?.[1] : undefined;
  const id = self ?? (typeof body?.id === 'number' || typeof body?.id === 'string' ? String(body.id) : undefined);
  if (!id) throw new Error('Jira answered an admin webhook registration without its id');
  return id;
}

// --- dynamic webhooks (OAuth 2.0 apps) --------------------------------------------------------

interface DynamicWebhook {
  id: number;
  events: string[];
  jqlFilter: string | null;
  expiresAt: Date | null;
}

async function registerDynamic(client: JiraClient, input: RegistrationInput, secret: string): Promise<RegisteredWebhook> {
  if (!input.collectionIds.includes('jira:issue')) {
    throw new UpstreamRequestError('Jira sends OAuth 2.0 apps issue events only: jira:project and jira:user stay on polling', 400, 'no_webhook_events');
  }
  const jqlFilter = await allProjectsJql(client);
  const events = [...ISSUE_EVENTS];
  const previousIds = input.previous ? idsWith(input.previous.externalIds, DYNAMIC_PREFIX).map(Number) : [];
  if (previousIds.length > 0) {
    const existing = await listDynamic(client);
    const same = previousIds.every((id) => {
      const hook = existing.get(id);
      // Jira's list does not answer a dynamic webhook's URL: the registration's own record does.
      return hook !== undefined && input.previousUrl === input.url && hook.jqlFilter === jqlFilter && events.every((e) => hook.events.includes(e));
    });
    if (same) {
      const answer = await client.request<{ expirationDate?: unknown }>('PUT', client.url('webhook/refresh'), { webhookIds: previousIds });
      return { externalIds: previousIds.map((id) => `${DYNAMIC_PREFIX}${id}`), secret, expiresAt: expiryOf(answer.body?.expirationDate) };
    }
    await ignoringNotFound(() => client.request('DELETE', client.url('webhook'), { webhookIds: previousIds }));
  }
  const answer = await client.request<{ webhookRegistrationResult?: unknown }>('POST', client.url('webhook'), { url: input.url, webhooks: [{ events, jqlFilter }] });
  const results = Array.isArray(answer.body?.webhookRegistrationResult) ? (answer.body.webhookRegistrationResult as Record<string, unknown>[]) : [];
  const first = results[0] ?? {};
  // Jira answers 200 even when it refuses a webhook: the refusal is in `errors`.
  if (typeof first.createdWebhookId !== 'number') {
    const errors = Array.isArray(first.errors) ? first.errors.map(String).join('; ') : 'no createdWebhookId in the answer';
    throw new UpstreamRequestError(`Jira refused the dynamic webhook: ${errors}`, 400, 'webhook_registration_refused');
  }
  const id = first.createdWebhookId;
  const created = (await listDynamic(client)).get(id);
  return { externalIds: [`${DYNAMIC_PREFIX}${id}`], secret, expiresAt: created?.expiresAt ?? new Date(Date.now() + DYNAMIC_LIFETIME_MS) };
}

/**
 * Dynamic webhooks need a JQL filter of their narrow subset (`=`, `!=`, `IN`, `NOT IN` on a few
 * fields): every project the account sees. Projects created later are covered by polling until the
 * next renewal, which registers again with them.
 */
async function allProjectsJql(client: JiraClient): Promise<string> {
  const projects = await listAll((startAt) => projectPage(client, startAt), (p) => String(p.id));
  const ids = projects.map((p) => String(p.id)).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  if (ids.length === 0) throw new UpstreamRequestError('the account sees no Jira project to filter dynamic webhooks on', 400, 'no_projects');
  return `project IN (${ids.join(', ')})`;
}

/** The app's dynamic webhooks (`GET /rest/api/3/webhook`, `startAt` pages until `isLast`). */
async function listDynamic(client: JiraClient): Promise<Map<number, DynamicWebhook>> {
  const hooks = new Map<number, DynamicWebhook>();
  let startAt = 0;
  for (;;) {
    const { body } = await client.get<{ values?: unknown; isLast?: unknown }>(client.url('webhook', { startAt: String(startAt), maxResults: '100' }));
    const values = Array.isArray(body?.values) ? (body.values as Record<string, unknown>[]) : [];
    for (const v of values) {
      if (typeof v.id !== 'number') continue;
      hooks.set(v.id, {
        id: v.id,
        events: Array.isArray(v.events) ? v.events.map(String) : [],
        jqlFilter: typeof v.jqlFilter === 'string' ? v.jqlFilter : null,
        expiresAt: expiryOf(v.expirationDate, null),
      });
    }
    if (body?.isLast !== false || values.length === 0) return hooks;
    startAt += values.length;
  }
}

/** `expirationDate` as Jira answers it: epoch ms, or its time format. */
function expiryOf(value: unknown, fallback: Date | null = new Date(Date.now() + DYNAMIC_LIFETIME_MS)): Date | null {
  const ms = typeof value === 'number' ? value : parseJiraTime(value);
  return ms !== null && Number.isFinite(ms) ? new Date(ms) : fallback;
}

// --- shared -----------------------------------------------------------------------------------

function idsWith(externalIds: readonly string[], prefix: string): string[] {
  return externalIds.filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length));
}

async function ignoringNotFound(request: () => Promise<unknown>): Promise<void> {
  try {
    await request();
  } catch (error) {
    if (!(error instanceof UpstreamRequestError && error.status === 404)) throw error;
  }
}

/** Where the name shows in Jira's admin page: the sync's receiving URL ends with its id. */
function webhookName(url: string): string {
  const last = new URL(url).pathname.split('/').filter(Boolean).pop();
  return last ? `Syncline sync ${last}` : 'Syncline';
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Letters and digits only, like the secrets Jira's admin page generates (32 characters, ~190 bits). */
function newSecret(): string {
  let secret = '';
  for (let i = 0; i < 32; i++) secret += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return secret;
}
