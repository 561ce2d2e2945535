import type Stripe from 'stripe';
import type { CollectionSpec, MutationKind } from '../provider.ts';

/** The slice of an SDK resource the provider uses; every Stripe list resource has this shape. */
export interface StripeListed {
  id: string;
  created: number;
}

export interface StripeCollection extends CollectionSpec {
  /** Fixed list parameters that make a listing complete (e.g. subscriptions default to non-canceled). */
  listParams: Record<string, string>;
  /** Event types (`types[]`, at most 20) whose `data.object` is an object of this collection. */
  eventTypes: string[];
  /** Event types meaning the object no longer exists upstream (a tombstone). */
  deletedEventTypes: string[];
  list(stripe: Stripe, params: Stripe.PaginationParams & Record<string, unknown>): Promise<Stripe.ApiList<StripeListed>>;
  /** One object by id (webhook hints): the object, or Stripe's `{id, object, deleted: true}` stub of a deleted one. */
  retrieve(stripe: Stripe, id: string): Promise<Retrievable>;
  create?(stripe: Stripe, params: Record<string, unknown>, options: Stripe.RequestOptions): Promise<StripeListed>;
  update?(stripe: Stripe, id: string, params: Record<string, unknown>, options: Stripe.RequestOptions): Promise<StripeListed>;
  /**
   * The collection's delete: a real delete, an archive (prices) or a cancel (subscriptions).
   * Resolves to the object's last state and whether it is gone upstream (a tombstone).
   */
  remove?(stripe: Stripe, id: string, options: Stripe.RequestOptions): Promise<RemovedObject>;
}

export interface RemovedObject {
  object: StripeListed;
  gone: boolean;
}

/** What a retrieve answers: the object, or Stripe's stub of a deleted one (`deleted: true`). */
export type Retrievable = { id: string; deleted?: unknown };

/**
 * Stripe answers a delete with a `{id, object, deleted}` stub, while its `*.deleted` event carries
 * the object's last state. The tombstone must carry that state too (or the next poll would see a
 * second change), so the object is read just before it is deleted. An object already deleted
 * (a retried delete) is not deleted again.
 */
async function deleteKeepingLastState(
  retrieve: () => Promise<Retrievable>,
  del: () => Promise<unknown>,
): Promise<RemovedObject> {
  const last = await retrieve();
  if (last.deleted !== true) await del();
  return { object: last as StripeListed, gone: true };
}

const lifecycle = (prefix: string, extra: string[] = []) => [`${prefix}.created`, `${prefix}.updated`, `${prefix}.deleted`, ...extra.map((e) => `${prefix}.${e}`)];

function mutationsOf(c: Pick<StripeCollection, 'create' | 'update' | 'remove'>): MutationKind[] {
  return (['create', 'update', 'remove'] as const).filter((k) => c[k]).map((k) => (k === 'remove' ? 'delete' : k));
}

/** The SDK's params are precise per resource; mutation input is plain JSON that Stripe validates. */
const as = <T>(params: Record<string, unknown>) => params as T;

