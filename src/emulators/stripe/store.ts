/**
 * The emulator's state: one ordered collection per object type, the event log, and the write
 * primitives (create / update / transition / delete) that every change goes through so that each
 * one emits the events Stripe would emit.
 */

import { cloneJson, previousAttributes, type JsonObject } from './json.ts';
import {
  COLLECTIONS,
  deletedStub,
  eventObject,
  type StripeCollection,
} from './objects.ts';
import { OrderedIndex, type Entry } from './ordered.ts';
import { stripeId, type IdPrefix, type Random } from './random.ts';

export interface RequestContext {
  requestId: string | null;
  idempotencyKey: string | null;
}

/** Changes made by the emulator itself (random mutations) carry no request. */
export const NO_REQUEST: RequestContext = { requestId: null, idempotencyKey: null };

export const ID_PREFIXES: Record<StripeCollection, IdPrefix> = {
  customer: 'cus',
  product: 'prod',
  price: 'price',
  subscription: 'sub',
  invoice: 'in',
  charge: 'ch',
};

/** Event type prefix per collection (`customer.subscription.updated`). */
export const EVENT_PREFIXES: Record<StripeCollection, string> = {
  customer: 'customer',
  product: 'product',
  price: 'price',
  subscription: 'customer.subscription',
  invoice: 'invoice',
  charge: 'charge',
};

export type StoredEntry = Entry<JsonObject>;

export class Store {
  private readonly collections = new Map<StripeCollection, OrderedIndex<JsonObject>>();
  readonly events = new OrderedIndex<JsonObject>();
  /** Invoice numbers per customer (Stripe's `next_invoice_sequence` bookkeeping, kept private). */
  private readonly invoiceSequences = new Map<string, number>();
  private lastEventCreated = 0;
  private readonly eventListeners: Array<(event: JsonObject) => void> = [];

  constructor(
    readonly random: Random,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    for (const collection of COLLECTIONS) this.collections.set(collection, new OrderedIndex<JsonObject>());
  }

  /** Unix seconds. */
  now(): number {
    return this.clock();
  }

  index(collection: StripeCollection): OrderedIndex<JsonObject> {
    const index = this.collections.get(collection);
    if (!index) throw new Error(`unknown collection ${collection}`);
    return index;
  }

  /** A fresh id that no object of any collection uses. */
  newId(prefix: IdPrefix): string {
    for (;;) {
      const id = stripeId(this.random, prefix);
      if (!this.idInUse(id)) return id;
    }
  }

  private idInUse(id: string): boolean {
    if (this.events.has(id)) return true;
    for (const index of this.collections.values()) if (index.has(id)) return true;
    return false;
  }

  collectionOfId(id: string): StripeCollection | undefined {
    const prefix = id.slice(0, id.indexOf('_'));
    return COLLECTIONS.find((c) => ID_PREFIXES[c] === prefix);
  }

  /** Entry of a collection, tombstones included. */
  get(collection: StripeCollection, id: string): StoredEntry | undefined {
    return this.index(collection).get(id);
  }

  /** Entry that is not deleted. */
  live(collection: StripeCollection, id: string): StoredEntry | undefined {
    const entry = this.get(collection, id);
    return entry && !entry.deleted ? entry : undefined;
  }

  /**
   * The object as the API returns it (a fresh copy). Embedded objects (a subscription item's
   * `price`) are snapshots taken when the embedding object was last written, so that an object's
   * latest event always carries exactly what a GET returns.
   */
  render(_collection: StripeCollection, value: JsonObject): JsonObject {
    return cloneJson(value);
  }

  /**
   * The object as `render` shows it, without the copy: for an answer that is serialized at once
   * and never changed (a list page without expansions; expansions copy what they replace).
   */
  view(_collection: StripeCollection, value: JsonObject): JsonObject {
    return value;
  }

  /** Like `render`, but a deleted object renders as Stripe's `{id, object, deleted: true}` stub. */
  renderEntry(collection: StripeCollection, entry: StoredEntry): JsonObject {
    if (entry.deleted) return deletedStub(entry.id, entry.value['object'] as string);
    return this.render(collection, entry.value);
  }

