/**
 * The root fields of the emulator's Admin GraphQL schema over its store: lists with Shopify's
 * search syntax, sort keys and cursors, counts, lookups by id, the events feed, webhook
 * subscriptions, bulk operations, and the customer, product and order mutations (their
 * validation failures as `userErrors`, as Shopify answers them).
 */

import { GraphQLError } from 'graphql';
import { EmulatorError } from '../../kit/http-emulator.ts';
import type { ShopifyObject } from '../objects.ts';
import type { ShopifyCollection, ShopifyStore } from '../store.ts';
import type { Subscription, WebhookSubscriptions } from '../webhook-subscriptions.ts';
import type { BulkOperations } from './bulk.ts';
import { connection, type ConnectionArgs, type GraphqlContext, type SortKey } from './connection.ts';
import { searchFilter, type Filterable } from './search-query.ts';
import { dateTime, gid, GID_TYPES, numericId, viewOf, type View } from './views.ts';

type Args = Record<string, unknown>;

const time = (field: string): Filterable<ShopifyObject> => ({ kind: 'time', read: (o) => o[field] });
const number = (field: string): Filterable<ShopifyObject> => ({ kind: 'number', read: (o) => o[field] });
const text = (field: string): Filterable<ShopifyObject> => ({ kind: 'text', read: (o) => o[field] });

const SEARCH: Record<ShopifyCollection, Record<string, Filterable<ShopifyObject>>> = {
  customer: { id: number('id'), created_at: time('created_at'), updated_at: time('updated_at'), email: text('email'), state: text('state') },
  order: { id: number('id'), created_at: time('created_at'), updated_at: time('updated_at'), processed_at: time('processed_at'), financial_status: text('financial_status') },
  product: { id: number('id'), created_at: time('created_at'), updated_at: time('updated_at'), status: text('status'), vendor: text('vendor'), product_type: text('product_type') },
};

const seconds = (value: unknown): number => (typeof value === 'string' ? Math.floor(Date.parse(value) / 1000) : 0);

const SORT: Record<string, (o: ShopifyObject) => number | string> = {
  ID: (o) => Number(o.id),
  UPDATED_AT: (o) => seconds(o.updated_at),
  CREATED_AT: (o) => seconds(o.created_at),
  PROCESSED_AT: (o) => seconds(o.processed_at),
  TITLE: (o) => String(o.title ?? '').toLowerCase(),
  ORDER_NUMBER: (o) => Number(o.order_number ?? 0),
  NAME: (o) => `${String(o.first_name ?? '')} ${String(o.last_name ?? '')}`.toLowerCase(),
};

const EVENT_SEARCH: Record<string, Filterable<ShopifyObject>> = {
  id: number('id'),
  created_at: time('created_at'),
  action: text('verb'),
  subject_type: { kind: 'text', read: (e) => String(e.subject_type ?? '').toUpperCase() },
};

interface UserError {
  __typename: 'UserError';
  field: string[] | null;
  message: string;
}

const userError = (field: string[] | null, message: string): UserError => ({ __typename: 'UserError', field, message });

/** The store's 422 `{errors: {field: [messages]}}` as `userErrors` under `input`. */
function userErrorsOf(error: unknown, prefix: string[]): UserError[] {
  if (!(error instanceof EmulatorError)) throw error;
  const body = error.answer.body as { errors?: unknown } | undefined;
  if (error.answer.status === 404) return [userError([...prefix, 'id'], 'Not found')];
  const errors = body?.errors;
  if (errors && typeof errors === 'object' && !Array.isArray(errors)) {
    return Object.entries(errors as Record<string, unknown>).flatMap(([field, messages]) =>
      (Array.isArray(messages) ? messages : [messages]).map((m) => userError([...prefix, camel(field)], `${capitalise(field.replace(/_/g, ' '))} ${String(m)}`)),
    );
  }
  return [userError(null, typeof errors === 'string' ? errors : 'Invalid input')];
}

