/**
 * Zendesk Support's REST wire format: HTTP Basic `{email}/token:{api_token}` or an OAuth
 * `Authorization: Bearer` token (endpoints in oauth-routes.ts), `/api/v2/…` paths
 * (with or without `.json`), `{ticket: …}` envelopes, `{"error": …, "description": …}` bodies,
 * `X-Rate-Limit` / `X-Rate-Limit-Remaining` (and `ratelimit-*`) headers, 429 with `Retry-After`,
 * the incremental exports (see export.ts), optionally held to their own 10-per-minute limit, and
 * the Webhooks and Triggers APIs (webhook-routes.ts).
 */

import { basicCredentials, bearerToken, EmulatorError, jsonBody, type EmulatorAnswer, type EmulatorRateLimit, type EmulatorRequest, type EmulatorWireFormat, type RateLimitState } from '../kit/http-emulator.ts';
import { cursorExport, timeExport, type ExportRequest } from './export.ts';
import type { ZendeskObject } from './objects.ts';
import type { ZendeskOAuthRoutes } from './oauth-routes.ts';
import { notFound, type ZendeskCollection, type ZendeskStore } from './store.ts';
import { nowSeconds, zendeskTime } from './time.ts';
import type { ZendeskWebhookRoutes } from './webhook-routes.ts';

/** The Enterprise plan's account-wide limit, shown when the emulator has no limit of its own. */
const PLAN_LIMIT = 700;

const EXPORTS = /^\/api\/v2\/incremental\/(tickets\/cursor|users\/cursor|organizations)(?:\.json)?$/;
const RESOURCE = /^\/api\/v2\/(tickets|users|organizations)(?:\/(\d+))?(?:\.json)?$/;
const COUNT = /^\/api\/v2\/(tickets|users|organizations)\/count(?:\.json)?$/;
const KIND: Record<string, ZendeskCollection> = { tickets: 'ticket', users: 'user', organizations: 'organization' };

export interface ExportRules {
  /** Items changed within this many seconds are left out, and a younger start_time refused (Zendesk: 60). */
  lagSeconds: number;
  /** The exports' own limit (Zendesk: 10 per minute), or null. */
  rateLimit: EmulatorRateLimit | null;
}

export class ZendeskWireFormat implements EmulatorWireFormat {
  readonly name = 'zendesk';
  private readonly exportTimes: number[] = [];
  /** Export requests the exports' own limit answered 429. */
  exportLimitAnswers = 0;

  constructor(
    private readonly store: ZendeskStore,
    private readonly auth: { email: string; apiToken: string; isValidAccessToken: (token: string) => boolean },
    readonly exportRules: ExportRules,
    private readonly oauth: ZendeskOAuthRoutes,
    private readonly webhooks: ZendeskWebhookRoutes,
  ) {}

  authenticate(request: EmulatorRequest): void {
    if (request.path.startsWith('/oauth/')) return;
    // OAuth: `Authorization: Bearer <access token>`, beside the API token form.
    const bearer = bearerToken(request);
    if (bearer !== null && this.auth.isValidAccessToken(bearer)) return;
    const basic = basicCredentials(request);
    if (!basic || basic.user !== `${this.auth.email}/token` || basic.password !== this.auth.apiToken) {
      throw new EmulatorError({ status: 401, body: { error: "Couldn't authenticate you" } });
    }
  }

  rateLimited(_request: EmulatorRequest, state: RateLimitState): EmulatorAnswer {
    const seconds = Math.max(1, Math.ceil(state.resetInMs / 1000));
    return {
      status: 429,
      body: { error: 'APIRateLimitExceeded', description: 'Number of allowed API requests per minute exceeded' },
      headers: { 'Retry-After': String(seconds), ...limitHeaders({ ...state, remaining: 0 }) },
    };
  }

  internalError(): EmulatorAnswer {
    return { status: 500, body: { error: 'InternalError', description: 'Something went wrong. Please try again.' } };
  }

  answerHeaders(_request: EmulatorRequest, state: RateLimitState | null): Record<string, string> {
    return { ...limitHeaders(state ?? { limit: PLAN_LIMIT, remaining: PLAN_LIMIT - 1, windowMs: 60_000, resetInMs: 60_000 }), 'X-Request-Id': crypto.randomUUID() };
  }

