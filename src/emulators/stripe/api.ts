/**
 * The Stripe v1 endpoints: routes a request to its resource (resources/*.ts, one per object type,
 * each with its parameters and the changes it makes). Transport concerns (auth, rate limits,
 * idempotency, logging) live in wire-format.ts and the kit's HttpEmulator; the random mutator calls
 * `handle` too, so API writes and mutations behave and emit events identically.
 */

import { errors } from './errors.ts';
import type { FormObject } from './form.ts';
import type { JsonObject } from './json.ts';
import { COLLECTION_PATHS, type StripeCollection } from './objects.ts';
import { Params } from './params.ts';
import { Charges } from './resources/charges.ts';
import { createObject, listObjects, retrieveObject, updateObject } from './resources/collection-endpoints.ts';
import { Customers } from './resources/customers.ts';
import { Events } from './resources/events.ts';
import { Invoices } from './resources/invoices.ts';
import { Prices } from './resources/prices.ts';
import { Products } from './resources/products.ts';
import type { CollectionResource } from './resources/resource.ts';
import { Subscriptions } from './resources/subscriptions.ts';
import { WebhookEndpoints } from './resources/webhook-endpoints.ts';
import type { RequestContext, Store } from './store.ts';

export interface ApiRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/customers/cus_123`. */
  path: string;
  params: FormObject;
  ctx: RequestContext;
}

export interface ApiResponse {
  status: number;
  body: JsonObject;
}

function collectionForSegment(segment: string): StripeCollection | undefined {
  return (Object.keys(COLLECTION_PATHS) as StripeCollection[]).find((c) => COLLECTION_PATHS[c] === segment);
}

export class StripeApi {
  private readonly resources: Record<StripeCollection, CollectionResource>;
  private readonly events: Events;
  /** Where the emulator's events are sent (webhook-delivery.ts reads them). */
  readonly webhookEndpoints: WebhookEndpoints;

  constructor(private readonly store: Store) {
    const prices = new Prices(store);
    const charges = new Charges(store);
    this.resources = {
      customer: new Customers(store),
      product: new Products(store, prices),
      price: prices,
      subscription: new Subscriptions(store),
      invoice: new Invoices(store, charges),
      charge: charges,
    };
    this.events = new Events(store);
    this.webhookEndpoints = new WebhookEndpoints(store);
  }

  handle(request: ApiRequest): ApiResponse {
    const { method } = request;
    const segments = request.path.split('/').slice(1).map(decodeSegment);
    if (segments[0] !== 'v1' || segments.length < 2 || segments.length > 4 || segments.some((s) => s.length === 0)) {
      throw errors.unrecognizedUrl(method, request.path);
    }
    const [, name, id, action] = segments as [string, string, string | undefined, string | undefined];
    const params = new Params(request.params);
    const ctx = request.ctx;
    const unrecognized = (): never => {
      throw errors.unrecognizedUrl(method, request.path);
    };

    if (name === 'events') {
      if (method !== 'GET' || action !== undefined) return unrecognized();
      return ok(id === undefined ? this.events.list(params) : this.events.retrieve(id, params));
    }
    if (name === 'webhook_endpoints') {
      if (action !== undefined) return unrecognized();
      const endpoints = this.webhookEndpoints;
      if (id === undefined) {
        if (method === 'GET') return ok(endpoints.list(params));
        if (method === 'POST') return ok(endpoints.create(params));
        return unrecognized();
      }
      if (method === 'GET') return ok(endpoints.retrieve(id, params));
      if (method === 'POST') return ok(endpoints.update(id, params));
      if (method === 'DELETE') return ok(endpoints.remove(id, params));
      return unrecognized();
    }
    const collection = collectionForSegment(name);
    if (!collection) return unrecognized();
    const resource = this.resources[collection];

    if (id === undefined) {
      if (method === 'GET') return ok(listObjects(this.store, resource, params));
      if (method === 'POST') return ok(createObject(this.store, resource, params, ctx));
      return unrecognized();
    }
    if (action !== undefined) {
      const act = method === 'POST' ? resource.actions?.get(action) : undefined;
      return act ? ok(act(id, params, ctx)) : unrecognized();
    }
    if (method === 'GET') return ok(retrieveObject(this.store, resource, id, params));
    if (method === 'POST') return ok(updateObject(this.store, resource, id, params, ctx));
    if (method === 'DELETE' && resource.remove) return ok(resource.remove(id, params, ctx));
    return unrecognized();
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function ok(body: JsonObject): ApiResponse {
  return { status: 200, body };
}
