/**
 * Jira Cloud's REST v3 wire format: HTTP Basic `email:api_token`, `{errorMessages, errors}`
 * bodies, the enhanced JQL search (`/rest/api/3/search/jql`, `nextPageToken`, `isLast`),
 * `/project/search` (`startAt`, `maxResults`, `isLast`, `total`), `/users/search` (a bare array),
 * issue create / edit / delete, and 429s with `Retry-After` and `RateLimit-Reason`. With OAuth
 * 2.0 (3LO) routes, the same API under Atlassian's gateway path `/ex/jira/{cloudId}/rest/api/3/`
 * with a Bearer token, and the OAuth endpoints (oauth-routes.ts).
 */

import { basicCredentials, EmulatorError, jsonBody, type EmulatorAnswer, type EmulatorRequest, type EmulatorWireFormat, type RateLimitState } from '../kit/http-emulator.ts';
import { compileJql, JqlError, parseJql, type Searchable } from './jql.ts';
import type { Json, StoredUser } from './objects.ts';
import type { JiraOAuthRoutes } from './oauth-routes.ts';
import { jiraError, type JiraStore } from './store.ts';
import type { JiraWebhookRegistry } from './webhook-registry.ts';

const ISSUE_PATH = /^\/rest\/api\/(?:3|latest)\/issue\/([^/]+)$/;
const API = /^\/rest\/api\/(?:3|latest)\//;
/** Atlassian's gateway path of a site's API (OAuth 2.0 Bearer tokens). */
const GATEWAY = /^\/ex\/jira\/([^/]+)(\/.*)$/;
/** Admin webhooks, beside REST v3 at the site (not through the gateway). */
const ADMIN_WEBHOOK_PATH = /^\/rest\/webhooks\/1\.0\/webhook(?:\/([^/]+))?$/;
const DEFAULT_PAGE = 50;
const MAX_ISSUES_PAGE = 100;
/** The search answers this many when only `id` / `key` are asked for. */
const MAX_ID_PAGE = 5000;
const PROJECT_PAGE_MAX = 50;
const USER_PAGE_MAX = 1000;

export interface JiraIdentity {
  email: string;
  apiToken: string;
}

const NOT_AUTHENTICATED = 'You are not authenticated. Authentication required to perform this operation.';

export class JiraWireFormat implements EmulatorWireFormat {
  readonly name = 'jira';

  constructor(
    private readonly store: JiraStore,
    private readonly identity: JiraIdentity,
    /** Reads JQL dates in this zone instead of the account's (a test knob: Jira itself uses the account's). */
    private readonly jqlTimeZone: string | null = null,
    private readonly oauth: { routes: JiraOAuthRoutes; cloudId: string } | null = null,
    private readonly webhooks: JiraWebhookRegistry | null = null,
  ) {}

  authenticate(request: EmulatorRequest): void {
    if (this.oauth && (request.path.startsWith('/ex/jira/') || request.path.startsWith('/oauth/token/'))) return this.oauth.routes.requireBearer(request);
    if (this.oauth?.routes.isPublic(request)) return;
    const basic = basicCredentials(request);
    if (!basic || basic.user !== this.identity.email || basic.password !== this.identity.apiToken) {
      throw new EmulatorError({ status: 401, body: { errorMessages: [NOT_AUTHENTICATED], errors: {} }, headers: { 'WWW-Authenticate': 'Basic realm="protected-area"' } });
    }
  }

  rateLimited(_request: EmulatorRequest, state: RateLimitState): EmulatorAnswer {
    const seconds = Math.max(1, Math.ceil(state.resetInMs / 1000));
    const reset = new Date(Date.now() + seconds * 1000).toISOString().slice(0, 16) + 'Z';
    return {
      status: 429,
      body: { errorMessages: ['Rate limit exceeded.'], errors: {} },
      headers: { 'Retry-After': String(seconds), 'X-RateLimit-Limit': String(state.limit), 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset, 'RateLimit-Reason': 'jira-quota-based' },
    };
  }

  internalError(): EmulatorAnswer {
    return { status: 500, body: { errorMessages: ['Internal server error'], errors: {} } };
  }

  answerHeaders(_request: EmulatorRequest, state: RateLimitState | null): Record<string, string> {
    const headers: Record<string, string> = { 'X-AREQUESTID': crypto.randomUUID(), 'X-Seraph-LoginReason': 'OK' };
    if (state && state.remaining < state.limit * 0.2) headers['X-RateLimit-NearLimit'] = 'true';
    return headers;
  }

