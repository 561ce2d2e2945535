/**
 * The emulator's Jira webhooks: both registration APIs and the deliveries of every change.
 * - Admin webhooks (`/rest/webhooks/1.0/webhook`, Basic auth of an administrator): `{name, url,
 *   events, filters: {"issue-related-events-section": JQL}, excludeBody, secret}`; deliveries
 *   signed with `X-Hub-Signature` when a secret was set.
 * - Dynamic webhooks of the OAuth 2.0 app (`/rest/api/3/webhook` through the gateway): `{url,
 *   webhooks: [{events, jqlFilter}]}` answered `{webhookRegistrationResult: […]}` (refusals in
 *   `errors`, still 200), a 30-day life extended by `PUT /webhook/refresh`, removed by
 *   `DELETE /webhook {webhookIds}`; deliveries carry a JWT signed with the app's client secret and
 *   `matchedWebhookIds`, one per URL.
 * - `--webhook-url`: every event, signed like an admin webhook with `--webhook-secret`.
 * Retries (the kit's WebhookSender) repeat a failed delivery with `X-Atlassian-Webhook-Retry`.
 */

import { randomUUID } from 'node:crypto';
import { jsonBody, type EmulatorAnswer, type EmulatorRequest } from '../kit/http-emulator.ts';
import type { OAuthClient } from '../kit/oauth-issuer.ts';
import type { WebhookEndpoint, WebhookSender } from '../kit/webhook-sender.ts';
import { compileJql, JqlError, parseJql, type Jql } from './jql.ts';
import type { Json, StoredUser } from './objects.ts';
import { jiraError, type JiraChange, type JiraStore } from './store.ts';
import { deliveryHeaders, eventName, webhookBody, type Signing } from './webhook-payloads.ts';

/** Events an admin webhook may subscribe to (the ones this emulator sends, and Jira's other common ones). */
const ADMIN_EVENTS = new Set([
  'jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted',
  'comment_created', 'comment_updated', 'comment_deleted', 'worklog_created', 'worklog_updated', 'worklog_deleted',
  'project_created', 'project_updated', 'project_deleted', 'project_soft_deleted', 'project_restored_deleted', 'project_archived', 'project_restored_archived',
  'user_created', 'user_updated', 'user_deleted',
]);
/** Dynamic webhooks take issue-related events only. */
const DYNAMIC_EVENTS = new Set(['jira:issue_created', 'jira:issue_updated', 'jira:issue_deleted', 'comment_created', 'comment_updated', 'comment_deleted', 'issue_property_set', 'issue_property_deleted']);
const DYNAMIC_JQL_OPERATORS = new Set(['=', '!=', 'in', 'not in']);
const JQL_SECTION = 'issue-related-events-section';
const DYNAMIC_LIFETIME_MS = 30 * 86_400_000;
export const DEFAULT_WEBHOOK_SECRET = 'jira-emulator-webhook-secret';

export interface AdminWebhook {
  id: number;
  name: string;
  url: string;
  events: string[];
  jql: string;
  excludeBody: boolean;
  secret: string | null;
  enabled: boolean;
  lastUpdated: number;
}

export interface DynamicWebhook {
  id: number;
  url: string;
  events: string[];
  jqlFilter: string;
  expiresAt: number;
}

/** A registration as tests see it (the conformance suite reads the secret Syncline registered). */
export interface RegisteredJiraWebhook {
  kind: 'admin' | 'dynamic';
  id: number;
  url: string;
  events: string[];
  /** The secret its deliveries are signed with (null: an admin webhook without one, unsigned). */
  secret: string | null;
  /** Dynamic webhooks only (ms). */
  expiresAt: number | null;
}

export interface JiraWebhookOptions {
  sender: WebhookSender;
  oauthClient: OAuthClient;
  /** The account that registers and acts (the site admin). */
  actor: () => StoredUser;
  /** Whether that account is a Jira administrator (admin webhooks need it). */
  isAdmin: boolean;
  cliUrl: string | null;
  cliSecret: string;
  dynamicLifetimeMs?: number;
  /** The zone JQL dates are read in. */
  timeZone: () => string;
}

