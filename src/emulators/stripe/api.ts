/**
 * The Stripe v1 endpoints: parameter validation and the changes each request makes. Transport
 * concerns (auth, rate limits, idempotency, logging) live in server.ts; the random mutator calls
 * `handle` too, so API writes and mutations behave and emit events identically.
 */

import { errors } from './errors.ts';
import { applyExpansions } from './expand.ts';
import type { FormObject } from './form.ts';
import type { Json, JsonObject } from './json.ts';
import {
  COLLECTION_PATHS,
  address,
  addInterval,
  chargeObject,
  currentPeriod,
  customerObject,
  deletedStub,
  finalizeInvoice,
  invoiceObject,
  payInvoice,
  priceObject,
  productObject,
  refundCharge,
  subscriptionItemObject,
  subscriptionItemsList,
  subscriptionObject,
  voidInvoice,
  type Metadata,
  type RecurringInput,
  type StripeCollection,
} from './objects.ts';
import type { CreatedRange, OrderedIndex, PageQuery } from './ordered.ts';
import { applyMetadata, Params } from './params.ts';
import { fakeInvoicePrefix } from './random.ts';
import type { RequestContext, Store, StoredEntry } from './store.ts';

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

const LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'expand'] as const;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const CURRENCY = /^[a-z]{3}$/;

const CUSTOMER_CREATE = ['address', 'balance', 'business_name', 'cash_balance', 'description', 'email', 'expand', 'individual_name', 'invoice_prefix', 'invoice_settings', 'metadata', 'name', 'next_invoice_sequence', 'payment_method', 'phone', 'preferred_locales', 'shipping', 'source', 'tax', 'tax_exempt', 'tax_id_data', 'test_clock', 'validate'];
const CUSTOMER_UPDATE = ['address', 'balance', 'business_name', 'cash_balance', 'default_source', 'description', 'email', 'expand', 'individual_name', 'invoice_prefix', 'invoice_settings', 'metadata', 'name', 'next_invoice_sequence', 'phone', 'preferred_locales', 'shipping', 'source', 'tax', 'tax_exempt', 'validate'];
const PRODUCT_CREATE = ['name', 'active', 'default_price_data', 'description', 'expand', 'id', 'images', 'marketing_features', 'metadata', 'package_dimensions', 'shippable', 'statement_descriptor', 'tax_code', 'tax_details', 'type', 'unit_label', 'url'];
const PRODUCT_UPDATE = ['active', 'default_price', 'description', 'expand', 'images', 'marketing_features', 'metadata', 'name', 'package_dimensions', 'shippable', 'statement_descriptor', 'tax_code', 'tax_details', 'unit_label', 'url'];
const PRICE_CREATE = ['currency', 'active', 'billing_scheme', 'currency_options', 'custom_unit_amount', 'expand', 'lookup_key', 'metadata', 'nickname', 'product', 'product_data', 'recurring', 'tax_behavior', 'tiers', 'tiers_mode', 'transfer_lookup_key', 'transform_quantity', 'unit_amount', 'unit_amount_decimal'];
const PRICE_UPDATE = ['active', 'currency_options', 'expand', 'lookup_key', 'metadata', 'nickname', 'tax_behavior', 'transfer_lookup_key'];
const SUBSCRIPTION_CREATE = ['add_invoice_items', 'application_fee_percent', 'automatic_tax', 'backdate_start_date', 'billing_cycle_anchor', 'billing_cycle_anchor_config', 'billing_mode', 'billing_thresholds', 'cancel_at', 'cancel_at_period_end', 'collection_method', 'currency', 'customer', 'days_until_due', 'default_payment_method', 'default_source', 'default_tax_rates', 'description', 'discounts', 'expand', 'invoice_settings', 'items', 'metadata', 'off_session', 'on_behalf_of', 'payment_behavior', 'payment_settings', 'pending_invoice_item_interval', 'proration_behavior', 'transfer_data', 'trial_end', 'trial_from_plan', 'trial_period_days', 'trial_settings'];
const SUBSCRIPTION_UPDATE = ['add_invoice_items', 'application_fee_percent', 'automatic_tax', 'billing_cycle_anchor', 'billing_thresholds', 'cancel_at', 'cancel_at_period_end', 'cancellation_details', 'collection_method', 'days_until_due', 'default_payment_method', 'default_source', 'default_tax_rates', 'description', 'discounts', 'expand', 'invoice_settings', 'items', 'metadata', 'off_session', 'on_behalf_of', 'pause_collection', 'payment_behavior', 'payment_settings', 'pending_invoice_item_interval', 'proration_behavior', 'proration_date', 'transfer_data', 'trial_end', 'trial_from_plan', 'trial_settings'];
const SUBSCRIPTION_ITEM_CREATE = ['billing_thresholds', 'discounts', 'metadata', 'plan', 'price', 'price_data', 'quantity', 'tax_rates'];
const SUBSCRIPTION_ITEM_UPDATE = ['billing_thresholds', 'clear_usage', 'deleted', 'discounts', 'id', 'metadata', 'plan', 'price', 'price_data', 'quantity', 'tax_rates'];
const SUBSCRIPTION_STATUSES = ['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'] as const;
const INVOICE_CREATE = ['account_tax_ids', 'application_fee_amount', 'auto_advance', 'automatic_tax', 'automatically_finalizes_at', 'collection_method', 'currency', 'custom_fields', 'customer', 'customer_account', 'days_until_due', 'default_payment_method', 'default_source', 'default_tax_rates', 'description', 'discounts', 'due_date', 'effective_at', 'expand', 'footer', 'from_invoice', 'issuer', 'metadata', 'number', 'on_behalf_of', 'payment_settings', 'pending_invoice_items_behavior', 'rendering', 'shipping_cost', 'shipping_details', 'statement_descriptor', 'subscription', 'transfer_data'];
const INVOICE_UPDATE = ['account_tax_ids', 'application_fee_amount', 'auto_advance', 'automatic_tax', 'automatically_finalizes_at', 'collection_method', 'custom_fields', 'days_until_due', 'default_payment_method', 'default_source', 'default_tax_rates', 'description', 'discounts', 'due_date', 'effective_at', 'expand', 'footer', 'issuer', 'metadata', 'number', 'on_behalf_of', 'payment_settings', 'rendering', 'shipping_cost', 'shipping_details', 'statement_descriptor', 'transfer_data'];
const CHARGE_CREATE = ['amount', 'application_fee', 'application_fee_amount', 'capture', 'currency', 'customer', 'description', 'destination', 'expand', 'metadata', 'on_behalf_of', 'radar_options', 'receipt_email', 'shipping', 'source', 'statement_descriptor', 'statement_descriptor_suffix', 'transfer_data', 'transfer_group'];
const CHARGE_UPDATE = ['customer', 'description', 'expand', 'fraud_details', 'metadata', 'receipt_email', 'shipping', 'transfer_group'];
const ADDRESS_KEYS = ['city', 'country', 'line1', 'line2', 'postal_code', 'state'];

/** Objects the emulator serves, by the name Stripe uses in messages. */
const OBJECT_NAMES: Record<StripeCollection, string> = {
  customer: 'customer',
  product: 'product',
  price: 'price',
  subscription: 'subscription',
  invoice: 'invoice',
  charge: 'charge',
};

function collectionForSegment(segment: string): StripeCollection | undefined {
  return (Object.keys(COLLECTION_PATHS) as StripeCollection[]).find((c) => COLLECTION_PATHS[c] === segment);
}

function metadataOf(value: JsonObject): Metadata {
  return (value['metadata'] ?? {}) as Metadata;
}

export class StripeApi {
  constructor(private readonly store: Store) {}