const camel = (field: string): string => field.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** GraphQL input keys (camelCase) to the store's (snake_case), with the shapes the store keeps. */
function restInput(input: Args, renames: Record<string, string> = {}): ShopifyObject {
  const out: ShopifyObject = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'id' || value === undefined) continue;
    const name = renames[key] ?? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (name === 'tags' && Array.isArray(value)) out.tags = (value as string[]).join(', ');
    else if (name === 'status' && typeof value === 'string') out.status = value.toLowerCase();
    else out[name] = value;
  }
  return out;
}

/** REST topic `orders/updated` ↔ GraphQL `ORDERS_UPDATED`. */
export const topicEnum = (topic: string): string => topic.toUpperCase().replace('/', '_');

function subscriptionView(s: Subscription): View {
  return {
    __typename: 'WebhookSubscription',
    id: gid('WebhookSubscription', s.id),
    topic: topicEnum(s.topic),
    uri: s.address,
    format: 'JSON',
    includeFields: s.fields,
    createdAt: dateTime(s.created_at),
    updatedAt: dateTime(s.updated_at),
    apiVersion: { handle: s.api_version, displayName: s.api_version, supported: true },
  };
}

export interface ResolverSettings {
  store: ShopifyStore;
  subscriptions: WebhookSubscriptions;
  /** Set once the bulk operations exist (they run queries through these resolvers). */
  bulk: () => BulkOperations;
  /** Known REST topics by their GraphQL enum name. */
  topics: Map<string, string>;
}

export interface RequestScope {
  version: string;
  baseUrl: string;
}

