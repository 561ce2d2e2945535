/**
 * What Syncline reads of each collection through the GraphQL Admin API: one selection per
 * collection (a record's `data` is the object as that selection answers it, nested lists as
 * `{nodes: […]}`), and the documents built from it: the incremental listing, the lookup by id,
 * the bulk operation query, and the follow-up pages of a nested list longer than one page.
 * Page sizes keep each query's requested cost under Shopify's 1,000 per query
 * (test/sync/providers/shopify/queries.unit.spec.ts checks them with the emulator's cost).
 */

import type { ShopifyCollection } from './collections.ts';

const MONEY = 'amount currencyCode';
const MONEY_BAG = `shopMoney { ${MONEY} } presentmentMoney { ${MONEY} }`;
const ADDRESS = 'id firstName lastName name company address1 address2 city province provinceCode country countryCodeV2 zip phone';

export interface NestedList {
  /** The field, e.g. `lineItems`. */
  field: string;
  /** The type of its items (their gid type), e.g. `LineItem`. */
  itemType: string;
  /** The selection of one item. */
  selection: string;
  /** Items read with their parent in an incremental listing. */
  pageSize: number;
}

export interface CollectionQueries {
  /** The `QueryRoot` list field, e.g. `customers`, and its count field. */
  listField: string;
  countField: string;
  /** The GraphQL type, e.g. `Customer`. */
  type: string;
  /** The selection of one object, without its nested lists. */
  selection: string;
  nested: NestedList[];
  /** Objects per page of an incremental listing. */
  pageSize: number;
}

export const QUERIES: Record<ShopifyCollection['id'], CollectionQueries> = {
  'shopify:customer': {
    listField: 'customers',
    countField: 'customersCount',
    type: 'Customer',
    selection: `id legacyResourceId firstName lastName displayName note tags state verifiedEmail taxExempt numberOfOrders createdAt updatedAt
      defaultEmailAddress { emailAddress marketingState marketingOptInLevel marketingUpdatedAt }
      defaultPhoneNumber { phoneNumber }
      amountSpent { ${MONEY} }
      defaultAddress { ${ADDRESS} }`,
    nested: [],
    pageSize: 199,
  },
  'shopify:order': {
    listField: 'orders',
    countField: 'ordersCount',
    type: 'Order',
    selection: `id legacyResourceId name number email phone note tags createdAt updatedAt processedAt closed closedAt cancelledAt cancelReason confirmed test
      currencyCode displayFinancialStatus displayFulfillmentStatus
      subtotalPriceSet { ${MONEY_BAG} } totalPriceSet { ${MONEY_BAG} } totalTaxSet { ${MONEY_BAG} } totalDiscountsSet { ${MONEY_BAG} }
      customer { id }
      billingAddress { ${ADDRESS} }
      shippingAddress { ${ADDRESS} }`,
    nested: [{ field: 'lineItems', itemType: 'LineItem', selection: `id name title quantity sku variantTitle vendor requiresShipping taxable originalUnitPriceSet { ${MONEY_BAG} } product { id } variant { id }`, pageSize: 10 }],
    pageSize: 12,
  },
  'shopify:product': {
    listField: 'products',
    countField: 'productsCount',
    type: 'Product',
    selection: 'id legacyResourceId title handle descriptionHtml vendor productType status tags createdAt updatedAt publishedAt templateSuffix totalInventory',
    nested: [{ field: 'variants', itemType: 'ProductVariant', selection: 'id legacyResourceId title sku price compareAtPrice position barcode taxable inventoryQuantity inventoryPolicy createdAt updatedAt', pageSize: 50 }],
    pageSize: 15,
  },
};

const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';

function objectSelection(q: CollectionQueries): string {
  return `${q.selection} ${q.nested.map((n) => `${n.field}(first: ${n.pageSize}) { nodes { ${n.selection} } ${PAGE_INFO} }`).join(' ')}`;
}

/** Objects updated at or after a time (`$query`: `updated_at:>='…'`), oldest change first. */
export function updatedSinceQuery(q: CollectionQueries): string {
  return `query SynclineUpdated($first: Int!, $after: String, $query: String) { ${q.listField}(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) { nodes { ${objectSelection(q)} } ${PAGE_INFO} } }`;
}

/** One object by its gid. */
export function nodeQuery(q: CollectionQueries): string {
  return `query SynclineNode($id: ID!) { node(id: $id) { __typename ... on ${q.type} { ${objectSelection(q)} } } }`;
}

/** The rest of one object's nested list, after `$after`. */
export function nestedPageQuery(q: CollectionQueries, nested: NestedList): string {
  return `query SynclineNested($id: ID!, $after: String) { node(id: $id) { ... on ${q.type} { ${nested.field}(first: 100, after: $after) { nodes { ${nested.selection} } ${PAGE_INFO} } } } }`;
}

export function countQuery(q: CollectionQueries): string {
  return `query SynclineCount { ${q.countField}(limit: null) { count precision } }`;
}

/** The bulk operation query of a backfill: every object (after `afterId`, when a backfill resumes), nested lists whole. */
export function bulkQuery(q: CollectionQueries, afterId: string | null): string {
  const args = afterId ? `(query: ${JSON.stringify(`id:>${afterId}`)}, sortKey: ID)` : '(sortKey: ID)';
  const nested = q.nested.map((n) => `${n.field} { edges { node { ${n.selection} } } }`).join(' ');
  return `{ ${q.listField}${args} { edges { node { ${q.selection} ${nested} } } } }`;
}

/** Destroy events of a subject type created at or after a time, oldest first. */
export const DESTROY_EVENTS_QUERY = `query SynclineDestroyed($first: Int!, $after: String, $query: String) { events(first: $first, after: $after, query: $query, sortKey: CREATED_AT) { nodes { id action createdAt ... on BasicEvent { subjectId subjectType } } ${PAGE_INFO} } }`;

export const RUN_BULK_MUTATION = `mutation SynclineBulk($query: String!) { bulkOperationRunQuery(query: $query, groupObjects: false) { bulkOperation { id status } userErrors { field message code } } }`;

export const BULK_OPERATION_QUERY = `query SynclineBulkStatus($id: ID!) { bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount url partialDataUrl } }`;