  handle(request: ApiRequest): ApiResponse {
    const { method } = request;
    const segments = request.path.split('/').slice(1).map(decodeSegment);
    if (segments[0] !== 'v1' || segments.length < 2 || segments.length > 4 || segments.some((s) => s.length === 0)) {
      throw errors.unrecognizedUrl(method, request.path);
    }
    const [, resource, id, action] = segments as [string, string, string | undefined, string | undefined];
    const params = new Params(request.params);
    const ctx = request.ctx;
    const unrecognized = (): never => {
      throw errors.unrecognizedUrl(method, request.path);
    };

    if (resource === 'events') {
      if (method !== 'GET' || action !== undefined) return unrecognized();
      return ok(id === undefined ? this.listEvents(params) : this.retrieveEvent(id, params));
    }
    const collection = collectionForSegment(resource);
    if (!collection) return unrecognized();

    if (id === undefined) {
      if (method === 'GET') return ok(this.list(collection, params));
      if (method === 'POST') return ok(this.create(collection, params, ctx));
      return unrecognized();
    }
    if (action !== undefined) {
      if (method !== 'POST') return unrecognized();
      if (collection === 'invoice' && (action === 'finalize' || action === 'pay' || action === 'void')) {
        return ok(this.invoiceAction(action, id, params, ctx));
      }
      if (collection === 'charge' && action === 'refund') return ok(this.refund(id, params, ctx));
      return unrecognized();
    }
    if (method === 'GET') return ok(this.retrieve(collection, id, params));
    if (method === 'POST') return ok(this.update(collection, id, params, ctx));
    if (method === 'DELETE') {
      switch (collection) {
        case 'customer':
        case 'product':
        case 'invoice':
          return ok(this.deleteObject(collection, id, params, ctx));
        case 'subscription':
          return ok(this.cancelSubscription(id, params, ctx));
        default:
          return unrecognized();
      }
    }
    return unrecognized();
  }

  // ----- generic read paths -----

  private expand(value: JsonObject, params: Params): JsonObject {
    const paths = params.stringArray('expand') ?? [];
    return paths.length > 0 ? applyExpansions(value, paths, (id) => this.store.resolve(id)) : value;
  }

  private requireEntry(collection: StripeCollection, id: string, param = 'id', status = 404): StoredEntry {
    const entry = this.store.live(collection, id);
    if (!entry) throw errors.resourceMissing(OBJECT_NAMES[collection], id, param, status);
    return entry;
  }

  private retrieve(collection: StripeCollection, id: string, params: Params): JsonObject {
    params.allow(['expand']);
    const entry = this.store.get(collection, id);
    // A deleted customer is still retrievable as `{id, object, deleted: true}`, as in Stripe.
    if (entry && entry.deleted && collection === 'customer') return this.store.renderEntry(collection, entry);
    const live = this.requireEntry(collection, id);
    return this.expand(this.store.render(collection, live.value), params);
  }

  private page(
    index: OrderedIndex<JsonObject>,
    objectName: string,
    params: Params,
    extraParams: readonly string[],
    filter?: (value: JsonObject) => boolean,
  ): { entries: StoredEntry[]; hasMore: boolean } {
    params.allow([...LIST_PARAMS, 'created', ...extraParams]);
    const limit = params.int('limit', { min: 1, max: 100 }) ?? 10;
    const startingAfter = params.string('starting_after');
    const endingBefore = params.string('ending_before');
    if (startingAfter && endingBefore) throw errors.exclusive(['starting_after', 'ending_before']);
    const query: PageQuery<JsonObject> = { limit };
    if (startingAfter) {
      const cursor = index.get(startingAfter);
      if (!cursor) throw errors.resourceMissing(objectName, startingAfter, 'starting_after', 400);
      query.startingAfter = cursor;
    }
    if (endingBefore) {
      const cursor = index.get(endingBefore);
      if (!cursor) throw errors.resourceMissing(objectName, endingBefore, 'ending_before', 400);
      query.endingBefore = cursor;
    }
    const created = parseCreated(params, 'created');
    if (created) query.created = created;
    if (filter) query.filter = (entry) => filter(entry.value);
    return index.page(query);
  }

  private list(collection: StripeCollection, params: Params): JsonObject {
    const { extra, filter } = this.listFilter(collection, params);
    const page = this.page(this.store.index(collection), OBJECT_NAMES[collection], params, extra, filter);
    const list: JsonObject = {
      object: 'list',
      // Not copied: the page is serialized right away (expansions copy what they replace).
      data: page.entries.map((entry) => this.store.view(collection, entry.value)),
      has_more: page.hasMore,
      url: `/v1/${COLLECTION_PATHS[collection]}`,
    };
    return this.expand(list, params);
  }

  /** Collection-specific list parameters and the predicate they make. */
  private listFilter(collection: StripeCollection, params: Params): { extra: string[]; filter: (value: JsonObject) => boolean } {
    const checks: Array<(value: JsonObject) => boolean> = [];
    let extra: string[] = [];
    const eq = (field: string, wanted: Json | undefined): void => {
      if (wanted !== undefined && wanted !== null) checks.push((v) => v[field] === wanted);
    };
    switch (collection) {
      case 'customer': {
        extra = ['email', 'test_clock'];
        eq('email', params.string('email', { maxLength: 512 }));
        eq('test_clock', params.string('test_clock'));
        break;
      }
      case 'product': {
        extra = ['active', 'ids', 'shippable', 'type', 'url'];
        eq('active', params.bool('active'));
        eq('shippable', params.bool('shippable'));
        eq('type', params.enum('type', ['good', 'service']));
        eq('url', params.string('url'));
        const ids = params.stringArray('ids');
        if (ids) {
          const set = new Set(ids);
          checks.push((v) => set.has(v['id'] as string));
        }
        break;
      }
      case 'price': {
        extra = ['active', 'currency', 'lookup_keys', 'product', 'recurring', 'type'];
        eq('active', params.bool('active'));
        eq('currency', params.string('currency')?.toLowerCase());
        eq('product', params.string('product'));
        eq('type', params.enum('type', ['one_time', 'recurring']));
        const lookupKeys = params.stringArray('lookup_keys', { max: 10 });
        if (lookupKeys) {
          const set = new Set(lookupKeys);
          checks.push((v) => typeof v['lookup_key'] === 'string' && set.has(v['lookup_key']));
        }
        const recurring = params.object('recurring');
        if (recurring) {
          recurring.allow(['interval', 'meter', 'usage_type']);
          const interval = recurring.enum('interval', ['day', 'week', 'month', 'year']);
          const usageType = recurring.enum('usage_type', ['licensed', 'metered']);
          checks.push((v) => {
            const r = v['recurring'] as JsonObject | null;
            if (!r) return false;
            return (!interval || r['interval'] === interval) && (!usageType || r['usage_type'] === usageType);
          });
        }
        break;
      }
      case 'subscription': {
        extra = ['automatic_tax', 'collection_method', 'current_period_end', 'current_period_start', 'customer', 'customer_account', 'plan', 'price', 'status', 'test_clock'];
        const status = params.enum('status', SUBSCRIPTION_STATUSES);
        // Without `status`, Stripe lists every subscription that has not been canceled.
        if (status === undefined || status === null) checks.push((v) => v['status'] !== 'canceled');
        else if (status === 'ended') checks.push((v) => v['status'] === 'canceled' || v['status'] === 'incomplete_expired');
        else if (status !== 'all') checks.push((v) => v['status'] === status);
        eq('customer', params.string('customer'));
        eq('collection_method', params.enum('collection_method', ['charge_automatically', 'send_invoice']));
        eq('test_clock', params.string('test_clock'));
        const price = params.string('price') ?? params.string('plan');
        if (price) {
          checks.push((v) => ((v['items'] as JsonObject)['data'] as JsonObject[]).some((item) => (item['price'] as JsonObject)['id'] === price));
        }
        const automaticTax = params.object('automatic_tax');
        if (automaticTax) {
          automaticTax.allow(['enabled']);
          const enabled = automaticTax.bool('enabled');
          if (enabled !== undefined) checks.push((v) => (v['automatic_tax'] as JsonObject)['enabled'] === enabled);
        }
        for (const field of ['current_period_end', 'current_period_start'] as const) {
          const range = parseCreated(params, field);
          if (range) checks.push((v) => inRange(v[field] as number, range));
        }
        break;
      }
      case 'invoice': {
        extra = ['collection_method', 'customer', 'customer_account', 'due_date', 'status', 'subscription'];
        eq('customer', params.string('customer'));
        eq('subscription', params.string('subscription'));
        eq('status', params.enum('status', ['draft', 'open', 'paid', 'uncollectible', 'void']));
        eq('collection_method', params.enum('collection_method', ['charge_automatically', 'send_invoice']));
        const dueDate = parseCreated(params, 'due_date');
        if (dueDate) checks.push((v) => typeof v['due_date'] === 'number' && inRange(v['due_date'], dueDate));
        break;
      }
      case 'charge': {
        extra = ['customer', 'payment_intent', 'transfer_group'];
        eq('customer', params.string('customer'));
        eq('payment_intent', params.string('payment_intent'));
        eq('transfer_group', params.string('transfer_group'));
        break;
      }
    }
    return { extra, filter: (value) => checks.every((check) => check(value)) };
  }