  handle(request: EmulatorRequest): EmulatorAnswer {
    const oauth = this.oauth.handle(request);
    if (oauth) return oauth;
    const webhooks = this.webhooks.handle(request);
    if (webhooks) return webhooks;
    const exported = EXPORTS.exec(request.path);
    if (exported) {
      if (request.method !== 'GET') throw notFound();
      this.admitExport();
      return { status: 200, body: this.export(exported[1] as string, request) };
    }
    const counted = COUNT.exec(request.path);
    if (counted && request.method === 'GET') {
      // Zendesk's counts: `{count: {value, refreshed_at}}` (cached up to a day on large accounts).
      return { status: 200, body: { count: { value: this.store.live(KIND[counted[1] as string] as ZendeskCollection).length, refreshed_at: zendeskTime(nowSeconds()) } } };
    }
    const match = RESOURCE.exec(request.path);
    if (!match) throw notFound();
    const [, resource, rawId] = match;
    const id = rawId === undefined ? null : Number(rawId);
    if (resource === 'tickets') return this.tickets(request, id);
    if (id === null || request.method !== 'GET') throw notFound();
    const kind = resource === 'users' ? 'user' : 'organization';
    return { status: 200, body: { [kind]: this.store.read(kind, id) } };
  }

  private tickets(request: EmulatorRequest, id: number | null): EmulatorAnswer {
    switch (request.method) {
      case 'GET':
        if (id === null) throw notFound();
        return { status: 200, body: { ticket: this.store.read('ticket', id) } };
      case 'POST': {
        if (id !== null) throw notFound();
        const ticket = this.store.createTicket(this.envelope(request));
        return { status: 201, body: { ticket, audit: audit(ticket, 'Create') }, headers: { Location: String(ticket.url) } };
      }
      case 'PUT': {
        if (id === null) throw notFound();
        const ticket = this.store.updateTicket(id, this.envelope(request));
        return { status: 200, body: { ticket, audit: audit(ticket, 'Change') } };
      }
      case 'DELETE':
        if (id === null) throw notFound();
        this.store.deleteTicket(id);
        return { status: 204 };
      default:
        throw notFound();
    }
  }

  private export(which: string, request: EmulatorRequest): Record<string, unknown> {
    const exportRequest: ExportRequest = { query: request.query, pageUrl: `${request.baseUrl}${request.path}`, now: nowSeconds(), lagSeconds: this.exportRules.lagSeconds };
    if (which === 'tickets/cursor') return cursorExport('tickets', this.store.changes('ticket'), exportRequest);
    if (which === 'users/cursor') return cursorExport('users', this.store.changes('user'), exportRequest);
    return timeExport('organizations', this.store.changes('organization'), exportRequest);
  }

  /** The exports' own sliding window (when set): a 429 with the seconds until a slot frees. */
  private admitExport(): void {
    const limit = this.exportRules.rateLimit;
    if (!limit) return;
    const now = Date.now();
    while (this.exportTimes.length > 0 && (this.exportTimes[0] as number) <= now - limit.windowMs) this.exportTimes.shift();
    if (this.exportTimes.length >= limit.requests) {
      const waitMs = (this.exportTimes[0] as number) + limit.windowMs - now;
      this.exportLimitAnswers++;
      throw new EmulatorError({
        status: 429,
        body: { error: 'APIRateLimitExceeded', description: `Number of allowed incremental export API requests per minute exceeded` },
        headers: { 'Retry-After': String(Math.max(1, Math.ceil(waitMs / 1000))) },
      });
    }
    this.exportTimes.push(now);
  }

  /** The `{ticket: {…}}` envelope of a write. */
  private envelope(request: EmulatorRequest): ZendeskObject {
    const body = jsonBody(request, () => ({ status: 400, body: { error: 'Unprocessable Entity', description: 'Server could not parse JSON' } }));
    const inner = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).ticket : undefined;
    if (!inner || typeof inner !== 'object' || Array.isArray(inner)) {
      throw new EmulatorError({ status: 400, body: { error: 'InvalidEndpoint', description: 'Parameter ticket is required' } });
    }
    return inner as ZendeskObject;
  }
}

function limitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'X-Rate-Limit': String(state.limit),
    'X-Rate-Limit-Remaining': String(state.remaining),
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-reset': String(Math.max(0, Math.ceil(state.resetInMs / 1000))),
  };
}

function audit(ticket: ZendeskObject, type: 'Create' | 'Change'): ZendeskObject {
  return {
    id: Number(`${String(ticket.id)}${Date.now() % 100_000}`),
    ticket_id: ticket.id,
    created_at: ticket.updated_at,
    author_id: ticket.submitter_id,
    metadata: { system: {}, custom: {} },
    via: ticket.via,
    events: [{ id: Date.now(), type, field_name: type === 'Create' ? 'subject' : 'status', value: type === 'Create' ? ticket.subject : ticket.status }],
  };
}
