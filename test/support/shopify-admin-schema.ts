/**
 * Shopify's own Admin GraphQL schema (the introspection result `@shopify/dev-mcp` ships for each
 * supported API version), and the subset of it the emulator serves: the types and fields of
 * SUBSET below, each copied from the official definition with all its arguments (and, whole,
 * every input type, enum and scalar they reach). src/emulators/shopify/admin-schema.ts is that
 * subset printed; test/emulators/shopify-admin-schema.unit.spec.ts checks it is still exactly so.
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  buildClientSchema,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  getNamedType,
  isSpecifiedScalarType,
  printType,
  type GraphQLField,
  type GraphQLNamedType,
  type IntrospectionQuery,
} from 'graphql';
import { API_VERSION } from '../../src/sync/providers/shopify/client.ts';

/** The package's data folder (its `exports` name only its entry point, next to which the data lies). */
function dataFolder(): string {
  return join(dirname(fileURLToPath(import.meta.resolve('@shopify/dev-mcp'))), 'data');
}

/** The Admin API versions the package ships a schema for (`2026-10`, …, `unstable`). */
export function shippedAdminVersions(): string[] {
  return ['2025-10', '2026-01', '2026-04', '2026-07', '2026-10', 'unstable'].filter((version) => {
    try {
      readFileSync(join(dataFolder(), `admin_${version}.json.gz`));
      return true;
    } catch {
      return false;
    }
  });
}

const loaded = new Map<string, GraphQLSchema>();

/** The official Admin schema of `version` (default: the provider's API_VERSION). */
export function officialAdminSchema(version = API_VERSION): GraphQLSchema {
  let schema = loaded.get(version);
  if (!schema) {
    const parsed = JSON.parse(gunzipSync(readFileSync(join(dataFolder(), `admin_${version}.json.gz`))).toString('utf8')) as { data?: IntrospectionQuery } & IntrospectionQuery;
    schema = buildClientSchema(parsed.data ?? parsed);
    loaded.set(version, schema);
  }
  return schema;
}