  private listEvents(params: Params): JsonObject {
    const type = params.string('type');
    const types = params.stringArray('types', { max: 20 });
    if (type && types) throw errors.exclusive(['type', 'types']);
    const deliverySuccess = params.bool('delivery_success');
    let filter: ((value: JsonObject) => boolean) | undefined;
    if (type) {
      if (type.endsWith('*')) {
        const prefix = type.slice(0, -1);
        filter = (v) => (v['type'] as string).startsWith(prefix);
      } else {
        filter = (v) => v['type'] === type;
      }
    } else if (types) {
      const set = new Set(types);
      filter = (v) => set.has(v['type'] as string);
    }
    // No webhook endpoints exist here: every event counts as delivered.
    if (deliverySuccess === false) filter = () => false;
    const page = this.page(this.store.events, 'event', params, ['delivery_success', 'type', 'types'], filter);
    const list: JsonObject = {
      object: 'list',
      data: page.entries.map((entry) => structuredClone(entry.value)),
      has_more: page.hasMore,
      url: '/v1/events',
    };
    return this.expand(list, params);
  }

  private retrieveEvent(id: string, params: Params): JsonObject {
    params.allow(['expand']);
    const entry = this.store.events.get(id);
    if (!entry) throw errors.resourceMissing('event', id);
    return this.expand(structuredClone(entry.value), params);
  }

  // ----- writes -----

  private create(collection: StripeCollection, params: Params, ctx: RequestContext): JsonObject {
    switch (collection) {
      case 'customer':
        return this.expand(this.createCustomer(params, ctx), params);
      case 'product':
        return this.expand(this.createProduct(params, ctx), params);
      case 'price':
        return this.expand(this.createPrice(params, ctx), params);
      case 'subscription':
        return this.expand(this.createSubscription(params, ctx), params);
      case 'invoice':
        return this.expand(this.createInvoice(params, ctx), params);
      case 'charge':
        return this.expand(this.createCharge(params, ctx), params);
    }
  }

  private update(collection: StripeCollection, id: string, params: Params, ctx: RequestContext): JsonObject {
    const entry = this.requireEntry(collection, id);
    let mutate: (draft: JsonObject) => void;
    switch (collection) {
      case 'customer':
        params.allow(CUSTOMER_UPDATE);
        mutate = this.customerChanges(params, false);
        break;
      case 'product':
        params.allow(PRODUCT_UPDATE);
        mutate = this.productChanges(params, entry);
        break;
      case 'price':
        params.allow(PRICE_UPDATE);
        mutate = this.priceChanges(params, entry, ctx);
        break;
      case 'subscription':
        params.allow(SUBSCRIPTION_UPDATE);
        mutate = this.subscriptionChanges(params, entry);
        break;
      case 'invoice':
        params.allow(INVOICE_UPDATE);
        mutate = this.invoiceChanges(params, entry);
        break;
      case 'charge':
        params.allow(CHARGE_UPDATE);
        mutate = this.chargeChanges(params, entry);
        break;
    }
    this.store.update(collection, entry, mutate, ctx);
    return this.expand(this.store.render(collection, entry.value), params);
  }

  private deleteObject(collection: 'customer' | 'product' | 'invoice', id: string, params: Params, ctx: RequestContext): JsonObject {
    params.allow([]);
    const entry = this.requireEntry(collection, id);
    if (collection === 'product' && this.productHasPrices(id)) {
      throw errors.invalidRequest('This product cannot be deleted because it has one or more user-created prices.', undefined, undefined, true);
    }
    if (collection === 'invoice' && entry.value['status'] !== 'draft') {
      throw errors.invalidRequest(`You can only delete draft invoices. This invoice is ${String(entry.value['status'])}.`, undefined, undefined, true);
    }
    if (collection === 'customer') {
      // Deleting a customer cancels its subscriptions immediately.
      for (const sub of this.store.index('subscription').liveNewestFirst()) {
        if (sub.value['customer'] === id && sub.value['status'] !== 'canceled' && sub.value['status'] !== 'incomplete_expired') {
          this.store.transition('subscription', sub, (draft) => markCanceled(draft, this.store.now(), 'cancellation_requested'), ctx, ['customer.subscription.deleted']);
        }
      }
    }
    this.store.delete(collection, entry, ctx);
    return deletedStub(id, collection);
  }

  productHasPrices(productId: string): boolean {
    return this.store.index('price').all().some((entry) => entry.value['product'] === productId);
  }

  // ----- customers -----

  private createCustomer(params: Params, ctx: RequestContext): JsonObject {
    params.allow(CUSTOMER_CREATE);
    const id = this.store.newId('cus');
    const value = customerObject({ id, created: this.store.now(), invoicePrefix: fakeInvoicePrefix(this.store.random) });
    this.customerChanges(params, true)(value);
    return this.store.render('customer', this.store.create('customer', value, ctx).value);
  }

  private customerChanges(params: Params, creating: boolean): (draft: JsonObject) => void {
    const email = params.nullableString('email', 512);
    if (email && !EMAIL.test(email)) throw errors.invalidRequest(`Invalid email address: ${email}`, 'email', 'email_invalid');
    const name = params.nullableString('name', 256);
    const phone = params.nullableString('phone', 20);
    const description = params.nullableString('description', 350);
    const balance = params.int('balance');
    const invoicePrefix = params.string('invoice_prefix');
    if (invoicePrefix && !/^[A-Z0-9]{3,12}$/.test(invoicePrefix)) {
      throw errors.invalidRequest('Invoice prefix must be 3-12 uppercase letters or numbers.', 'invoice_prefix');
    }
    const nextSequence = params.int('next_invoice_sequence', { min: 1 });
    const locales = params.stringArray('preferred_locales');
    const taxExempt = params.enum('tax_exempt', ['none', 'exempt', 'reverse'], { emptyable: true });
    const addressParams = params.object('address');
    const shipping = parseShipping(params, 'shipping');
    const invoiceSettings = params.object('invoice_settings');
    invoiceSettings?.allow(['custom_fields', 'default_payment_method', 'footer', 'rendering_options']);
    const customFields = invoiceSettings?.objectArray('custom_fields');
    const footer = invoiceSettings?.nullableString('footer', 5000);
    const defaultPaymentMethod = invoiceSettings?.nullableString('default_payment_method');
    const renderingOptions = invoiceSettings?.object('rendering_options');
    renderingOptions?.allow(['amount_tax_display', 'template']);
    const metadata = params.metadata();
    const testClock = creating ? params.string('test_clock') : undefined;
    const defaultSource = params.nullableString('default_source');
    return (draft) => {
      if (email !== undefined) draft['email'] = email;
      if (name !== undefined) draft['name'] = name;
      if (phone !== undefined) draft['phone'] = phone;
      if (description !== undefined) draft['description'] = description;
      if (balance !== undefined && balance !== null) draft['balance'] = balance;
      if (invoicePrefix) draft['invoice_prefix'] = invoicePrefix;
      if (nextSequence !== undefined && nextSequence !== null) draft['next_invoice_sequence'] = nextSequence;
      if (locales) draft['preferred_locales'] = locales;
      if (taxExempt !== undefined) draft['tax_exempt'] = taxExempt ?? 'none';
      if (addressParams !== undefined) draft['address'] = mergeAddress(draft['address'] as JsonObject | null, addressParams);
      if (shipping !== undefined) draft['shipping'] = shipping;
      if (testClock) draft['test_clock'] = testClock;
      if (defaultSource !== undefined) draft['default_source'] = defaultSource;
      if (invoiceSettings) {
        const settings = { ...(draft['invoice_settings'] as JsonObject) };
        if (customFields) {
          settings['custom_fields'] = customFields.map((field) => {
            field.allow(['name', 'value']);
            return { name: field.requiredString('name', 40), value: field.requiredString('value', 140) };
          });
        } else if (invoiceSettings.raw('custom_fields') === '') settings['custom_fields'] = null;
        if (footer !== undefined) settings['footer'] = footer;
        if (defaultPaymentMethod !== undefined) settings['default_payment_method'] = defaultPaymentMethod;
        if (renderingOptions !== undefined) {
          settings['rendering_options'] = renderingOptions
            ? {
                amount_tax_display: renderingOptions.nullableString('amount_tax_display') ?? null,
                template: renderingOptions.nullableString('template') ?? null,
              }
            : null;
        }
        draft['invoice_settings'] = settings;
      }
      if (metadata) draft['metadata'] = applyMetadata(metadataOf(draft), metadata);
    };
  }