const definitions: Array<Omit<StripeCollection, 'mutations'>> = [
  {
    id: 'stripe:customer',
    name: 'Customers',
    listParams: {},
    eventTypes: lifecycle('customer'),
    deletedEventTypes: ['customer.deleted'],
    list: (s, p) => s.customers.list(p),
    retrieve: (s, id) => s.customers.retrieve(id),
    create: (s, p, o) => s.customers.create(as<Stripe.CustomerCreateParams>(p), o),
    update: (s, id, p, o) => s.customers.update(id, as<Stripe.CustomerUpdateParams>(p), o),
    remove: (s, id, o) => deleteKeepingLastState(() => s.customers.retrieve(id), () => s.customers.del(id, undefined, o)),
  },
  {
    id: 'stripe:product',
    name: 'Products',
    listParams: {},
    eventTypes: lifecycle('product'),
    deletedEventTypes: ['product.deleted'],
    list: (s, p) => s.products.list(p),
    retrieve: (s, id) => s.products.retrieve(id),
    create: (s, p, o) => s.products.create(as<Stripe.ProductCreateParams>(p), o),
    update: (s, id, p, o) => s.products.update(id, as<Stripe.ProductUpdateParams>(p), o),
    remove: (s, id, o) => deleteKeepingLastState(() => s.products.retrieve(id), () => s.products.del(id, undefined, o)),
  },
  {
    id: 'stripe:price',
    name: 'Prices',
    listParams: {},
    eventTypes: lifecycle('price'),
    deletedEventTypes: ['price.deleted'],
    list: (s, p) => s.prices.list(p),
    retrieve: (s, id) => s.prices.retrieve(id),
    create: (s, p, o) => s.prices.create(as<Stripe.PriceCreateParams>(p), o),
    update: (s, id, p, o) => s.prices.update(id, as<Stripe.PriceUpdateParams>(p), o),
    // Stripe cannot delete prices: archiving is the closest, and the record stays live (`active: false`).
    remove: async (s, id, o) => ({ object: await s.prices.update(id, { active: false }, o), gone: false }),
  },
  {
    id: 'stripe:subscription',
    name: 'Subscriptions',
    // Without it Stripe leaves canceled subscriptions out of the listing.
    listParams: { status: 'all' },
    // `customer.subscription.deleted` means canceled: the object still exists (status
    // `canceled`), so it is an update here, not a tombstone.
    eventTypes: lifecycle('customer.subscription', ['paused', 'resumed', 'pending_update_applied', 'pending_update_expired', 'trial_will_end']),
    deletedEventTypes: [],
    list: (s, p) => s.subscriptions.list(p),
    retrieve: (s, id) => s.subscriptions.retrieve(id),
    create: (s, p, o) => s.subscriptions.create(as<Stripe.SubscriptionCreateParams>(p), o),
    update: (s, id, p, o) => s.subscriptions.update(id, as<Stripe.SubscriptionUpdateParams>(p), o),
    remove: async (s, id, o) => ({ object: await s.subscriptions.cancel(id, undefined, o), gone: false }),
  },
  {
    id: 'stripe:invoice',
    name: 'Invoices',
    listParams: {},
    eventTypes: lifecycle('invoice', [
      'finalized',
      'finalization_failed',
      'paid',
      'payment_action_required',
      'payment_failed',
      'payment_succeeded',
      'sent',
      'marked_uncollectible',
      'voided',
      'overdue',
      'will_be_due',
    ]),
    deletedEventTypes: ['invoice.deleted'],
    list: (s, p) => s.invoices.list(p) as unknown as Promise<Stripe.ApiList<StripeListed>>,
    retrieve: (s, id) => s.invoices.retrieve(id),
    create: (s, p, o) => s.invoices.create(as<Stripe.InvoiceCreateParams>(p), o) as unknown as Promise<StripeListed>,
    update: (s, id, p, o) => s.invoices.update(id, as<Stripe.InvoiceUpdateParams>(p), o) as unknown as Promise<StripeListed>,
    remove: (s, id, o) => deleteKeepingLastState(() => s.invoices.retrieve(id), () => s.invoices.del(id, undefined, o)),
  },
  {
    id: 'stripe:charge',
    name: 'Charges',
    listParams: {},
    eventTypes: ['captured', 'expired', 'failed', 'pending', 'refunded', 'succeeded', 'updated'].map((e) => `charge.${e}`),
    deletedEventTypes: [],
    list: (s, p) => s.charges.list(p),
    retrieve: (s, id) => s.charges.retrieve(id),
    create: (s, p, o) => s.charges.create(as<Stripe.ChargeCreateParams>(p), o),
    update: (s, id, p, o) => s.charges.update(id, as<Stripe.ChargeUpdateParams>(p), o),
  },
];

export const stripeCollections: StripeCollection[] = definitions.map((d) => ({ ...d, mutations: mutationsOf(d) }));

const byId = new Map(stripeCollections.map((c) => [c.id, c]));

export function stripeCollection(id: string): StripeCollection {
  const collection = byId.get(id);
  if (!collection) throw new Error(`unknown Stripe collection ${id}`);
  return collection;
}