export class JiraWebhookRegistry {
  private readonly admin = new Map<number, AdminWebhook>();
  private readonly dynamic = new Map<number, DynamicWebhook>();
  private nextAdminId = 1;
  private nextDynamicId = 10000;

  constructor(
    private readonly store: JiraStore,
    private readonly options: JiraWebhookOptions,
  ) {}

  registered(): RegisteredJiraWebhook[] {
    return [
      ...[...this.admin.values()].map((w) => ({ kind: 'admin' as const, id: w.id, url: w.url, events: [...w.events], secret: w.secret, expiresAt: null })),
      ...[...this.dynamic.values()].map((w) => ({ kind: 'dynamic' as const, id: w.id, url: w.url, events: [...w.events], secret: this.options.oauthClient.clientSecret, expiresAt: w.expiresAt })),
    ];
  }

  // --- deliveries ------------------------------------------------------------------------------

  /** Sends `change` to every endpoint it matches. */
  deliver(change: JiraChange): void {
    const event = eventName(change);
    const actor = this.options.actor();
    const matches = (events: readonly string[], jql: string): boolean => events.includes(event) && (change.kind !== 'issue' || this.jqlMatches(jql, change));
    if (this.options.cliUrl) this.send({ id: 'cli', url: this.options.cliUrl, secret: this.options.cliSecret, events: [...ADMIN_EVENTS] }, change, actor, { kind: 'hub', secret: this.options.cliSecret });
    for (const hook of this.admin.values()) {
      if (!hook.enabled || !matches(hook.events, hook.jql)) continue;
      this.send({ id: `admin-${hook.id}`, url: hook.url, secret: hook.secret ?? '', events: hook.events }, change, actor, { kind: 'hub', secret: hook.secret }, hook.excludeBody);
    }
    const byUrl = new Map<string, number[]>();
    for (const hook of this.dynamic.values()) {
      if (hook.expiresAt <= Date.now() || !matches(hook.events, hook.jqlFilter)) continue;
      byUrl.set(hook.url, [...(byUrl.get(hook.url) ?? []), hook.id]);
    }
    const { clientId, clientSecret } = this.options.oauthClient;
    for (const [url, ids] of byUrl) {
      const signing: Signing = { kind: 'jwt', clientId, secret: clientSecret, accountId: actor.accountId };
      this.send({ id: `dynamic-${ids.join(',')}`, url, secret: clientSecret, events: [event] }, change, actor, signing, false, { matchedWebhookIds: ids });
    }
  }

  /** A delivery of `change` exactly as sent, signed as `signing` says (tests forge with a wrong secret). */
  request(change: JiraChange, signing: Signing, extra: Json = {}): { headers: Record<string, string>; body: string } {
    const body = JSON.stringify(webhookBody(this.store, change, this.options.actor(), extra));
    return { headers: deliveryHeaders(randomUUID(), 1, body, signing), body };
  }

  private send(endpoint: WebhookEndpoint, change: JiraChange, actor: StoredUser, signing: Signing, excludeBody = false, extra: Json = {}): void {
    const body = excludeBody ? '' : JSON.stringify(webhookBody(this.store, change, actor, extra));
    const deliveryId = randomUUID();
    this.options.sender.send({ endpoint, deliveryId, body, sign: (attempt, sent) => deliveryHeaders(deliveryId, attempt, sent, signing) });
  }

  private jqlMatches(jql: string, change: Extract<JiraChange, { kind: 'issue' }>): boolean {
    if (jql.trim() === '') return true;
    try {
      return compileJql(parseJql(jql), this.options.timeZone(), Date.now()).matches(this.store.searchable(change.issue));
    } catch {
      return false;
    }
  }

  // --- admin webhooks: /rest/webhooks/1.0/webhook ----------------------------------------------

