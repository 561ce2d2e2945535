import type { CollectionSpec } from '../provider.ts';

export interface ShopifyCollection extends CollectionSpec {
  id: 'shopify:customer' | 'shopify:order' | 'shopify:product';
  /** REST resource name, which webhook topics still use (`customers/update`). */
  plural: string;
  /** `subject_type` of its events (`events(query: "subject_type:CUSTOMER …")`). */
  subjectType: string;
}

const ALL_MUTATIONS: CollectionSpec['mutations'] = ['create', 'update', 'delete'];

export const shopifyCollections: ShopifyCollection[] = [
  { id: 'shopify:customer', name: 'Customers', mutations: ALL_MUTATIONS, plural: 'customers', subjectType: 'CUSTOMER' },
  { id: 'shopify:order', name: 'Orders', mutations: ALL_MUTATIONS, plural: 'orders', subjectType: 'ORDER' },
  { id: 'shopify:product', name: 'Products', mutations: ALL_MUTATIONS, plural: 'products', subjectType: 'PRODUCT' },
];

const byId = new Map<string, ShopifyCollection>(shopifyCollections.map((c) => [c.id, c]));

export function shopifyCollection(id: string): ShopifyCollection {
  const collection = byId.get(id);
  if (!collection) throw new Error(`unknown Shopify collection ${id}`);
  return collection;
}