  handle(request: EmulatorRequest): EmulatorAnswer {
    let path = request.path.replace(/\/+$/, '');
    let viaGateway = false;
    if (this.oauth) {
      const answer = this.oauth.routes.handle(request);
      if (answer) return answer;
      const gateway = GATEWAY.exec(path);
      if (gateway) {
        if (decodeURIComponent(gateway[1] as string) !== this.oauth.cloudId) throw jiraError(404, ['Site not found for the given cloud id.']);
        path = gateway[2] as string;
        viaGateway = true;
      }
    }
    const adminWebhook = ADMIN_WEBHOOK_PATH.exec(path);
    if (adminWebhook && this.webhooks && !viaGateway) {
      const id = adminWebhook[1] === undefined ? null : Number(decodeURIComponent(adminWebhook[1]));
      if (id !== null && !Number.isInteger(id)) throw jiraError(404, [`Webhook with id ${adminWebhook[1]} does not exist.`]);
      return this.webhooks.handleAdmin(request, id);
    }
    if (!API.test(path)) throw notFound();
    const route = path.replace(API, '');
    const issue = ISSUE_PATH.exec(path);
    if (issue) return this.issue(request, decodeURIComponent(issue[1] as string));
    if ((route === 'webhook' || route === 'webhook/refresh') && this.webhooks) {
      if (!viaGateway) throw jiraError(403, ['Only Connect and OAuth 2.0 apps can use this operation.']);
      return this.webhooks.handleDynamic(request, route);
    }
    switch (`${request.method} ${route}`) {
      case 'GET myself':
        return { status: 200, body: this.store.renderUser(this.me()) };
      case 'GET search/jql':
        return this.search(request, this.searchParams(request.query));
      case 'POST search/jql':
        return this.search(request, this.searchBody(request));
      case 'POST search/approximate-count':
        return this.count(request);
      case 'GET project/search':
        return this.projects(request);
      case 'GET users/search':
      case 'GET users':
        return this.users(request);
      case 'GET user/bulk':
        return this.usersById(request);
      case 'POST issue':
        return this.createIssue(request);
      case 'GET search':
      case 'POST search':
        throw jiraError(410, ['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.']);
      default:
        throw notFound();
    }
  }

  private me(): StoredUser {
    const me = [...this.store.users.values()].find((u) => u.emailAddress === this.identity.email);
    if (!me) throw jiraError(404, ['The user does not exist.']);
    return me;
  }

  private issue(request: EmulatorRequest, idOrKey: string): EmulatorAnswer {
    switch (request.method) {
      case 'GET':
        return { status: 200, body: this.store.renderIssue(this.store.issue(idOrKey), readFields(request.query.get('fields'), null)) };
      case 'PUT':
        this.store.updateIssue(idOrKey, this.body(request));
        return { status: 204 };
      case 'DELETE':
        this.store.deleteIssue(idOrKey);
        return { status: 204 };
      default:
        throw jiraError(405, [`Method ${request.method} is not allowed here.`]);
    }
  }

  private createIssue(request: EmulatorRequest): EmulatorAnswer {
    const created = this.store.createIssue(this.body(request), this.me().accountId);
    return { status: 201, body: { id: String(created.id), key: created.key, self: `${this.store.base}/rest/api/3/issue/${created.id}` } };
  }

  private body(request: EmulatorRequest): Json {
    const body = jsonBody(request, () => ({ status: 400, body: { errorMessages: ['Unexpected character: was expecting a JSON value'], errors: {} } }));
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw jiraError(400, ['The request body must be a JSON object.']);
    return body as Json;
  }

  private searchParams(query: URLSearchParams): SearchInput {
    return { jql: query.get('jql'), nextPageToken: query.get('nextPageToken'), maxResults: query.get('maxResults'), fields: readFields(query.getAll('fields').join(',') || null, ['id']) };
  }

  private searchBody(request: EmulatorRequest): SearchInput {
    const body = this.body(request);
    const fields = Array.isArray(body.fields) ? readFields(body.fields.map(String).join(','), ['id']) : ['id'];
    return {
      jql: typeof body.jql === 'string' ? body.jql : null,
      nextPageToken: typeof body.nextPageToken === 'string' ? body.nextPageToken : null,
      maxResults: body.maxResults === undefined ? null : String(body.maxResults),
      fields,
    };
  }