  // ----- products -----

  private createProduct(params: Params, ctx: RequestContext): JsonObject {
    params.allow(PRODUCT_CREATE);
    const name = params.requiredString('name', 5000);
    const customId = params.string('id');
    if (customId && this.store.get('product', customId)) {
      throw errors.invalidRequest(`Product already exists.`, 'id', 'resource_already_exists');
    }
    const type = params.enum('type', ['good', 'service']) ?? 'service';
    const defaultPriceData = params.object('default_price_data');
    const value = productObject({ id: customId ?? this.store.newId('prod'), created: this.store.now(), name, type });
    const changes = this.productChanges(params, undefined);
    changes(value);
    let priceValue: JsonObject | undefined;
    if (defaultPriceData) {
      defaultPriceData.allow(['currency', 'currency_options', 'custom_unit_amount', 'metadata', 'recurring', 'tax_behavior', 'unit_amount', 'unit_amount_decimal']);
      priceValue = this.buildPrice(defaultPriceData, value['id'] as string);
      value['default_price'] = priceValue['id'] as string;
    }
    const entry = this.store.create('product', value, ctx);
    if (priceValue) this.store.create('price', priceValue, ctx);
    return this.store.render('product', entry.value);
  }

  private productChanges(params: Params, existing: StoredEntry | undefined): (draft: JsonObject) => void {
    const name = params.string('name', { maxLength: 5000 });
    const active = params.bool('active');
    const description = params.nullableString('description', 40000);
    const images = params.stringArray('images', { max: 8 });
    const features = params.objectArray('marketing_features');
    const marketingFeatures = features?.map((feature) => {
      feature.allow(['name']);
      return { name: feature.requiredString('name', 80) };
    });
    const shippable = params.bool('shippable');
    const statementDescriptor = params.nullableString('statement_descriptor', 22);
    const taxCode = params.nullableString('tax_code');
    const unitLabel = params.nullableString('unit_label', 12);
    const url = params.nullableString('url', 5000);
    const packageDimensions = params.object('package_dimensions');
    let dimensions: JsonObject | null | undefined = packageDimensions === null ? null : undefined;
    if (packageDimensions) {
      packageDimensions.allow(['height', 'length', 'weight', 'width']);
      dimensions = {};
      for (const key of ['height', 'length', 'weight', 'width']) {
        const raw = packageDimensions.requiredString(key);
        const n = Number(raw);
        if (!Number.isFinite(n)) throw errors.invalidRequest(`Invalid decimal: ${raw}`, packageDimensions.name(key));
        dimensions[key] = n;
      }
    }
    const metadata = params.metadata();
    let defaultPrice: string | null | undefined;
    if (existing) {
      defaultPrice = params.nullableString('default_price');
      if (defaultPrice) {
        const price = this.store.live('price', defaultPrice);
        if (!price) throw errors.resourceMissing('price', defaultPrice, 'default_price', 400);
        if (price.value['product'] !== existing.id) {
          throw errors.invalidRequest('The default price must belong to this product.', 'default_price');
        }
        if (price.value['active'] !== true) throw errors.invalidRequest('The default price must be active.', 'default_price');
      }
    }
    return (draft) => {
      if (name) draft['name'] = name;
      if (active !== undefined) draft['active'] = active;
      if (description !== undefined) draft['description'] = description;
      if (images) draft['images'] = images;
      if (marketingFeatures) draft['marketing_features'] = marketingFeatures;
      else if (params.raw('marketing_features') === '') draft['marketing_features'] = [];
      if (shippable !== undefined) draft['shippable'] = shippable;
      if (statementDescriptor !== undefined) draft['statement_descriptor'] = statementDescriptor;
      if (taxCode !== undefined) draft['tax_code'] = taxCode;
      if (unitLabel !== undefined) draft['unit_label'] = unitLabel;
      if (url !== undefined) draft['url'] = url;
      if (dimensions !== undefined) draft['package_dimensions'] = dimensions;
      if (defaultPrice !== undefined) draft['default_price'] = defaultPrice;
      if (metadata) draft['metadata'] = applyMetadata(metadataOf(draft), metadata);
    };
  }

  // ----- prices -----

  private createPrice(params: Params, ctx: RequestContext): JsonObject {
    params.allow(PRICE_CREATE);
    const productId = params.string('product');
    const productData = params.object('product_data');
    if (productId && productData) throw errors.exclusive(['product', 'product_data']);
    let createdProduct: JsonObject | undefined;
    let product: string;
    if (productId) {
      if (!this.store.live('product', productId)) throw errors.resourceMissing('product', productId, 'product', 400);
      product = productId;
    } else if (productData) {
      productData.allow(['active', 'id', 'metadata', 'name', 'statement_descriptor', 'tax_code', 'tax_details', 'unit_label']);
      const customId = productData.string('id');
      if (customId && this.store.get('product', customId)) {
        throw errors.invalidRequest('Product already exists.', productData.name('id'), 'resource_already_exists');
      }
      createdProduct = productObject({
        id: customId ?? this.store.newId('prod'),
        created: this.store.now(),
        name: productData.requiredString('name', 5000),
        active: productData.bool('active') ?? true,
        statementDescriptor: productData.nullableString('statement_descriptor', 22) ?? null,
        taxCode: productData.nullableString('tax_code') ?? null,
        unitLabel: productData.nullableString('unit_label', 12) ?? null,
      });
      const metadata = productData.metadata();
      if (metadata) createdProduct['metadata'] = applyMetadata({}, metadata, productData.name('metadata'));
      product = createdProduct['id'] as string;
    } else {
      throw errors.invalidRequest('You must specify either `product` or `product_data` when creating a price.', 'product', 'parameter_missing');
    }
    const value = this.buildPrice(params, product);
    const changes = this.priceChanges(params, undefined, ctx);
    changes(value);
    if (createdProduct) this.store.create('product', createdProduct, ctx);
    return this.store.render('price', this.store.create('price', value, ctx).value);
  }