  handleAdmin(request: EmulatorRequest, id: number | null): EmulatorAnswer {
    if (!this.options.isAdmin) throw jiraError(403, ['You do not have permission to manage webhooks: it needs the Administer Jira global permission.']);
    if (id === null) {
      if (request.method === 'GET') return { status: 200, body: [...this.admin.values()].map((w) => this.renderAdmin(w)) };
      if (request.method === 'POST') {
        const hook: AdminWebhook = { id: this.nextAdminId++, ...this.adminFields(request), enabled: true, lastUpdated: Date.now() };
        this.admin.set(hook.id, hook);
        return { status: 201, body: this.renderAdmin(hook) };
      }
      throw jiraError(405, [`Method ${request.method} is not allowed here.`]);
    }
    const hook = this.admin.get(id);
    if (!hook) throw jiraError(404, [`Webhook with id ${id} does not exist.`]);
    switch (request.method) {
      case 'GET':
        return { status: 200, body: this.renderAdmin(hook) };
      case 'PUT': {
        const fields = this.adminFields(request);
        Object.assign(hook, fields, { secret: fields.secret ?? hook.secret, lastUpdated: Date.now() });
        return { status: 200, body: this.renderAdmin(hook) };
      }
      case 'DELETE':
        this.admin.delete(id);
        return { status: 204 };
      default:
        throw jiraError(405, [`Method ${request.method} is not allowed here.`]);
    }
  }

  private adminFields(request: EmulatorRequest): Omit<AdminWebhook, 'id' | 'enabled' | 'lastUpdated'> {
    const body = objectBody(request);
    const errors: Record<string, string> = {};
    if (typeof body.name !== 'string' || body.name.trim() === '') errors.name = 'The webhook name must not be empty.';
    if (typeof body.url !== 'string' || !isHttpUrl(body.url)) errors.url = 'The webhook URL must be a valid http(s) URL.';
    const events = Array.isArray(body.events) ? body.events.map(String) : [];
    const unknown = events.filter((e) => !ADMIN_EVENTS.has(e));
    if (unknown.length > 0) errors.events = `Unknown webhook events: ${unknown.join(', ')}`;
    const filters = body.filters && typeof body.filters === 'object' ? (body.filters as Json) : {};
    const jql = typeof filters[JQL_SECTION] === 'string' ? (filters[JQL_SECTION] as string) : '';
    if (jql.trim() !== '') {
      try {
        parseJql(jql);
      } catch (error) {
        if (!(error instanceof JqlError)) throw error;
        errors.filters = error.message;
      }
    }
    if (body.secret !== undefined && body.secret !== null && typeof body.secret !== 'string') errors.secret = 'The secret must be a string.';
    if (Object.keys(errors).length > 0) throw jiraError(400, [], errors);
    return {
      name: String(body.name),
      url: String(body.url),
      events,
      jql,
      excludeBody: body.excludeBody === true,
      secret: typeof body.secret === 'string' && body.secret !== '' ? body.secret : null,
    };
  }

  /** As Jira answers an admin webhook (never its secret). */
  private renderAdmin(hook: AdminWebhook): Json {
    const actor = this.options.actor();
    return {
      self: `${this.store.base}/rest/webhooks/1.0/webhook/${hook.id}`,
      name: hook.name,
      url: hook.url,
      excludeBody: hook.excludeBody,
      filters: { [JQL_SECTION]: hook.jql },
      events: [...hook.events],
      enabled: hook.enabled,
      lastUpdatedUser: actor.accountId,
      lastUpdatedDisplayName: actor.displayName,
      lastUpdated: hook.lastUpdated,
    };
  }

  // --- dynamic webhooks: /rest/api/3/webhook (OAuth 2.0 apps) ----------------------------------

  handleDynamic(request: EmulatorRequest, route: 'webhook' | 'webhook/refresh'): EmulatorAnswer {
    if (route === 'webhook/refresh') {
      if (request.method !== 'PUT') throw jiraError(405, [`Method ${request.method} is not allowed here.`]);
      const expiresAt = Date.now() + (this.options.dynamicLifetimeMs ?? DYNAMIC_LIFETIME_MS);
      for (const id of webhookIds(request)) {
        const hook = this.dynamic.get(id);
        if (hook) hook.expiresAt = expiresAt;
      }
      return { status: 200, body: { expirationDate: expiresAt } };
    }
    switch (request.method) {
      case 'GET':
        return this.listDynamic(request);
      case 'POST':
        return this.registerDynamic(request);
      case 'DELETE':
        for (const id of webhookIds(request)) this.dynamic.delete(id);
        return { status: 202 };
      default:
        throw jiraError(405, [`Method ${request.method} is not allowed here.`]);
    }
  }

