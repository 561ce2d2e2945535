/**
 * The REST Admin API's Webhook resource: `webhooks.json` (list, create), `webhooks/count.json`,
 * `webhooks/{id}.json` (get, update, delete), with Shopify's answers and 422 bodies. A
 * subscription belongs to the app (the access token); it delivers one topic to one address.
 */

import { jsonBody, type EmulatorAnswer, type EmulatorRequest } from '../kit/http-emulator.ts';
import { badRequest, commonFilter, linkHeader, paginate, readListRequest, type Sort } from './listing.ts';
import type { ShopifyObject } from './objects.ts';
import { notAllowed, notFound, unprocessable } from './store.ts';
import { nowSeconds, shopifyTime } from './time.ts';

/** Topics the emulator sends (src/emulators/shopify/webhook-deliveries.ts). */
export const EMULATED_TOPICS = [
  'customers/create',
  'customers/update',
  'customers/delete',
  'customers/enable',
  'customers/disable',
  'orders/create',
  'orders/updated',
  'orders/delete',
  'orders/cancelled',
  'orders/fulfilled',
  'orders/paid',
  'products/create',
  'products/update',
  'products/delete',
] as const;

/** Real topics a subscription may name that the emulator accepts but never sends. */
const OTHER_TOPICS = [
  'app/uninstalled',
  'shop/update',
  'orders/edited',
  'orders/partially_fulfilled',
  'customers/merge',
  'collections/create',
  'collections/update',
  'collections/delete',
  'inventory_levels/update',
  'fulfillments/create',
  'fulfillments/update',
  'refunds/create',
  'draft_orders/create',
  'draft_orders/update',
  'draft_orders/delete',
];

const TOPICS = new Set<string>([...EMULATED_TOPICS, ...OTHER_TOPICS]);

export interface Subscription {
  id: number;
  address: string;
  topic: string;
  created_at: string;
  updated_at: string;
  format: 'json';
  fields: string[];
  metafield_namespaces: string[];
  /** The version of the path it was created under: its payloads' version (`X-Shopify-API-Version`). */
  api_version: string;
  private_metafield_namespaces: string[];
}

const BY_ID: Sort = { key: (item) => Number(item.id), descending: false };

export class WebhookSubscriptions {
  private readonly byId = new Map<number, Subscription>();
  private lastId = 1_900_000_000_000;

  constructor(private readonly clock: () => number = nowSeconds) {}

  all(): Subscription[] {
    return [...this.byId.values()].map((s) => structuredClone(s));
  }

  /** The subscriptions to `topic`, oldest first. */
  forTopic(topic: string): Subscription[] {
    return [...this.byId.values()].filter((s) => s.topic === topic);
  }

  /** `webhooks.json`, `webhooks/count.json`, `webhooks/{id}.json` under `/admin/api/<version>/`. */
  handle(request: EmulatorRequest, idOrCount: string | undefined, version: string): EmulatorAnswer {
    if (idOrCount === 'count') {
      if (request.method !== 'GET') throw notAllowed();
      return { status: 200, body: { count: this.filtered(readListRequest(request.query).filters).length } };
    }
    const id = idOrCount === undefined ? null : Number(idOrCount);
    switch (request.method) {
      case 'GET':
        return id === null ? this.list(request) : { status: 200, body: { webhook: this.get(id) } };
      case 'POST':
        if (id !== null) throw notAllowed();
        return { status: 201, body: { webhook: this.create(envelope(request), version) } };
      case 'PUT':
        if (id === null) throw notAllowed();
        return { status: 200, body: { webhook: this.update(id, envelope(request)) } };
      case 'DELETE':
        if (id === null) throw notAllowed();
        this.get(id);
        this.byId.delete(id);
        return { status: 200, body: {} };
      default:
        throw notAllowed();
    }
  }

  /** Removes a subscription; false when there is none with `id`. */
  remove(id: number): boolean {
    return this.byId.delete(id);
  }

  find(id: number): Subscription | undefined {
    return this.byId.get(id);
  }

  private get(id: number): Subscription {
    const subscription = this.byId.get(id);
    if (!subscription) throw notFound();
    return subscription;
  }

  private list(request: EmulatorRequest): EmulatorAnswer {
    const list = readListRequest(request.query);
    const page = paginate(this.filtered(list.filters) as unknown as ShopifyObject[], BY_ID, list);
    const link = linkHeader(`${request.baseUrl}${request.path}`, page, list);
    return { status: 200, body: { webhooks: page.items }, ...(link ? { headers: { Link: link } } : {}) };
  }