  /** A new price object from `currency`, `unit_amount`, `recurring`, … (shared with `default_price_data`). */
  private buildPrice(params: Params, product: string): JsonObject {
    const currency = params.requiredString('currency').toLowerCase();
    if (!CURRENCY.test(currency)) throw errors.invalidRequest(`Invalid currency: ${currency}`, params.name('currency'));
    const billingScheme = params.enum('billing_scheme', ['per_unit', 'tiered']);
    if (billingScheme === 'tiered' || params.has('tiers') || params.has('custom_unit_amount')) {
      throw errors.invalidRequest('The Stripe emulator supports only per-unit prices with a fixed unit_amount.', params.name('billing_scheme'));
    }
    let unitAmount = params.int('unit_amount', { min: 0 });
    const decimal = params.string('unit_amount_decimal');
    if (unitAmount !== undefined && decimal !== undefined) throw errors.exclusive([params.name('unit_amount'), params.name('unit_amount_decimal')]);
    if (decimal) {
      const n = Number(decimal);
      if (!Number.isInteger(n) || n < 0) throw errors.invalidRequest(`Invalid decimal: ${decimal}`, params.name('unit_amount_decimal'));
      unitAmount = n;
    }
    if (unitAmount === undefined || unitAmount === null) throw errors.parameterMissing(params.name('unit_amount'));
    const recurringParams = params.object('recurring');
    let recurring: RecurringInput | null = null;
    if (recurringParams) {
      recurringParams.allow(['interval', 'interval_count', 'meter', 'trial_period_days', 'usage_type']);
      const interval = recurringParams.enum('interval', ['day', 'week', 'month', 'year']);
      if (!interval) throw errors.parameterMissing(recurringParams.name('interval'));
      const intervalCount = recurringParams.int('interval_count', { min: 1 }) ?? 1;
      const maxCount = { day: 1095, week: 156, month: 36, year: 3 }[interval];
      if (intervalCount > maxCount) {
        throw errors.invalidRequest('Invalid recurring interval: the maximum interval is 3 years.', recurringParams.name('interval_count'));
      }
      recurring = {
        interval,
        intervalCount,
        usageType: recurringParams.enum('usage_type', ['licensed', 'metered']) ?? 'licensed',
        trialPeriodDays: recurringParams.int('trial_period_days', { min: 1, max: 730 }) ?? null,
      };
    }
    const value = priceObject({
      id: this.store.newId('price'),
      created: this.store.now(),
      product,
      currency,
      unitAmount,
      recurring,
      taxBehavior: params.enum('tax_behavior', ['exclusive', 'inclusive', 'unspecified']) ?? 'unspecified',
    });
    const metadata = params.metadata();
    if (metadata) value['metadata'] = applyMetadata({}, metadata, params.name('metadata'));
    return value;
  }

  private priceChanges(params: Params, existing: StoredEntry | undefined, ctx: RequestContext): (draft: JsonObject) => void {
    const active = params.bool('active');
    const nickname = params.nullableString('nickname', 5000);
    const lookupKey = params.nullableString('lookup_key', 200);
    const transfer = params.bool('transfer_lookup_key') ?? false;
    const taxBehavior = params.enum('tax_behavior', ['exclusive', 'inclusive', 'unspecified']);
    const metadata = existing ? params.metadata() : undefined;
    if (existing && active === false) {
      const product = this.store.get('product', existing.value['product'] as string);
      if (product && product.value['default_price'] === existing.id) {
        throw errors.invalidRequest('This price cannot be archived because it is the default price of its product.', 'active');
      }
    }
    if (lookupKey) {
      const holder = this.store
        .index('price')
        .all()
        .find((entry) => entry.value['lookup_key'] === lookupKey && entry.id !== existing?.id);
      if (holder) {
        if (!transfer) {
          throw errors.invalidRequest(
            `A price (\`${holder.id}\`) already uses that lookup key. Pass \`transfer_lookup_key\` to move it to this price.`,
            'lookup_key',
          );
        }
        this.store.update('price', holder, (draft) => {
          draft['lookup_key'] = null;
        }, ctx);
      }
    }
    return (draft) => {
      if (active !== undefined) draft['active'] = active;
      if (nickname !== undefined) draft['nickname'] = nickname;
      if (lookupKey !== undefined) draft['lookup_key'] = lookupKey;
      if (taxBehavior) {
        if (existing && draft['tax_behavior'] !== 'unspecified' && draft['tax_behavior'] !== taxBehavior) {
          throw errors.invalidRequest('tax_behavior cannot be changed once it is specified.', 'tax_behavior');
        }
        draft['tax_behavior'] = taxBehavior;
      }
      if (metadata) draft['metadata'] = applyMetadata(metadataOf(draft), metadata);
    };
  }

  // ----- subscriptions -----