  private registerDynamic(request: EmulatorRequest): EmulatorAnswer {
    const body = objectBody(request);
    if (typeof body.url !== 'string' || !isHttpUrl(body.url)) throw jiraError(400, ['The url must be a valid http(s) URL.']);
    if (!Array.isArray(body.webhooks) || body.webhooks.length === 0) throw jiraError(400, ['At least one webhook is required.']);
    const url = body.url;
    const results = body.webhooks.map((raw: unknown) => {
      const webhook = raw && typeof raw === 'object' ? (raw as Json) : {};
      const errors = dynamicErrors(webhook);
      if (errors.length > 0) return { errors };
      const hook: DynamicWebhook = {
        id: this.nextDynamicId++,
        url,
        events: (webhook.events as unknown[]).map(String),
        jqlFilter: String(webhook.jqlFilter),
        expiresAt: Date.now() + (this.options.dynamicLifetimeMs ?? DYNAMIC_LIFETIME_MS),
      };
      this.dynamic.set(hook.id, hook);
      return { createdWebhookId: hook.id };
    });
    return { status: 200, body: { webhookRegistrationResult: results } };
  }

  private listDynamic(request: EmulatorRequest): EmulatorAnswer {
    const startAt = Math.max(0, Number(request.query.get('startAt') ?? 0) || 0);
    const maxResults = Math.min(100, Math.max(1, Number(request.query.get('maxResults') ?? 100) || 100));
    const all = [...this.dynamic.values()];
    const values = all.slice(startAt, startAt + maxResults).map((w) => ({ id: w.id, jqlFilter: w.jqlFilter, events: [...w.events], expirationDate: w.expiresAt }));
    return { status: 200, body: { maxResults, startAt, total: all.length, isLast: startAt + maxResults >= all.length, values } };
  }
}

/** What Jira refuses in one dynamic webhook: unknown events, a missing or unsupported JQL filter. */
function dynamicErrors(webhook: Json): string[] {
  const errors: string[] = [];
  const events = Array.isArray(webhook.events) ? webhook.events.map(String) : [];
  if (events.length === 0) errors.push('The webhook must have at least one event.');
  for (const event of events) if (!DYNAMIC_EVENTS.has(event)) errors.push(`Event ${event} is not supported.`);
  if (typeof webhook.jqlFilter !== 'string' || webhook.jqlFilter.trim() === '') {
    errors.push('JQL filter is required.');
    return errors;
  }
  let jql: Jql;
  try {
    jql = parseJql(webhook.jqlFilter);
  } catch (error) {
    if (!(error instanceof JqlError)) throw error;
    return [...errors, error.message];
  }
  if (jql.orderBy.length > 0) errors.push('ORDER BY is not supported in webhook JQL filters.');
  for (const clause of jql.clauses) {
    if (clause.field !== 'project' && clause.field !== 'key') errors.push(`Field ${clause.field} is unsupported.`);
    if (!DYNAMIC_JQL_OPERATORS.has(clause.operator)) errors.push(`Operator ${clause.operator} is unsupported.`);
  }
  return errors;
}

function webhookIds(request: EmulatorRequest): number[] {
  const body = objectBody(request);
  if (!Array.isArray(body.webhookIds) || body.webhookIds.length === 0 || !body.webhookIds.every((id) => Number.isInteger(id))) {
    throw jiraError(400, ['webhookIds must be a non-empty list of webhook ids.']);
  }
  return body.webhookIds as number[];
}

function objectBody(request: EmulatorRequest): Json {
  const body = jsonBody(request, () => ({ status: 400, body: { errorMessages: ['Unexpected character: was expecting a JSON value'], errors: {} } }));
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw jiraError(400, ['The request body must be a JSON object.']);
  return body as Json;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