/** Output types and the fields of each the emulator serves. */
export const SUBSET: Record<string, string[]> = {
  QueryRoot: ['customers', 'orders', 'products', 'customer', 'order', 'product', 'node', 'customersCount', 'ordersCount', 'productsCount', 'events', 'webhookSubscriptions', 'bulkOperation'],
  Mutation: [
    'customerCreate',
    'customerUpdate',
    'customerDelete',
    'productCreate',
    'productUpdate',
    'productDelete',
    'orderCreate',
    'orderUpdate',
    'orderDelete',
    'webhookSubscriptionCreate',
    'webhookSubscriptionDelete',
    'bulkOperationRunQuery',
  ],
  Node: ['id'],
  DisplayableError: ['field', 'message'],
  PageInfo: ['endCursor', 'hasNextPage', 'hasPreviousPage', 'startCursor'],
  Count: ['count', 'precision'],
  MoneyV2: ['amount', 'currencyCode'],
  MoneyBag: ['presentmentMoney', 'shopMoney'],
  MailingAddress: ['id', 'address1', 'address2', 'city', 'company', 'country', 'countryCodeV2', 'firstName', 'lastName', 'name', 'phone', 'province', 'provinceCode', 'zip'],
  Customer: [
    'id',
    'legacyResourceId',
    'firstName',
    'lastName',
    'displayName',
    'defaultEmailAddress',
    'defaultPhoneNumber',
    'note',
    'tags',
    'state',
    'verifiedEmail',
    'taxExempt',
    'numberOfOrders',
    'amountSpent',
    'defaultAddress',
    'createdAt',
    'updatedAt',
  ],
  CustomerEmailAddress: ['emailAddress', 'marketingState', 'marketingOptInLevel', 'marketingUpdatedAt'],
  CustomerPhoneNumber: ['phoneNumber'],
  CustomerConnection: ['edges', 'nodes', 'pageInfo'],
  CustomerEdge: ['cursor', 'node'],
  Order: [
    'id',
    'legacyResourceId',
    'name',
    'number',
    'email',
    'phone',
    'note',
    'tags',
    'createdAt',
    'updatedAt',
    'processedAt',
    'closed',
    'closedAt',
    'cancelledAt',
    'cancelReason',
    'confirmed',
    'test',
    'currencyCode',
    'displayFinancialStatus',
    'displayFulfillmentStatus',
    'subtotalPriceSet',
    'totalPriceSet',
    'totalTaxSet',
    'totalDiscountsSet',
    'customer',
    'billingAddress',
    'shippingAddress',
    'lineItems',
  ],
  OrderConnection: ['edges', 'nodes', 'pageInfo'],
  OrderEdge: ['cursor', 'node'],
  LineItem: ['id', 'name', 'title', 'quantity', 'sku', 'variantTitle', 'vendor', 'requiresShipping', 'taxable', 'originalUnitPriceSet', 'product', 'variant'],
  LineItemConnection: ['edges', 'nodes', 'pageInfo'],
  LineItemEdge: ['cursor', 'node'],
  Product: ['id', 'legacyResourceId', 'title', 'handle', 'descriptionHtml', 'vendor', 'productType', 'status', 'tags', 'createdAt', 'updatedAt', 'publishedAt', 'templateSuffix', 'totalInventory', 'variants'],
  ProductConnection: ['edges', 'nodes', 'pageInfo'],
  ProductEdge: ['cursor', 'node'],
  ProductVariant: ['id', 'legacyResourceId', 'title', 'sku', 'price', 'compareAtPrice', 'position', 'barcode', 'taxable', 'inventoryQuantity', 'inventoryPolicy', 'createdAt', 'updatedAt', 'product'],
  ProductVariantConnection: ['edges', 'nodes', 'pageInfo'],
  ProductVariantEdge: ['cursor', 'node'],
  Event: ['action', 'createdAt', 'id'],
  BasicEvent: ['action', 'createdAt', 'id', 'subjectId', 'subjectType'],
  EventConnection: ['edges', 'nodes', 'pageInfo'],
  EventEdge: ['cursor', 'node'],
  WebhookSubscription: ['id', 'topic', 'uri', 'format', 'includeFields', 'createdAt', 'updatedAt', 'apiVersion'],
  ApiVersion: ['displayName', 'handle', 'supported'],
  WebhookSubscriptionConnection: ['edges', 'nodes', 'pageInfo'],
  WebhookSubscriptionEdge: ['cursor', 'node'],
  WebhookSubscriptionCreatePayload: ['userErrors', 'webhookSubscription'],
  WebhookSubscriptionDeletePayload: ['deletedWebhookSubscriptionId', 'userErrors'],
  BulkOperation: ['id', 'status', 'errorCode', 'createdAt', 'completedAt', 'objectCount', 'rootObjectCount', 'fileSize', 'url', 'partialDataUrl', 'query', 'type'],
  BulkOperationRunQueryPayload: ['bulkOperation', 'userErrors'],
  BulkOperationUserError: ['code', 'field', 'message'],
  UserError: ['field', 'message'],
  CustomerCreatePayload: ['customer', 'userErrors'],
  CustomerUpdatePayload: ['customer', 'userErrors'],
  CustomerDeletePayload: ['deletedCustomerId', 'userErrors'],
  ProductCreatePayload: ['product', 'userErrors'],
  ProductUpdatePayload: ['product', 'userErrors'],
  ProductDeletePayload: ['deletedProductId', 'userErrors'],
  OrderCreatePayload: ['order', 'userErrors'],
  OrderCreateUserError: ['code', 'field', 'message'],
  OrderUpdatePayload: ['order', 'userErrors'],
  OrderDeletePayload: ['deletedId', 'userErrors'],
  OrderDeleteUserError: ['code', 'field', 'message'],
};

/**
 * The SDL of SUBSET as the official `schema` defines it. Fails when a subset field is not in the
 * schema, or names an output type SUBSET leaves out.
 */