  /** Insert without emitting events (seeding: objects that predate the event retention window). */
  insertSilently(collection: StripeCollection, value: JsonObject): StoredEntry {
    return this.index(collection).insert(value['id'] as string, value['created'] as number, value);
  }

  create(collection: StripeCollection, value: JsonObject, ctx: RequestContext, eventType = `${EVENT_PREFIXES[collection]}.created`): StoredEntry {
    const entry = this.insertSilently(collection, value);
    this.emit(eventType, this.render(collection, value), null, ctx);
    return entry;
  }

  /**
   * Apply `mutate` to a copy of the object; when anything changed, store it and emit
   * `<prefix>.updated` with `previous_attributes`. Returns whether anything changed.
   */
  update(collection: StripeCollection, entry: StoredEntry, mutate: (draft: JsonObject) => void, ctx: RequestContext): boolean {
    const before = this.render(collection, entry.value);
    const draft = cloneJson(entry.value);
    mutate(draft);
    let after = this.render(collection, draft);
    let previous = previousAttributes(before, after);
    if (!previous) return false;
    if (collection === 'product') {
      draft['updated'] = Math.max(this.now(), before['updated'] as number);
      after = this.render(collection, draft);
      previous = previousAttributes(before, after);
    }
    entry.value = draft;
    this.emit(`${EVENT_PREFIXES[collection]}.updated`, after, previous, ctx);
    return true;
  }

  /**
   * A state change that Stripe announces with its own event types (`invoice.finalized`,
   * `invoice.paid`, `charge.refunded`, `customer.subscription.deleted`): those events carry the
   * object after the change and no `previous_attributes`.
   */
  transition(collection: StripeCollection, entry: StoredEntry, mutate: (draft: JsonObject) => void, ctx: RequestContext, eventTypes: readonly string[]): void {
    const draft = cloneJson(entry.value);
    mutate(draft);
    entry.value = draft;
    const after = this.render(collection, draft);
    for (const type of eventTypes) this.emit(type, after, null, ctx);
  }

  /** Tombstone the object (it stays in the ordering for cursors) and emit `<prefix>.deleted` with its last state. */
  delete(collection: StripeCollection, entry: StoredEntry, ctx: RequestContext): void {
    const last = this.render(collection, entry.value);
    entry.deleted = true;
    this.emit(`${EVENT_PREFIXES[collection]}.deleted`, last, null, ctx);
  }

  /** Calls `listener` with every event emitted from now on, as stored (webhook deliveries). */
  onEvent(listener: (event: JsonObject) => void): void {
    this.eventListeners.push(listener);
  }

  emit(type: string, object: JsonObject, previous: JsonObject | null, ctx: RequestContext): StoredEntry {
    const id = this.newId('evt');
    // The feed only grows at its newest end, even if the wall clock steps back.
    this.lastEventCreated = Math.max(this.lastEventCreated, this.now());
    const event = eventObject({
      id,
      created: this.lastEventCreated,
      type,
      object,
      previousAttributes: previous,
      requestId: ctx.requestId,
      idempotencyKey: ctx.idempotencyKey,
    });
    const entry = this.events.insert(id, event['created'] as number, event);
    for (const listener of this.eventListeners) listener(entry.value);
    return entry;
  }

  nextInvoiceNumber(customerId: string): number {
    const next = this.invoiceSequences.get(customerId) ?? 1;
    this.invoiceSequences.set(customerId, next + 1);
    return next;
  }

  /** Live objects of a collection, newest first, as the API renders them. */
  objects(collection: StripeCollection): JsonObject[] {
    return this.index(collection)
      .liveNewestFirst()
      .map((entry) => this.render(collection, entry.value));
  }

  /** Resolve any id the emulator knows (for `expand`). */
  resolve(id: string): JsonObject | undefined {
    // Products may carry custom ids without the `prod_` prefix.
    const collection = this.collectionOfId(id) ?? (this.index('product').has(id) ? 'product' : undefined);
    if (!collection) return undefined;
    const entry = this.get(collection, id);
    if (!entry) return undefined;
    if (entry.deleted && collection !== 'customer' && collection !== 'product') return undefined;
    return this.renderEntry(collection, entry);
  }
}