  private subscriptionPrice(item: Params, currency: string | undefined): JsonObject {
    if (item.has('price_data')) {
      throw errors.invalidRequest('The Stripe emulator does not support price_data; create a price first.', item.name('price_data'));
    }
    const priceId = item.string('price') ?? item.string('plan');
    if (!priceId) throw errors.parameterMissing(item.name('price'));
    const price = this.store.live('price', priceId);
    if (!price) throw errors.resourceMissing('price', priceId, item.name('price'), 400);
    if (price.value['type'] !== 'recurring') {
      throw errors.invalidRequest(
        `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
        item.name('price'),
      );
    }
    if (price.value['active'] !== true) {
      throw errors.invalidRequest(`The price specified is inactive. This field only accepts active prices.`, item.name('price'));
    }
    if (currency && price.value['currency'] !== currency) {
      throw errors.invalidRequest(
        `Currency mismatch: all prices on a subscription must use the same currency (${currency}).`,
        item.name('price'),
      );
    }
    return price.value;
  }

  private createSubscription(params: Params, ctx: RequestContext): JsonObject {
    params.allow(SUBSCRIPTION_CREATE);
    const customerId = params.requiredString('customer');
    const itemParams = params.objectArray('items');
    if (!itemParams || itemParams.length === 0) throw errors.parameterMissing('items');
    if (itemParams.length > 20) throw errors.invalidRequest('You can have at most 20 items on a subscription.', 'items');
    if (!this.store.live('customer', customerId)) throw errors.resourceMissing('customer', customerId, 'customer', 400);
    let currency = params.string('currency')?.toLowerCase();
    const prices: Array<{ price: JsonObject; quantity: number; metadata: Metadata }> = [];
    const seen = new Set<string>();
    for (const item of itemParams) {
      item.allow(SUBSCRIPTION_ITEM_CREATE);
      const price = this.subscriptionPrice(item, currency);
      currency = price['currency'] as string;
      if (seen.has(price['id'] as string)) {
        throw errors.invalidRequest('Cannot add multiple subscription items with the same price.', item.name('price'));
      }
      seen.add(price['id'] as string);
      const quantity = item.int('quantity', { min: 0 }) ?? 1;
      const metadata = item.metadata();
      prices.push({ price, quantity, metadata: metadata ? applyMetadata({}, metadata, item.name('metadata')) : {} });
    }
    const now = this.store.now();
    const collectionMethod = params.enum('collection_method', ['charge_automatically', 'send_invoice']) ?? 'charge_automatically';
    const daysUntilDue = params.int('days_until_due', { min: 0 });
    if (collectionMethod === 'send_invoice' && (daysUntilDue === undefined || daysUntilDue === null)) {
      throw errors.parameterMissing('days_until_due');
    }
    const trialDays = params.int('trial_period_days', { min: 0, max: 730 });
    const trialEndRaw = params.string('trial_end');
    let trialEnd: number | null = null;
    if (trialEndRaw && trialEndRaw !== 'now') {
      if (!/^\d+$/.test(trialEndRaw)) throw errors.invalidInteger('trial_end', trialEndRaw);
      trialEnd = Number(trialEndRaw);
      if (trialEnd <= now) throw errors.invalidRequest('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end');
    } else if (trialDays) {
      trialEnd = now + trialDays * 86_400;
    }
    const anchor = params.int('billing_cycle_anchor');
    const paymentBehavior = params.enum('payment_behavior', ['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete']);
    const first = prices[0]?.price['recurring'] as JsonObject;
    const interval = first['interval'] as string;
    const intervalCount = first['interval_count'] as number;
    let period: { start: number; end: number };
    if (trialEnd) period = { start: now, end: trialEnd };
    else if (anchor && anchor > now) period = { start: now, end: anchor };
    else period = currentPeriod(anchor ?? now, interval, intervalCount, now);
    const id = this.store.newId('sub');
    const items = prices.map(({ price, quantity, metadata }) =>
      subscriptionItemObject({ id: this.store.newId('si'), created: now, price, quantity, metadata, subscription: id, periodStart: period.start, periodEnd: period.end }),
    );
    const status = trialEnd ? 'trialing' : paymentBehavior === 'default_incomplete' ? 'incomplete' : 'active';
    const value = subscriptionObject({
      id,
      created: now,
      customer: customerId,
      currency: currency ?? 'usd',
      items,
      status,
      periodStart: period.start,
      periodEnd: period.end,
      billingCycleAnchor: trialEnd ?? anchor ?? now,
      startDate: now,
      collectionMethod,
      daysUntilDue: daysUntilDue ?? null,
      trialStart: trialEnd ? now : null,
      trialEnd,
    });
    this.subscriptionChanges(params, undefined)(value);
    return this.store.render('subscription', this.store.create('subscription', value, ctx).value);
  }

  private subscriptionChanges(params: Params, existing: StoredEntry | undefined): (draft: JsonObject) => void {
    if (existing && existing.value['status'] === 'canceled') {
      const other = params.keys().find((key) => key !== 'metadata' && key !== 'cancellation_details' && key !== 'expand');
      if (other) {
        throw errors.invalidRequest('A canceled subscription can only update its cancellation_details and metadata.', other, undefined, true);
      }
    }
    const metadata = params.metadata();
    const description = params.nullableString('description', 500);
    const cancelAtPeriodEnd = params.bool('cancel_at_period_end');
    const cancelAt = params.int('cancel_at', { emptyable: true });
    const defaultPaymentMethod = params.nullableString('default_payment_method');
    const cancellationDetails = params.object('cancellation_details');
    let comment: string | null | undefined;
    let feedback: string | null | undefined;
    if (cancellationDetails) {
      cancellationDetails.allow(['comment', 'feedback']);
      comment = cancellationDetails.nullableString('comment', 5000);
      feedback = cancellationDetails.enum('feedback', ['customer_service', 'low_quality', 'missing_features', 'other', 'switched_service', 'too_complex', 'too_expensive', 'unused'], { emptyable: true });
    }
    if (!existing) {
      return (draft) => {
        if (metadata) draft['metadata'] = applyMetadata({}, metadata);
        if (description !== undefined) draft['description'] = description;
        if (cancelAtPeriodEnd !== undefined) draft['cancel_at_period_end'] = cancelAtPeriodEnd;
        if (cancelAt !== undefined) draft['cancel_at'] = cancelAt;
        if (defaultPaymentMethod !== undefined) draft['default_payment_method'] = defaultPaymentMethod;
      };
    }
    const collectionMethod = params.enum('collection_method', ['charge_automatically', 'send_invoice']);
    const daysUntilDue = params.int('days_until_due', { min: 0 });
    const pause = params.object('pause_collection');
    let pauseCollection: JsonObject | null | undefined = pause === null ? null : undefined;
    if (pause) {
      pause.allow(['behavior', 'resumes_at']);
      const behavior = pause.enum('behavior', ['keep_as_draft', 'mark_uncollectible', 'void']);
      if (!behavior) throw errors.parameterMissing(pause.name('behavior'));
      pauseCollection = { behavior, resumes_at: pause.int('resumes_at') ?? null };
    }
    const trialEndRaw = params.string('trial_end');
    const now = this.store.now();
    let trialEnd: number | undefined;
    if (trialEndRaw !== undefined && trialEndRaw !== null && trialEndRaw !== 'now') {
      if (!/^\d+$/.test(trialEndRaw)) throw errors.invalidInteger('trial_end', trialEndRaw);
      trialEnd = Number(trialEndRaw);
      if (trialEnd <= now) throw errors.invalidRequest('Invalid timestamp: must be an integer Unix timestamp in the future.', 'trial_end');
    }
    const itemParams = params.objectArray('items');
    const currentItems = ((existing.value['items'] as JsonObject)['data'] as JsonObject[]).map((item) => structuredClone(item));
    let nextItems: JsonObject[] | undefined;
    if (itemParams) {
      nextItems = currentItems;
      const currency = existing.value['currency'] as string;
      for (const item of itemParams) {
        item.allow(SUBSCRIPTION_ITEM_UPDATE);
        const itemId = item.string('id');
        const deleted = item.bool('deleted') ?? false;
        const quantity = item.int('quantity', { min: 0 });
        const metadata = item.metadata();
        if (itemId) {
          const index = nextItems.findIndex((candidate) => candidate['id'] === itemId);
          if (index === -1) throw errors.resourceMissing('subscription_item', itemId, item.name('id'), 400);
          if (deleted) {
            nextItems.splice(index, 1);
            continue;
          }
          const current = nextItems[index] as JsonObject;
          if (item.has('price') || item.has('plan')) {
            const price = this.subscriptionPrice(item, currency);
            current['price'] = price;
          }
          if (quantity !== undefined && quantity !== null) current['quantity'] = quantity;
          if (metadata) current['metadata'] = applyMetadata(metadataOf(current), metadata, item.name('metadata'));
        } else {
          if (deleted) throw errors.parameterMissing(item.name('id'));
          const price = this.subscriptionPrice(item, currency);
          nextItems.push(
            subscriptionItemObject({
              id: this.store.newId('si'),
              created: now,
              price,
              quantity: quantity ?? 1,
              metadata: metadata ? applyMetadata({}, metadata, item.name('metadata')) : {},
              subscription: existing.id,
              periodStart: existing.value['current_period_start'] as number,
              periodEnd: existing.value['current_period_end'] as number,
            }),
          );
        }
      }
      if (nextItems.length === 0) throw errors.invalidRequest('A subscription must have at least one active item.', 'items');
      const priceIds = nextItems.map((item) => (item['price'] as JsonObject)['id'] as string);
      if (new Set(priceIds).size !== priceIds.length) {
        throw errors.invalidRequest('Cannot add multiple subscription items with the same price.', 'items');
      }
    }
    return (draft) => {
      if (metadata) draft['metadata'] = applyMetadata(metadataOf(draft), metadata);
      if (description !== undefined) draft['description'] = description;
      if (cancelAtPeriodEnd !== undefined) {
        draft['cancel_at_period_end'] = cancelAtPeriodEnd;
        draft['cancel_at'] = cancelAtPeriodEnd ? draft['current_period_end'] as number : null;
      }
      if (cancelAt !== undefined) draft['cancel_at'] = cancelAt;
      if (cancelAtPeriodEnd === true || (cancelAt !== undefined && cancelAt !== null)) {
        draft['canceled_at'] = now;
      } else if (cancelAtPeriodEnd === false || cancelAt === null) {
        draft['canceled_at'] = null;
      }
      if (defaultPaymentMethod !== undefined) draft['default_payment_method'] = defaultPaymentMethod;
      if (collectionMethod) draft['collection_method'] = collectionMethod;
      if (daysUntilDue !== undefined) draft['days_until_due'] = daysUntilDue;
      if (pauseCollection !== undefined) draft['pause_collection'] = pauseCollection;
      if (cancellationDetails) {
        const details = { ...(draft['cancellation_details'] as JsonObject) };
        if (comment !== undefined) details['comment'] = comment;
        if (feedback !== undefined) details['feedback'] = feedback;
        draft['cancellation_details'] = details;
      }
      if (trialEndRaw === 'now' && draft['status'] === 'trialing') {
        const recurring = ((nextItems ?? currentItems)[0]?.['price'] as JsonObject)['recurring'] as JsonObject;
        const end = addInterval(now, recurring['interval'] as string, recurring['interval_count'] as number);
        draft['status'] = 'active';
        draft['trial_end'] = now;
        draft['billing_cycle_anchor'] = now;
        draft['current_period_start'] = now;
        draft['current_period_end'] = end;
        for (const item of nextItems ?? currentItems) {
          item['current_period_start'] = now;
          item['current_period_end'] = end;
        }
        nextItems = nextItems ?? currentItems;
      }
      if (trialEnd !== undefined) {
        // A new trial end (re)starts a trial that runs until then.
        const wasTrialing = draft['status'] === 'trialing';
        if (!wasTrialing) {
          draft['trial_start'] = now;
          draft['current_period_start'] = now;
        }
        draft['status'] = 'trialing';
        draft['trial_end'] = trialEnd;
        draft['billing_cycle_anchor'] = trialEnd;
        draft['current_period_end'] = trialEnd;
        nextItems = nextItems ?? currentItems;
        for (const item of nextItems) {
          item['current_period_start'] = draft['current_period_start'] as number;
          item['current_period_end'] = trialEnd;
        }
      }
      if (nextItems) draft['items'] = subscriptionItemsList(draft['id'] as string, nextItems);
    };
  }

  private cancelSubscription(id: string, params: Params, ctx: RequestContext): JsonObject {
    params.allow(['cancellation_details', 'expand', 'invoice_now', 'prorate']);
    const entry = this.requireEntry('subscription', id);
    if (entry.value['status'] === 'canceled') {
      throw errors.invalidRequest(`This subscription has already been canceled (${id}).`, undefined, undefined, true);
    }
    const details = params.object('cancellation_details');
    details?.allow(['comment', 'feedback']);
    const comment = details?.nullableString('comment', 5000);
    const feedback = details?.string('feedback');
    params.bool('invoice_now');
    params.bool('prorate');
    this.store.transition(
      'subscription',
      entry,
      (draft) => {
        markCanceled(draft, this.store.now(), 'cancellation_requested');
        const cancellation = draft['cancellation_details'] as JsonObject;
        if (comment !== undefined) cancellation['comment'] = comment;
        if (feedback !== undefined) cancellation['feedback'] = feedback;
      },
      ctx,
      ['customer.subscription.deleted'],
    );
    return this.expand(this.store.render('subscription', entry.value), params);
  }

  // ----- invoices -----

  private createInvoice(params: Params, ctx: RequestContext): JsonObject {
    params.allow(INVOICE_CREATE);
    let customerId = params.string('customer');
    const subscriptionId = params.string('subscription');
    if (subscriptionId) {
      const subscription = this.requireEntry('subscription', subscriptionId, 'subscription', 400);
      customerId = customerId ?? (subscription.value['customer'] as string);
      // Pending invoice items are not modelled: a subscription has nothing left to invoice.
      throw errors.invalidRequest('Nothing to invoice for subscription', 'subscription', 'invoice_no_subscription_line_items');
    }
    if (!customerId) throw errors.parameterMissing('customer');
    const customer = this.requireEntry('customer', customerId, 'customer', 400);
    const currency = (params.string('currency') ?? (customer.value['currency'] as string | null) ?? 'usd').toLowerCase();
    if (!CURRENCY.test(currency)) throw errors.invalidRequest(`Invalid currency: ${currency}`, 'currency');
    const value = invoiceObject({ id: this.store.newId('in'), created: this.store.now(), customer: customer.value, currency, lines: [] });
    this.invoiceChanges(params, undefined)(value);
    return this.store.render('invoice', this.store.create('invoice', value, ctx).value);
  }

  private invoiceChanges(params: Params, existing: StoredEntry | undefined): (draft: JsonObject) => void {
    const status = existing?.value['status'];
    if (existing && status !== 'draft') {
      const allowedAfterFinalize = ['metadata', 'description', 'footer', 'expand', 'auto_advance', 'due_date', 'days_until_due', 'default_payment_method', 'rendering', 'shipping_details'];
      const other = params.keys().find((key) => !allowedAfterFinalize.includes(key));
      if (other) {
        throw errors.invalidRequest(`Finalized invoices can't be updated in this way: ${other} cannot be changed after the invoice is finalized.`, other, 'invoice_not_editable', true);
      }
    }
    const metadata = params.metadata();
    const description = params.nullableString('description', 1500);
    const footer = params.nullableString('footer', 5000);
    const statementDescriptor = params.nullableString('statement_descriptor', 22);
    const autoAdvance = params.bool('auto_advance');
    const collectionMethod = params.enum('collection_method', ['charge_automatically', 'send_invoice']);
    const daysUntilDue = params.int('days_until_due', { min: 0 });
    const dueDate = params.int('due_date', { emptyable: true });
    const defaultPaymentMethod = params.nullableString('default_payment_method');
    const number = params.nullableString('number', 26);
    return (draft) => {
      if (metadata) draft['metadata'] = applyMetadata(metadataOf(draft), metadata);
      if (description !== undefined) draft['description'] = description;
      if (footer !== undefined) draft['footer'] = footer;
      if (statementDescriptor !== undefined) draft['statement_descriptor'] = statementDescriptor;
      if (autoAdvance !== undefined) draft['auto_advance'] = autoAdvance;
      if (collectionMethod) draft['collection_method'] = collectionMethod;
      if (defaultPaymentMethod !== undefined) draft['default_payment_method'] = defaultPaymentMethod;
      if (number !== undefined) draft['number'] = number;
      if (dueDate !== undefined) draft['due_date'] = dueDate;
      else if (daysUntilDue !== undefined && daysUntilDue !== null) draft['due_date'] = (draft['created'] as number) + daysUntilDue * 86_400;
      if (draft['collection_method'] === 'send_invoice' && draft['due_date'] === null) {
        throw errors.invalidRequest('Invoices with collection_method=send_invoice need days_until_due or due_date.', 'days_until_due');
      }
      if (draft['collection_method'] === 'charge_automatically' && collectionMethod) draft['due_date'] = null;
    };
  }