  private matching(jqlText: string | null): Searchable[] {
    if (jqlText === null || jqlText.trim() === '') throw jiraError(400, ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.']);
    let compiled;
    try {
      const jql = parseJql(jqlText);
      if (jql.clauses.length === 0) throw jiraError(400, ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.']);
      compiled = compileJql(jql, this.jqlTimeZone ?? this.me().timeZone, Date.now());
    } catch (error) {
      if (error instanceof JqlError) throw jiraError(400, [error.message]);
      throw error;
    }
    return [...this.store.issues.values()].map((i) => this.store.searchable(i)).filter((s) => compiled.matches(s)).sort(compiled.compare);
  }

  private search(_request: EmulatorRequest, input: SearchInput): EmulatorAnswer {
    const all = this.matching(input.jql);
    const idsOnly = input.fields !== null && input.fields.every((f) => f === 'id' || f === 'key');
    const limit = readLimit(input.maxResults, DEFAULT_PAGE, idsOnly ? MAX_ID_PAGE : MAX_ISSUES_PAGE);
    const offset = input.nextPageToken === null ? 0 : readToken(input.nextPageToken, input.jql ?? '');
    const page = all.slice(offset, offset + limit);
    const more = offset + limit < all.length;
    const issues = page.map((s) => this.store.renderIssue(this.store.issue(String(s.id)), input.fields));
    return { status: 200, body: { issues, ...(more ? { nextPageToken: writeToken(offset + limit, input.jql ?? '') } : {}), isLast: !more } };
  }

  private count(request: EmulatorRequest): EmulatorAnswer {
    const body = this.body(request);
    return { status: 200, body: { count: this.matching(typeof body.jql === 'string' ? body.jql : null).length } };
  }

  private projects(request: EmulatorRequest): EmulatorAnswer {
    const startAt = readStart(request.query.get('startAt'));
    const maxResults = readLimit(request.query.get('maxResults'), DEFAULT_PAGE, PROJECT_PAGE_MAX);
    const ids = new Set(request.query.getAll('id').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean));
    const all = [...this.store.projects.values()].filter((p) => ids.size === 0 || ids.has(p.id)).sort((a, b) => Number(a.id) - Number(b.id));
    const values = all.slice(startAt, startAt + maxResults).map((p) => this.store.renderProject(p));
    const isLast = startAt + maxResults >= all.length;
    const self = `${this.store.base}/rest/api/3/project/search?startAt=${startAt}&maxResults=${maxResults}`;
    return {
      status: 200,
      body: {
        self,
        ...(isLast ? {} : { nextPage: `${this.store.base}/rest/api/3/project/search?startAt=${startAt + maxResults}&maxResults=${maxResults}` }),
        maxResults,
        startAt,
        total: all.length,
        isLast,
        values,
      },
    };
  }

  /** `GET /user/bulk?accountId=…` (repeatable): a page of the users found, in the listing's shape. */
  private usersById(request: EmulatorRequest): EmulatorAnswer {
    const accountIds = request.query.getAll('accountId');
    if (accountIds.length === 0) throw jiraError(400, ['The accountId query parameter is required.']);
    const startAt = readStart(request.query.get('startAt'));
    const maxResults = readLimit(request.query.get('maxResults'), 10, 200);
    const found = accountIds.map((id) => this.store.users.get(id)).filter((u): u is StoredUser => u !== undefined);
    const values = found.slice(startAt, startAt + maxResults).map((u) => this.store.renderUser(u));
    return { status: 200, body: { maxResults, startAt, total: found.length, isLast: startAt + maxResults >= found.length, values } };
  }

  private users(request: EmulatorRequest): EmulatorAnswer {
    const startAt = readStart(request.query.get('startAt'));
    const maxResults = readLimit(request.query.get('maxResults'), DEFAULT_PAGE, USER_PAGE_MAX);
    const all = [...this.store.users.values()];
    return { status: 200, body: all.slice(startAt, startAt + maxResults).map((u) => this.store.renderUser(u)) };
  }
}

interface SearchInput {
  jql: string | null;
  nextPageToken: string | null;
  maxResults: string | null;
  /** null = every field. */
  fields: string[] | null;
}

function notFound(): EmulatorError {
  return jiraError(404, ['null for uri: the emulator has no such resource']);
}

/** `fields`: `*all` / `*navigable` (every field), or names (`-name` drops one); `fallback` when absent. */
function readFields(raw: string | null, fallback: string[] | null): string[] | null {
  if (raw === null || raw.trim() === '') return fallback;
  const names = raw.split(',').map((f) => f.trim()).filter(Boolean);
  if (names.some((n) => n === '*all' || n === '*navigable')) return null;
  const kept = names.filter((n) => !n.startsWith('-'));
  return kept.length > 0 ? kept : null;
}

function readLimit(raw: string | null, fallback: number, max: number): number {
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw jiraError(400, [`The value '${raw}' is invalid for maxResults.`]);
  return Math.min(n === 0 ? fallback : n, max);
}

function readStart(raw: string | null): number {
  if (raw === null) return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw jiraError(400, [`The value '${raw}' is invalid for startAt.`]);
  return n;
}

function writeToken(offset: number, jql: string): string {
  return Buffer.from(JSON.stringify({ o: offset, j: jql })).toString('base64url');
}

function readToken(token: string, jql: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; j?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.j === jql) return parsed.o;
  } catch {
    // falls through to the refusal
  }
  throw jiraError(400, ['The provided next page token is invalid or expired.']);
}
