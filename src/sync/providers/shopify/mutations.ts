/**
 * The GraphQL mutations behind Syncline's create / update / delete of each collection. A
 * mutation item's `data` is the mutation's own input as Shopify documents it (`CustomerInput`,
 * `ProductCreateInput` / `ProductUpdateInput`, `OrderCreateOrderInput` / `OrderInput`), sent
 * as a variable: Shopify validates it against its schema and answers what it refuses.
 */

import type { ShopifyCollection } from './collections.ts';

export interface WriteRequest {
  document: string;
  variables: Record<string, unknown>;
  /** The mutation's field in `data`, e.g. `customerCreate`. */
  payloadField: string;
  /** The written object's field in the payload, e.g. `customer`. */
  objectField: string;
}

export interface CollectionMutations {
  create(data: Record<string, unknown>): WriteRequest;
  update(data: Record<string, unknown>, gid: string): WriteRequest;
  remove(gid: string): WriteRequest;
}

const USER_ERRORS = 'userErrors { field message }';
const CODED_USER_ERRORS = 'userErrors { field message code }';

/** `data` without an `id` of its own: the object written is the one the mutation names. */
const withoutId = (data: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'id'));

export const MUTATIONS: Record<ShopifyCollection['id'], CollectionMutations> = {
  'shopify:customer': {
    create: (data) => ({
      document: `mutation SynclineCustomerCreate($input: CustomerInput!) { customerCreate(input: $input) { customer { id } ${USER_ERRORS} } }`,
      variables: { input: withoutId(data) },
      payloadField: 'customerCreate',
      objectField: 'customer',
    }),
    update: (data, gid) => ({
      document: `mutation SynclineCustomerUpdate($input: CustomerInput!) { customerUpdate(input: $input) { customer { id } ${USER_ERRORS} } }`,
      variables: { input: { ...withoutId(data), id: gid } },
      payloadField: 'customerUpdate',
      objectField: 'customer',
    }),
    remove: (gid) => ({
      document: `mutation SynclineCustomerDelete($input: CustomerDeleteInput!) { customerDelete(input: $input) { deletedCustomerId ${USER_ERRORS} } }`,
      variables: { input: { id: gid } },
      payloadField: 'customerDelete',
      objectField: 'deletedCustomerId',
    }),
  },
  'shopify:product': {
    create: (data) => ({
      document: `mutation SynclineProductCreate($product: ProductCreateInput!) { productCreate(product: $product) { product { id } ${USER_ERRORS} } }`,
      variables: { product: withoutId(data) },
      payloadField: 'productCreate',
      objectField: 'product',
    }),
    update: (data, gid) => ({
      document: `mutation SynclineProductUpdate($product: ProductUpdateInput!) { productUpdate(product: $product) { product { id } ${USER_ERRORS} } }`,
      variables: { product: { ...withoutId(data), id: gid } },
      payloadField: 'productUpdate',
      objectField: 'product',
    }),
    remove: (gid) => ({
      document: `mutation SynclineProductDelete($input: ProductDeleteInput!) { productDelete(input: $input) { deletedProductId ${USER_ERRORS} } }`,
      variables: { input: { id: gid } },
      payloadField: 'productDelete',
      objectField: 'deletedProductId',
    }),
  },
  'shopify:order': {
    create: (data) => ({
      document: `mutation SynclineOrderCreate($order: OrderCreateOrderInput!) { orderCreate(order: $order) { order { id } ${CODED_USER_ERRORS} } }`,
      variables: { order: withoutId(data) },
      payloadField: 'orderCreate',
      objectField: 'order',
    }),
    update: (data, gid) => ({
      document: `mutation SynclineOrderUpdate($input: OrderInput!) { orderUpdate(input: $input) { order { id } ${USER_ERRORS} } }`,
      variables: { input: { ...withoutId(data), id: gid } },
      payloadField: 'orderUpdate',
      objectField: 'order',
    }),
    remove: (gid) => ({
      document: `mutation SynclineOrderDelete($orderId: ID!) { orderDelete(orderId: $orderId) { deletedId ${CODED_USER_ERRORS} } }`,
      variables: { orderId: gid },
      payloadField: 'orderDelete',
      objectField: 'deletedId',
    }),
  },
};
