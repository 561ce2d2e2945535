/**
 * Shopify's Admin REST wire format: `X-Shopify-Access-Token`, `/admin/api/<version>/<resource>.json`
 * paths, `{customer: …}` envelopes, `{"errors": …}` bodies, the leaky-bucket header
 * `X-Shopify-Shop-Api-Call-Limit` and 429s with `Retry-After`.
 */

import { EmulatorError, jsonBody, type EmulatorAnswer, type EmulatorRequest, type EmulatorWireFormat, type RateLimitState } from '../kit/http-emulator.ts';
import { badRequest, commonFilter, linkHeader, paginate, readListRequest, sortOf, type Filters, type ListRequest, type Sort } from './listing.ts';
import type { ShopifyObject } from './objects.ts';
import type { WebhookSubscriptions } from './webhook-subscriptions.ts';
import type { AdminGraphql } from './graphql/admin-graphql.ts';
import { BULK_RESULT_PATH } from './graphql/bulk.ts';
import { ADMIN_SCHEMA_VERSION } from './admin-schema.ts';
import { notAllowed, notFound, RESOURCES, SHOPIFY_COLLECTIONS, type ShopifyCollection, type ShopifyStore } from './store.ts';

/** Shopify's standard-plan bucket: 40 requests, leaking 2 per second. */
export const BUCKET_SIZE = 40;

const INVALID_TOKEN = '[API] Invalid API key or access token (unrecognized login or wrong password)';
const THROTTLED = 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.';

const PATH = /^\/admin\/api\/(\d{4}-\d{2}|unstable)\/([a-z_]+)(?:\/(\d+|count))?\.json$/;
const GRAPHQL_PATH = /^\/admin\/api\/(\d{4}-\d{2}|unstable)\/graphql\.json$/;

const byPlural = new Map(SHOPIFY_COLLECTIONS.map((kind) => [RESOURCES[kind].plural, kind]));
const bySingular = new Map<string, ShopifyCollection>(SHOPIFY_COLLECTIONS.map((kind) => [kind, kind]));

const BY_ID: Sort = { key: (item) => Number(item.id), descending: false };
const NEWEST_FIRST: Sort = { key: (item) => Number(item.id), descending: true };

export class ShopifyWireFormat implements EmulatorWireFormat {
  readonly name = 'shopify';

  constructor(
    private readonly store: ShopifyStore,
    private readonly accessToken: string,
    private readonly subscriptions: WebhookSubscriptions,
    private readonly graphql: AdminGraphql,
  ) {}

  authenticate(request: EmulatorRequest): void {
    // A bulk operation's file is fetched by its signed URL, without the token.
    if (BULK_RESULT_PATH.test(request.path)) return;
    if (request.header('x-shopify-access-token') !== this.accessToken) {
      throw new EmulatorError({ status: 401, body: { errors: INVALID_TOKEN } });
    }
  }

  rateLimited(_request: EmulatorRequest, state: RateLimitState): EmulatorAnswer {
    // Seconds until a slot frees, fractional like Shopify's `2.0`.
    const seconds = state.resetInMs > 0 ? Math.ceil(state.resetInMs / 100) / 10 : 2;
    return {
      status: 429,
      body: { errors: THROTTLED },
      headers: { 'Retry-After': seconds.toFixed(1), 'X-Shopify-Shop-Api-Call-Limit': `${state.limit}/${state.limit}` },
    };
  }

  internalError(): EmulatorAnswer {
    return { status: 500, body: { errors: 'Internal Server Error' } };
  }

  answerHeaders(request: EmulatorRequest, state: RateLimitState | null): Record<string, string> {
    const version = (GRAPHQL_PATH.exec(request.path) ?? PATH.exec(request.path))?.[1] ?? ADMIN_SCHEMA_VERSION;
    const used = state ? state.limit - state.remaining : 1;
    return {
      'X-Shopify-Shop-Api-Call-Limit': `${used}/${state?.limit ?? BUCKET_SIZE}`,
      'X-Shopify-API-Version': version,
      'X-Request-Id': crypto.randomUUID(),
    };
  }

