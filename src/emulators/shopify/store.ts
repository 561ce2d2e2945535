/** The shop's customers, orders and products, and the events their changes write. */

import { EmulatorError } from '../kit/http-emulator.ts';
import type { Random } from '../kit/random.ts';
import { customer, order, product, type Ids, type ShopifyObject } from './objects.ts';
import { nowSeconds, shopifyTime } from './time.ts';

export const SHOPIFY_COLLECTIONS = ['customer', 'order', 'product'] as const;
export type ShopifyCollection = (typeof SHOPIFY_COLLECTIONS)[number];

export const RESOURCES: Record<ShopifyCollection, { plural: string; subjectType: string }> = {
  customer: { plural: 'customers', subjectType: 'Customer' },
  order: { plural: 'orders', subjectType: 'Order' },
  product: { plural: 'products', subjectType: 'Product' },
};

export type Verb = 'create' | 'update' | 'destroy';

/** One write to the shop, as its webhooks see it: the object after it (before it, for a destroy). */
export interface StoreChange {
  kind: ShopifyCollection;
  verb: Verb;
  object: ShopifyObject;
  /** The object before an update; null for a create or a destroy. */
  previous: ShopifyObject | null;
}

export function unprocessable(errors: Record<string, string[]>): EmulatorError {
  return new EmulatorError({ status: 422, body: { errors } });
}

export function notFound(): EmulatorError {
  return new EmulatorError({ status: 404, body: { errors: 'Not Found' } });
}

/** Shopify's answer to a method a path does not take. */
export function notAllowed(): EmulatorError {
  return new EmulatorError({ status: 406, body: { errors: 'Not Acceptable' } });
}

/** Ascending numeric ids the size of Shopify's (13 digits), with gaps like real ones. */
class IdSequence implements Ids {
  constructor(
    private last: number,
    private readonly random: Random,
  ) {}

  next(): number {
    this.last += this.random.int(1, 97);
    return this.last;
  }
}

export class ShopifyStore {
  private readonly objectsByKind: Record<ShopifyCollection, Map<number, ShopifyObject>> = { customer: new Map(), order: new Map(), product: new Map() };
  readonly events: ShopifyObject[] = [];
  private readonly ids: IdSequence;
  private readonly eventIds: IdSequence;
  private nextOrderNumber = 1001;
  private readonly listeners: Array<(change: StoreChange) => void> = [];

  constructor(
    private readonly random: Random,
    /** Unix seconds of a write: the clock, or a seeding time. */
    private readonly clock: () => number = nowSeconds,
  ) {
    this.ids = new IdSequence(7_100_000_000_000, random);
    this.eventIds = new IdSequence(9_800_000_000_000, random);
  }

  /** Calls `listener` after every write from now on (the webhooks). */
  onChange(listener: (change: StoreChange) => void): void {
    this.listeners.push(listener);
  }

  all(kind: ShopifyCollection): ShopifyObject[] {
    return [...this.objectsByKind[kind].values()];
  }

  find(kind: ShopifyCollection, id: number): ShopifyObject | undefined {
    return this.objectsByKind[kind].get(id);
  }

  get(kind: ShopifyCollection, id: number): ShopifyObject {
    const object = this.objectsByKind[kind].get(id);
    if (!object) throw notFound();
    return object;
  }

  /** A new object; `at` (unix seconds) for seeding, otherwise now. */
  create(kind: ShopifyCollection, input: ShopifyObject, at = this.clock()): ShopifyObject {
    const object = this.build(kind, input, at);
    this.objectsByKind[kind].set(object.id as number, object);
    this.record(kind, object, 'create', at);
    return object;
  }

  update(kind: ShopifyCollection, id: number, patch: ShopifyObject, at = this.clock()): ShopifyObject {
    const current = this.get(kind, id);
    if (kind === 'customer' && typeof patch.email === 'string' && patch.email !== current.email) this.checkEmailFree(patch.email);
    const updated: ShopifyObject = { ...current };
    for (const [key, value] of Object.entries(patch)) {
      if (!['id', 'created_at', 'updated_at', 'admin_graphql_api_id'].includes(key)) updated[key] = value;
    }
    if (kind === 'customer' && Array.isArray(patch.addresses)) {
      const addresses = patch.addresses as ShopifyObject[];
      updated.default_address = addresses.find((a) => a.default === true) ?? addresses[0] ?? null;
    }
    updated.updated_at = shopifyTime(at);
    this.objectsByKind[kind].set(id, updated);
    this.record(kind, updated, 'update', at, current);
    return updated;
  }

  remove(kind: ShopifyCollection, id: number, at = this.clock()): void {
    const object = this.get(kind, id);
    this.objectsByKind[kind].delete(id);
    this.record(kind, object, 'destroy', at);
  }

  private build(kind: ShopifyCollection, input: ShopifyObject, at: number): ShopifyObject {
    switch (kind) {
      case 'customer': {
        if (typeof input.email === 'string') this.checkEmailFree(input.email);
        const created = customer(this.random, this.ids, at, input);
        if (typeof input.email !== 'string' && this.emailTaken(created.email)) created.email = `${this.random.string(4, 'abcdefghijklmnopqrstuvwxyz')}.${String(created.email)}`;
        return created;
      }
      case 'product':
        if ('title' in input && (typeof input.title !== 'string' || input.title.trim() === '')) throw unprocessable({ title: ["can't be blank"] });
        return product(this.random, this.ids, at, input);
      case 'order': {
        if ('line_items' in input && (!Array.isArray(input.line_items) || input.line_items.length === 0)) throw unprocessable({ line_items: ['must have at least one line item'] });
        const buyerId = input.customer && typeof input.customer === 'object' ? Number((input.customer as ShopifyObject).id) : NaN;
        const customers = this.all('customer');
        const buyer = Number.isFinite(buyerId) ? this.get('customer', buyerId) : customers.length > 0 && this.random.chance(0.9) ? this.random.pick(customers) : null;
        return order(this.random, this.ids, at, { number: this.nextOrderNumber++, customer: buyer, products: this.all('product'), input });
      }
    }
  }

  private emailTaken(email: unknown): boolean {
    return this.all('customer').some((c) => c.email === email);
  }

  private checkEmailFree(email: string): void {
    if (this.emailTaken(email)) throw unprocessable({ email: ['has already been taken'] });
  }

  private record(kind: ShopifyCollection, object: ShopifyObject, verb: Verb, at: number, previous: ShopifyObject | null = null): void {
    const { subjectType, plural } = RESOURCES[kind];
    const label = String(object.title ?? object.name ?? object.email ?? object.id);
    const message = verb === 'create' ? `${subjectType} ${label} was created.` : verb === 'update' ? `${subjectType} ${label} was updated.` : `${subjectType} ${label} was deleted.`;
    this.events.push({
      id: this.eventIds.next(),
      subject_id: object.id,
      created_at: shopifyTime(at),
      subject_type: subjectType,
      verb,
      arguments: [label],
      body: null,
      message,
      author: 'Shopify API',
      description: message,
      path: `/admin/${plural}/${String(object.id)}`,
    });
    for (const listener of this.listeners) listener({ kind, verb, object, previous });
  }
}