  private invoiceAction(action: 'finalize' | 'pay' | 'void', id: string, params: Params, ctx: RequestContext): JsonObject {
    const entry = this.requireEntry('invoice', id);
    const status = entry.value['status'];
    if (action === 'finalize') {
      params.allow(['auto_advance', 'expand']);
      const autoAdvance = params.bool('auto_advance');
      if (status !== 'draft') {
        throw errors.invalidRequest("This invoice is already finalized, you can't re-finalize a non-draft invoice.", undefined, 'invoice_not_editable', true);
      }
      this.finalize(entry, ctx, autoAdvance);
    } else if (action === 'pay') {
      params.allow(['expand', 'forgive', 'mandate', 'off_session', 'paid_out_of_band', 'payment_method', 'source']);
      const outOfBand = params.bool('paid_out_of_band') ?? false;
      params.bool('forgive');
      params.bool('off_session');
      if (status === 'paid') throw errors.invalidRequest('Invoice is already paid', undefined, 'invoice_already_paid', true);
      if (status === 'void') throw errors.invalidRequest('This invoice has been voided and can no longer be paid.', undefined, undefined, true);
      if (status === 'draft') this.finalize(entry, ctx, undefined);
      if (entry.value['status'] === 'open') this.pay(entry, ctx, outOfBand);
    } else {
      params.allow(['expand']);
      if (status !== 'open' && status !== 'uncollectible') {
        throw errors.invalidRequest(`You can only void open invoices. This invoice is ${String(status)}.`, undefined, undefined, true);
      }
      this.store.transition('invoice', entry, (draft) => voidInvoice(draft, this.store.now()), ctx, ['invoice.voided']);
    }
    return this.expand(this.store.render('invoice', entry.value), params);
  }

  /** draft → open (and straight to paid when nothing is due, as Stripe does). */
  finalize(entry: StoredEntry, ctx: RequestContext, autoAdvance: boolean | undefined): void {
    const customerId = entry.value['customer'] as string;
    const customer = this.store.get('customer', customerId);
    const prefix = (customer?.value['invoice_prefix'] as string | undefined) ?? 'EMULATOR';
    const sequence = this.store.nextInvoiceNumber(customerId);
    const token = this.store.random.string(40);
    this.store.transition(
      'invoice',
      entry,
      (draft) => {
        finalizeInvoice(draft, prefix, sequence, this.store.now(), token);
        if (autoAdvance !== undefined) draft['auto_advance'] = autoAdvance;
      },
      ctx,
      ['invoice.finalized'],
    );
    if ((entry.value['amount_due'] as number) === 0) this.pay(entry, ctx, false);
  }

  /** open → paid, with a succeeded charge for what was due (unless paid out of band). */
  pay(entry: StoredEntry, ctx: RequestContext, outOfBand: boolean): void {
    const amount = entry.value['amount_due'] as number;
    let chargeId: string | null = null;
    if (!outOfBand && amount > 0) {
      const customerId = entry.value['customer'] as string;
      const charge = this.newCharge({
        amount,
        currency: entry.value['currency'] as string,
        customerId,
        description: 'Payment for Invoice',
        invoice: entry.id,
      });
      this.store.create('charge', charge, ctx, 'charge.succeeded');
      chargeId = charge['id'] as string;
    }
    this.store.transition('invoice', entry, (draft) => payInvoice(draft, this.store.now(), chargeId, outOfBand), ctx, ['invoice.paid']);
  }

  // ----- charges -----