  /** `address`, `topic`, `since_id`, `created_at_*`, `updated_at_*`. */
  private filtered(filters: Record<string, string>): Subscription[] {
    const common = commonFilter(filters, ['created_at', 'updated_at']);
    return [...this.byId.values()].filter(
      (s) => common(s as unknown as ShopifyObject) && (filters.address === undefined || s.address === filters.address) && (filters.topic === undefined || s.topic === filters.topic),
    );
  }

  /** A new subscription (the REST `webhooks.json` POST and `webhookSubscriptionCreate`); throws a 422 EmulatorError. */
  create(input: ShopifyObject, version: string): Subscription {
    const errors: Record<string, string[]> = {};
    const topic = typeof input.topic === 'string' ? input.topic.trim() : '';
    if (topic === '') errors.topic = ["can't be blank"];
    else if (!TOPICS.has(topic)) errors.topic = [`Invalid topic specified: ${topic}. Topics allowed: ${[...TOPICS].join(', ')}`];
    const address = checkAddress(input.address, errors);
    checkFormat(input.format, errors);
    const fields = checkFields(input.fields, errors);
    if (address !== null && errors.topic === undefined && this.forTopic(topic).some((s) => s.address === address)) {
      errors.address = ['for this topic has already been taken'];
    }
    if (Object.keys(errors).length > 0) throw unprocessable(errors);
    this.lastId += 1 + (this.lastId % 89);
    const now = shopifyTime(this.clock());
    const subscription: Subscription = {
      id: this.lastId,
      address: address as string,
      topic,
      created_at: now,
      updated_at: now,
      format: 'json',
      fields: fields ?? [],
      metafield_namespaces: [],
      api_version: version,
      private_metafield_namespaces: [],
    };
    this.byId.set(subscription.id, subscription);
    return subscription;
  }

  /** Address, fields (and a `json` format) may change; the topic may not. */
  private update(id: number, input: ShopifyObject): Subscription {
    const current = this.get(id);
    const errors: Record<string, string[]> = {};
    const address = 'address' in input ? checkAddress(input.address, errors) : current.address;
    if ('format' in input) checkFormat(input.format, errors);
    const fields = 'fields' in input ? checkFields(input.fields, errors) : current.fields;
    if (typeof input.topic === 'string' && input.topic !== current.topic) errors.topic = ['cannot be changed'];
    if (address !== null && address !== current.address && this.forTopic(current.topic).some((s) => s.address === address)) {
      errors.address = ['for this topic has already been taken'];
    }
    if (Object.keys(errors).length > 0) throw unprocessable(errors);
    const updated: Subscription = { ...current, address: address as string, fields: fields ?? [], updated_at: shopifyTime(this.clock()) };
    this.byId.set(id, updated);
    return updated;
  }
}

function checkAddress(raw: unknown, errors: Record<string, string[]>): string | null {
  const address = typeof raw === 'string' ? raw.trim() : '';
  if (address === '') {
    errors.address = ["can't be blank"];
    return null;
  }
  // Shopify wants https (or pubsub:// / arn:); the emulator, on loopback, takes http too.
  if (!URL.canParse(address) || !/^https?:$/.test(new URL(address).protocol)) {
    errors.address = ['is invalid'];
    return null;
  }
  return address;
}

function checkFormat(raw: unknown, errors: Record<string, string[]>): void {
  if (raw === undefined || raw === null || raw === 'json') return;
  // Shopify also sends XML; the emulator sends only JSON.
  errors.format = raw === 'xml' ? ['xml is not supported by the emulator'] : ['is not included in the list'];
}

function checkFields(raw: unknown, errors: Record<string, string[]>): string[] | null {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw) || raw.some((f) => typeof f !== 'string')) {
    errors.fields = ['is invalid'];
    return null;
  }
  return raw as string[];
}

function envelope(request: EmulatorRequest): ShopifyObject {
  const body = jsonBody(request, () => ({ status: 400, body: { errors: { error: 'Unexpected token in JSON' } } }));
  const inner = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).webhook : undefined;
  if (!inner || typeof inner !== 'object' || Array.isArray(inner)) throw badRequest('webhook', 'Required parameter missing or invalid');
  return inner as ShopifyObject;
}