export function subsetSdl(schema: GraphQLSchema, subset: Record<string, string[]> = SUBSET): string {
  const named = new Map<string, GraphQLNamedType>();
  const pending: GraphQLNamedType[] = [];
  const need = (type: GraphQLNamedType, from: string): void => {
    if (named.has(type.name) || isSpecifiedScalarType(type)) return;
    if ((type instanceof GraphQLObjectType || type instanceof GraphQLInterfaceType) && !(type.name in subset)) throw new Error(`${from} needs ${type.name}, which the subset leaves out`);
    named.set(type.name, type);
    pending.push(type);
  };
  const outputs = new Map<string, GraphQLObjectType | GraphQLInterfaceType>();
  for (const [name, fields] of Object.entries(subset)) {
    const official = schema.getType(name);
    if (!(official instanceof GraphQLObjectType || official instanceof GraphQLInterfaceType)) throw new Error(`${name} is not an object or interface type of the schema`);
    const officialFields = official.getFields();
    const kept: Record<string, GraphQLField<unknown, unknown>> = {};
    for (const field of fields) {
      const definition = officialFields[field];
      if (!definition) throw new Error(`${name}.${field} is not in the schema`);
      kept[field] = definition;
    }
    outputs.set(name, official);
    named.set(name, official);
    for (const field of Object.values(kept)) {
      need(getNamedType(field.type), `${name}.${field.name}`);
      for (const arg of field.args) need(getNamedType(arg.type), `${name}.${field.name}(${arg.name})`);
    }
  }
  // Inputs reach further inputs, enums and scalars: all of them, whole.
  while (pending.length > 0) {
    const type = pending.pop()!;
    if (type instanceof GraphQLInputObjectType) for (const field of Object.values(type.getFields())) need(getNamedType(field.type), `${type.name}.${field.name}`);
  }
  const rebuilt = new Map<string, GraphQLNamedType>();
  const get = (type: GraphQLNamedType): GraphQLNamedType => {
    const own = rebuilt.get(type.name);
    if (own) return own;
    if (isSpecifiedScalarType(type)) return type;
    throw new Error(`${type.name} is not in the subset`);
  };
  const wrap = <T>(type: T): T => rewrap(type, get) as T;
  for (const type of named.values()) {
    if (type instanceof GraphQLScalarType) rebuilt.set(type.name, new GraphQLScalarType({ name: type.name, description: type.description, specifiedByURL: type.specifiedByURL }));
    else if (type instanceof GraphQLEnumType) rebuilt.set(type.name, new GraphQLEnumType(type.toConfig()));
  }
  for (const type of named.values()) {
    if (type instanceof GraphQLInputObjectType) {
      const config = type.toConfig();
      rebuilt.set(
        type.name,
        new GraphQLInputObjectType({ ...config, fields: () => Object.fromEntries(Object.entries(config.fields).map(([name, field]) => [name, { ...field, type: wrap(field.type) }])) }),
      );
    }
  }
  const fieldsOf = (official: GraphQLObjectType | GraphQLInterfaceType) => () => {
    const config = official.toConfig();
    return Object.fromEntries(
      (subset[official.name] ?? []).map((name) => {
        const field = config.fields[name]!;
        return [name, { ...field, type: wrap(field.type), args: Object.fromEntries(Object.entries(field.args ?? {}).map(([arg, a]) => [arg, { ...a, type: wrap(a.type) }])) }];
      }),
    );
  };
  const interfacesOf = (official: GraphQLObjectType | GraphQLInterfaceType) => () =>
    official.getInterfaces().filter((i) => i.name in subset).map((i) => get(i) as GraphQLInterfaceType);
  for (const official of outputs.values()) {
    if (official instanceof GraphQLInterfaceType) rebuilt.set(official.name, new GraphQLInterfaceType({ name: official.name, description: official.description, fields: fieldsOf(official), interfaces: interfacesOf(official) }));
  }
  for (const official of outputs.values()) {
    if (official instanceof GraphQLObjectType) rebuilt.set(official.name, new GraphQLObjectType({ name: official.name, description: official.description, fields: fieldsOf(official), interfaces: interfacesOf(official) }));
  }
  const names = [...rebuilt.keys()].sort();
  // Descriptions left out: the official schema has them, the emulator needs none.
  const printed = names.map((name) => printType(rebuilt.get(name)!).replace(/^\s*"""[\s\S]*?"""\n/gm, '').replace(/^\s*"[^\n]*"\n/gm, ''));
  return `${printed.join('\n\n')}\n\nschema {\n  query: QueryRoot\n  mutation: Mutation\n}\n`;
}

function rewrap(type: unknown, get: (type: GraphQLNamedType) => GraphQLNamedType): unknown {
  const wrapper = type as { ofType?: unknown; constructor: new (inner: unknown) => unknown };
  if (wrapper.ofType !== undefined) return new wrapper.constructor(rewrap(wrapper.ofType, get));
  return get(type as GraphQLNamedType);
}
