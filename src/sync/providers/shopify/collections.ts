import type { CollectionSpec } from '../provider.ts';

export interface ShopifyCollection extends CollectionSpec {
  /** Path segment of the resource, e.g. `customers`. */
  plural: string;
  /** The write envelope and single-object answer key, e.g. `customer`. */
  singular: string;
  /** `subject_type` of its events (the `filter` of events.json). */
  subjectType: string;
  /** Parameters every listing and count needs to be complete. */
  listParams: Record<string, string>;
}

const ALL_MUTATIONS: CollectionSpec['mutations'] = ['create', 'update', 'delete'];

export const shopifyCollections: ShopifyCollection[] = [
  { id: 'shopify:customer', name: 'Customers', mutations: ALL_MUTATIONS, plural: 'customers', singular: 'customer', subjectType: 'Customer', listParams: {} },
  // Without status=any Shopify lists only open orders.
  { id: 'shopify:order', name: 'Orders', mutations: ALL_MUTATIONS, plural: 'orders', singular: 'order', subjectType: 'Order', listParams: { status: 'any' } },
  { id: 'shopify:product', name: 'Products', mutations: ALL_MUTATIONS, plural: 'products', singular: 'product', subjectType: 'Product', listParams: {} },
];

const byId = new Map(shopifyCollections.map((c) => [c.id, c]));

export function shopifyCollection(id: string): ShopifyCollection {
  const collection = byId.get(id);
  if (!collection) throw new Error(`unknown Shopify collection ${id}`);
  return collection;
}