  handle(request: EmulatorRequest): EmulatorAnswer {
    const bulkFile = BULK_RESULT_PATH.exec(request.path);
    if (bulkFile) return this.graphql.bulkFile(Number(bulkFile[1]), request);
    const graphql = GRAPHQL_PATH.exec(request.path);
    if (graphql) return this.graphql.handle(request, graphql[1]!);
    const match = PATH.exec(request.path);
    if (!match) throw notFound();
    const [, , resource = '', idOrCount] = match;
    if (resource === 'events') return this.events(request, idOrCount);
    if (resource === 'webhooks') return this.subscriptions.handle(request, idOrCount, match[1] ?? ADMIN_SCHEMA_VERSION);
    const kind = byPlural.get(resource);
    if (!kind) throw notFound();
    const pageUrl = `${request.baseUrl}${request.path}`;
    if (idOrCount === 'count') {
      if (request.method !== 'GET') throw notAllowed();
      return { status: 200, body: { count: this.filtered(kind, readListRequest(request.query).filters).length } };
    }
    const id = idOrCount === undefined ? null : Number(idOrCount);
    switch (request.method) {
      case 'GET':
        return id === null ? this.list(kind, request, pageUrl) : { status: 200, body: { [kind]: this.project(this.store.get(kind, id), request.query.get('fields')) } };
      case 'POST':
        if (id !== null) throw notAllowed();
        return { status: 201, body: { [kind]: this.store.create(kind, this.envelope(kind, request)) } };
      case 'PUT':
        if (id === null) throw notAllowed();
        return { status: 200, body: { [kind]: this.store.update(kind, id, this.envelope(kind, request)) } };
      case 'DELETE':
        if (id === null) throw notAllowed();
        this.store.remove(kind, id);
        return { status: 200, body: {} };
      default:
        throw notAllowed();
    }
  }

  private list(kind: ShopifyCollection, request: EmulatorRequest, pageUrl: string): EmulatorAnswer {
    const list = readListRequest(request.query);
    return this.page(this.filtered(kind, list.filters), sortOf(list.filters.order, BY_ID), list, RESOURCES[kind].plural, pageUrl);
  }

  private filtered(kind: ShopifyCollection, filters: Filters): ShopifyObject[] {
    const common = commonFilter(filters, ['created_at', 'updated_at', ...(kind === 'order' ? ['processed_at'] : kind === 'product' ? ['published_at'] : [])]);
    const status = statusFilter(kind, filters.status);
    return this.store.all(kind).filter((item) => common(item) && status(item));
  }

  private events(request: EmulatorRequest, idOrCount: string | undefined): EmulatorAnswer {
    if (request.method !== 'GET') throw notAllowed();
    if (idOrCount !== undefined && idOrCount !== 'count') {
      const event = this.store.events.find((e) => e.id === Number(idOrCount));
      if (!event) throw notFound();
      return { status: 200, body: { event } };
    }
    const list = readListRequest(request.query);
    const common = commonFilter(list.filters, ['created_at']);
    const types = list.filters.filter?.split(',').map((t) => t.trim().toLowerCase());
    const verb = list.filters.verb;
    const events = this.store.events.filter((e) => common(e) && (!types || types.includes(String(e.subject_type).toLowerCase())) && (!verb || e.verb === verb));
    if (idOrCount === 'count') return { status: 200, body: { count: events.length } };
    return this.page(events, NEWEST_FIRST, list, 'events', `${request.baseUrl}${request.path}`);
  }

  private page(items: ShopifyObject[], sort: Sort, list: ListRequest, plural: string, pageUrl: string): EmulatorAnswer {
    const page = paginate(items, sort, list);
    const link = linkHeader(pageUrl, page, list);
    return { status: 200, body: { [plural]: page.items }, ...(link ? { headers: { Link: link } } : {}) };
  }

  private project(object: ShopifyObject, fields: string | null): ShopifyObject {
    if (!fields) return object;
    const wanted = fields.split(',').map((f) => f.trim());
    return Object.fromEntries(Object.entries(object).filter(([key]) => wanted.includes(key)));
  }

  /** The `{customer: {…}}` envelope of a write. */
  private envelope(kind: ShopifyCollection, request: EmulatorRequest): ShopifyObject {
    const body = jsonBody(request, () => ({ status: 400, body: { errors: { error: 'Unexpected token in JSON' } } }));
    const inner = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[bySingular.get(kind) ?? kind] : undefined;
    if (!inner || typeof inner !== 'object' || Array.isArray(inner)) throw badRequest(kind, 'Required parameter missing or invalid');
    return inner as ShopifyObject;
  }
}

/** Orders list open ones unless `status` says otherwise; products filter on their status. */
function statusFilter(kind: ShopifyCollection, status: string | undefined): (item: ShopifyObject) => boolean {
  if (kind === 'order') {
    switch (status ?? 'open') {
      case 'any':
        return () => true;
      case 'open':
        return (o) => o.closed_at === null && o.cancelled_at === null;
      case 'closed':
        return (o) => o.closed_at !== null;
      case 'cancelled':
        return (o) => o.cancelled_at !== null;
      default:
        throw badRequest('status', 'Invalid value.');
    }
  }
  if (kind === 'product' && status !== undefined) {
    const wanted = new Set(status.split(',').map((s) => s.trim()));
    return (p) => wanted.has(String(p.status));
  }
  return () => true;
}