  newCharge(input: { amount: number; currency: string; customerId: string | null; description?: string | null; invoice?: string | null }): JsonObject {
    const random = this.store.random;
    const customer = input.customerId ? this.store.get('customer', input.customerId)?.value : undefined;
    const brand = random.pick(['visa', 'mastercard', 'amex']);
    return chargeObject({
      id: this.store.newId('ch'),
      created: this.store.now(),
      amount: input.amount,
      currency: input.currency,
      customer: input.customerId,
      description: input.description ?? null,
      invoice: input.invoice ?? null,
      balanceTransaction: this.store.newId('txn'),
      paymentMethod: this.store.newId('pm'),
      billingName: (customer?.['name'] as string | null | undefined) ?? null,
      billingEmail: (customer?.['email'] as string | null | undefined) ?? null,
      receiptEmail: (customer?.['email'] as string | null | undefined) ?? null,
      last4: brand === 'amex' ? '8431' : brand === 'visa' ? '4242' : '4444',
      brand,
      expMonth: random.int(1, 12),
      expYear: new Date().getUTCFullYear() + random.int(1, 5),
      receiptToken: random.string(40),
    });
  }

  private createCharge(params: Params, ctx: RequestContext): JsonObject {
    params.allow(CHARGE_CREATE);
    const amount = params.requiredInt('amount', { min: 0, max: 99_999_999 });
    const currency = params.requiredString('currency').toLowerCase();
    if (!CURRENCY.test(currency)) throw errors.invalidRequest(`Invalid currency: ${currency}`, 'currency');
    const customerId = params.string('customer');
    const source = params.string('source');
    if (!customerId && !source) throw errors.invalidRequest('Must provide source or customer.', undefined, 'missing');
    if (customerId && !this.store.live('customer', customerId)) throw errors.resourceMissing('customer', customerId, 'customer', 400);
    if (amount < 50) {
      throw errors.invalidRequest(`Amount must be at least $0.50 ${currency}`, 'amount', 'amount_too_small');
    }
    const capture = params.bool('capture') ?? true;
    const description = params.nullableString('description', 40000);
    const receiptEmail = params.nullableString('receipt_email', 800);
    const statementDescriptor = params.nullableString('statement_descriptor', 22);
    const suffix = params.nullableString('statement_descriptor_suffix', 22);
    const shipping = parseShipping(params, 'shipping', true);
    const metadata = params.metadata();
    const transferGroup = params.nullableString('transfer_group');
    const value = this.newCharge({ amount, currency, customerId: customerId ?? null, description: description ?? null });
    if (receiptEmail !== undefined) value['receipt_email'] = receiptEmail;
    if (statementDescriptor) {
      value['statement_descriptor'] = statementDescriptor;
      value['calculated_statement_descriptor'] = statementDescriptor.toUpperCase();
    }
    if (suffix) value['statement_descriptor_suffix'] = suffix;
    if (shipping !== undefined) value['shipping'] = shipping;
    if (transferGroup !== undefined) value['transfer_group'] = transferGroup;
    if (metadata) value['metadata'] = applyMetadata({}, metadata);
    if (!capture) {
      value['captured'] = false;
      value['amount_captured'] = 0;
    }
    return this.store.render('charge', this.store.create('charge', value, ctx, 'charge.succeeded').value);
  }

  private chargeChanges(params: Params, existing: StoredEntry): (draft: JsonObject) => void {
    const customerId = params.string('customer');
    if (customerId) {
      if (existing.value['customer'] && existing.value['customer'] !== customerId) {
        throw errors.invalidRequest('This charge already has a customer; it cannot be changed.', 'customer');
      }
      if (!this.store.live('customer', customerId)) throw errors.resourceMissing('customer', customerId, 'customer', 400);
    }
    const description = params.nullableString('description', 40000);
    const receiptEmail = params.nullableString('receipt_email', 800);
    const shipping = parseShipping(params, 'shipping', true);
    const transferGroup = params.nullableString('transfer_group');
    const fraud = params.object('fraud_details');
    let userReport: string | undefined;
    if (fraud) {
      fraud.allow(['user_report']);
      userReport = fraud.enum('user_report', ['fraudulent', 'safe']) ?? undefined;
      if (!userReport) throw errors.parameterMissing(fraud.name('user_report'));
    }
    const metadata = params.metadata();
    return (draft) => {
      if (customerId) draft['customer'] = customerId;
      if (description !== undefined) draft['description'] = description;
      if (receiptEmail !== undefined) draft['receipt_email'] = receiptEmail;
      if (shipping !== undefined) draft['shipping'] = shipping;
      if (transferGroup !== undefined) draft['transfer_group'] = transferGroup;
      if (userReport) draft['fraud_details'] = { ...(draft['fraud_details'] as JsonObject), user_report: userReport };
      if (metadata) draft['metadata'] = applyMetadata(metadataOf(draft), metadata);
    };
  }

  /** `POST /v1/charges/:id/refund` (Stripe's older refund endpoint): refunds and emits `charge.refunded`. */
  private refund(id: string, params: Params, ctx: RequestContext): JsonObject {
    params.allow(['amount', 'expand', 'instructions_email', 'metadata', 'payment_intent', 'reason', 'refund_application_fee', 'reverse_transfer']);
    const entry = this.requireEntry('charge', id);
    const remaining = (entry.value['amount'] as number) - (entry.value['amount_refunded'] as number);
    const amount = params.int('amount', { min: 1 }) ?? remaining;
    params.enum('reason', ['duplicate', 'fraudulent', 'requested_by_customer']);
    params.metadata();
    if (remaining <= 0) {
      throw errors.invalidRequest(`Charge ${id} has already been refunded.`, undefined, 'charge_already_refunded', true);
    }
    if (amount > remaining) {
      throw errors.invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, 'amount', undefined, true);
    }
    this.store.transition('charge', entry, (draft) => refundCharge(draft, amount), ctx, ['charge.refunded']);
    return this.expand(this.store.render('charge', entry.value), params);
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

export function markCanceled(draft: JsonObject, now: number, reason: string): void {
  draft['status'] = 'canceled';
  draft['canceled_at'] = now;
  draft['ended_at'] = now;
  draft['cancel_at_period_end'] = false;
  draft['cancellation_details'] = { ...(draft['cancellation_details'] as JsonObject), reason };
}

function parseCreated(params: Params, key: string): CreatedRange | undefined {
  const raw = params.raw(key);
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') {
    const exact = params.int(key);
    return exact === undefined || exact === null ? undefined : { gte: exact, lte: exact };
  }
  const range = new Params(raw, key);
  range.allow(['gt', 'gte', 'lt', 'lte']);
  const out: CreatedRange = {};
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    const value = range.int(op);
    if (value !== undefined && value !== null) out[op] = value;
  }
  return out;
}

function inRange(value: number, range: CreatedRange): boolean {
  return (
    (range.gt === undefined || value > range.gt) &&
    (range.gte === undefined || value >= range.gte) &&
    (range.lt === undefined || value < range.lt) &&
    (range.lte === undefined || value <= range.lte)
  );
}

function addressFrom(p: Params): JsonObject {
  p.allow(ADDRESS_KEYS);
  const fields: Record<string, string | null> = {};
  for (const key of ADDRESS_KEYS) {
    const value = p.nullableString(key, 200);
    if (value !== undefined) fields[key] = value;
  }
  return address(fields);
}

function mergeAddress(current: JsonObject | null, p: Params | null): JsonObject | null {
  if (p === null) return null;
  p.allow(ADDRESS_KEYS);
  const next = { ...(current ?? address()) };
  for (const key of ADDRESS_KEYS) {
    const value = p.nullableString(key, 200);
    if (value !== undefined) next[key] = value;
  }
  return next;
}

function parseShipping(params: Params, key: string, withTracking = false): JsonObject | null | undefined {
  const shipping = params.object(key);
  if (shipping === undefined || shipping === null) return shipping;
  shipping.allow(withTracking ? ['address', 'carrier', 'name', 'phone', 'tracking_number'] : ['address', 'name', 'phone']);
  const addressParams = shipping.object('address');
  if (!addressParams) throw errors.parameterMissing(shipping.name('address'));
  const out: JsonObject = {
    address: addressFrom(addressParams),
    name: shipping.requiredString('name', 5000),
    phone: shipping.nullableString('phone', 5000) ?? null,
  };
  if (withTracking) {
    out['carrier'] = shipping.nullableString('carrier', 5000) ?? null;
    out['tracking_number'] = shipping.nullableString('tracking_number', 5000) ?? null;
  }
  return out;
}