export function rootResolvers({ store, subscriptions, bulk, topics }: ResolverSettings, scope: () => RequestScope): Record<string, unknown> {
  const list = (kind: ShopifyCollection) => (args: Args & ConnectionArgs, context: GraphqlContext) => {
    const filter = searchFilter(args.query as string | undefined, SEARCH[kind]);
    const sort = SORT[String(args.sortKey ?? 'ID')] ?? SORT.ID!;
    const items = store.all(kind).filter(filter.test);
    const keys = new Map<ShopifyObject, SortKey>(items.map((o) => [o, [sort(o), Number(o.id)]]));
    const page = connection(items, args, context, (o) => keys.get(o)!);
    return { edges: page.edges.map((e) => ({ cursor: e.cursor, node: viewOf(kind, e.node, store) })), nodes: page.nodes.map((o) => viewOf(kind, o, store)), pageInfo: page.pageInfo };
  };
  const count = (kind: ShopifyCollection) => (args: Args) => {
    const limit = typeof args.limit === 'number' ? args.limit : null;
    const n = store.all(kind).filter(searchFilter(args.query as string | undefined, SEARCH[kind]).test).length;
    return limit !== null && n > limit ? { count: limit, precision: 'AT_LEAST' } : { count: n, precision: 'EXACT' };
  };
  const byId = (kind: ShopifyCollection) => (args: Args) => {
    const id = numericId(args.id, GID_TYPES[kind]);
    const object = id === null ? undefined : store.find(kind, id);
    return object ? viewOf(kind, object, store) : null;
  };
  const kindOfType = new Map(Object.entries(GID_TYPES).map(([kind, type]) => [type, kind as ShopifyCollection]));

  const write = (payloadKey: string, kind: ShopifyCollection, prefix: string[], run: () => ShopifyObject): Record<string, unknown> => {
    try {
      return { [payloadKey]: viewOf(kind, run(), store), userErrors: [] };
    } catch (error) {
      return { [payloadKey]: null, userErrors: userErrorsOf(error, prefix) };
    }
  };
  const remove = (kind: ShopifyCollection, rawId: unknown, deletedKey: string, prefix: string[]): Record<string, unknown> => {
    const id = numericId(rawId, GID_TYPES[kind]);
    if (id === null || !store.find(kind, id)) return { [deletedKey]: null, userErrors: [userError([...prefix, 'id'], `${GID_TYPES[kind]} does not exist`)] };
    store.remove(kind, id);
    return { [deletedKey]: gid(GID_TYPES[kind], id), userErrors: [] };
  };
  const existing = (kind: ShopifyCollection, rawId: unknown, prefix: string[]): number | UserError[] => {
    const id = numericId(rawId, GID_TYPES[kind]);
    return id !== null && store.find(kind, id) ? id : [userError([...prefix, 'id'], `${GID_TYPES[kind]} does not exist`)];
  };

  return {
    customers: list('customer'),
    orders: list('order'),
    products: list('product'),
    customer: byId('customer'),
    order: byId('order'),
    product: byId('product'),
    customersCount: count('customer'),
    ordersCount: count('order'),
    productsCount: count('product'),
    node: (args: Args) => {
      const match = typeof args.id === 'string' ? /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)/.exec(args.id) : null;
      if (!match) throw new GraphQLError(`Invalid global id '${String(args.id)}'`, { extensions: { code: 'argumentLiteralsIncompatible' } });
      const kind = kindOfType.get(match[1]!);
      if (kind) return byId(kind)(args);
      if (match[1] === 'BulkOperation') {
        const operation = bulk().find(Number(match[2]));
        return operation ? bulk().view(operation, scope().baseUrl) : null;
      }
      if (match[1] === 'WebhookSubscription') {
        const subscription = subscriptions.find(Number(match[2]));
        return subscription ? subscriptionView(subscription) : null;
      }
      return null;
    },
    events: (args: Args & ConnectionArgs, context: GraphqlContext) => {
      const filter = searchFilter(args.query as string | undefined, EVENT_SEARCH);
      const sort = args.sortKey === 'CREATED_AT' ? (e: ShopifyObject) => seconds(e.created_at) : (e: ShopifyObject) => Number(e.id);
      const page = connection(store.events.filter(filter.test), args, context, (e) => [sort(e), Number(e.id)]);
      const view = (e: ShopifyObject): View => ({
        __typename: 'BasicEvent',
        id: gid('BasicEvent', e.id),
        action: e.verb,
        createdAt: dateTime(e.created_at),
        subjectId: gid(String(e.subject_type), e.subject_id),
        subjectType: String(e.subject_type).toUpperCase(),
      });
      return { edges: page.edges.map((e) => ({ cursor: e.cursor, node: view(e.node) })), nodes: page.nodes.map(view), pageInfo: page.pageInfo };
    },
    webhookSubscriptions: (args: Args & ConnectionArgs, context: GraphqlContext) => {
      const wantedTopics = Array.isArray(args.topics) ? new Set(args.topics as string[]) : null;
      const uri = typeof args.uri === 'string' ? args.uri : typeof args.callbackUrl === 'string' ? args.callbackUrl : null;
      const all = subscriptions.all().filter((s) => (!wantedTopics || wantedTopics.has(topicEnum(s.topic))) && (uri === null || s.address === uri));
      const page = connection(all, args, context, (s) => [s.id, s.id]);
      return { edges: page.edges.map((e) => ({ cursor: e.cursor, node: subscriptionView(e.node) })), nodes: page.nodes.map(subscriptionView), pageInfo: page.pageInfo };
    },
    bulkOperation: (args: Args) => {
      const id = numericId(args.id, 'BulkOperation');
      const operation = id === null ? undefined : bulk().find(id);
      return operation ? bulk().view(operation, scope().baseUrl) : null;
    },

    customerCreate: ({ input }: { input: Args }) => write('customer', 'customer', ['input'], () => store.create('customer', restInput(input))),
    customerUpdate: ({ input }: { input: Args }) => {
      const id = existing('customer', input.id, ['input']);
      return typeof id === 'number' ? write('customer', 'customer', ['input'], () => store.update('customer', id, restInput(input))) : { customer: null, userErrors: id };
    },
    customerDelete: ({ input }: { input: Args }) => remove('customer', input.id, 'deletedCustomerId', ['input']),
    productCreate: ({ product, input }: { product?: Args; input?: Args }) =>
      write('product', 'product', ['product'], () => store.create('product', restInput(product ?? input ?? {}, { descriptionHtml: 'body_html' }))),
    productUpdate: ({ product, input }: { product?: Args; input?: Args }) => {
      const given = product ?? input ?? {};
      const id = existing('product', given.id, ['product']);
      return typeof id === 'number' ? write('product', 'product', ['product'], () => store.update('product', id, restInput(given, { descriptionHtml: 'body_html' }))) : { product: null, userErrors: id };
    },
    productDelete: ({ input }: { input: Args }) => remove('product', input.id, 'deletedProductId', ['input']),
    orderCreate: ({ order }: { order: Args }) => {
      const lineItems = Array.isArray(order.lineItems)
        ? (order.lineItems as Args[]).map((li) => ({
            title: li.title,
            quantity: li.quantity,
            ...(li.sku ? { sku: li.sku } : {}),
            ...(li.priceSet && typeof li.priceSet === 'object' ? { price: String(((li.priceSet as Args).shopMoney as Args | undefined)?.amount ?? '0.00') } : {}),
          }))
        : undefined;
      const customerId = order.customerId ? numericId(order.customerId, 'Customer') : null;
      const rest = restInput({ ...order, lineItems: undefined, customerId: undefined });
      try {
        const created = store.create('order', { ...rest, ...(lineItems ? { line_items: lineItems } : {}), ...(customerId !== null ? { customer: { id: customerId } } : {}) });
        return { order: viewOf('order', created, store), userErrors: [] };
      } catch (error) {
        return { order: null, userErrors: userErrorsOf(error, ['order']).map((e) => ({ ...e, __typename: 'OrderCreateUserError', code: 'INVALID' })) };
      }
    },
    orderUpdate: ({ input }: { input: Args }) => {
      const id = existing('order', input.id, ['input']);
      return typeof id === 'number' ? write('order', 'order', ['input'], () => store.update('order', id, restInput(input))) : { order: null, userErrors: id };
    },
    orderDelete: ({ orderId }: { orderId: unknown }) => {
      const result = remove('order', orderId, 'deletedId', []);
      return { ...result, userErrors: (result.userErrors as UserError[]).map((e) => ({ ...e, __typename: 'OrderDeleteUserError', field: ['orderId'], code: 'NOT_FOUND' })) };
    },
    webhookSubscriptionCreate: ({ topic, webhookSubscription }: { topic: string; webhookSubscription: Args }) => {
      const restTopic = topics.get(topic);
      if (!restTopic) return { webhookSubscription: null, userErrors: [userError(['topic'], `Topic ${topic} is not emulated`)] };
      try {
        const address = webhookSubscription.uri ?? webhookSubscription.callbackUrl;
        const created = subscriptions.create({ topic: restTopic, address, format: 'json', ...(webhookSubscription.includeFields ? { fields: webhookSubscription.includeFields } : {}) }, scope().version);
        return { webhookSubscription: subscriptionView(created), userErrors: [] };
      } catch (error) {
        return { webhookSubscription: null, userErrors: userErrorsOf(error, ['webhookSubscription']).map((e) => ({ ...e, field: e.field?.map((f) => (f === 'address' ? 'callbackUrl' : f)) ?? null })) };
      }
    },
    webhookSubscriptionDelete: ({ id }: { id: unknown }) => {
      const number = numericId(id, 'WebhookSubscription');
      if (number === null || !subscriptions.remove(number)) return { deletedWebhookSubscriptionId: null, userErrors: [userError(['id'], 'Webhook subscription does not exist')] };
      return { deletedWebhookSubscriptionId: gid('WebhookSubscription', number), userErrors: [] };
    },
    bulkOperationRunQuery: ({ query }: { query: string }) => {
      const { operation, userErrors } = bulk().run(query);
      return { bulkOperation: operation ? bulk().view(operation, scope().baseUrl) : null, userErrors };
    },
  };
}
