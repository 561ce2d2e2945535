/**
 * Factories for the Stripe objects the emulator serves, with every field Stripe returns (nulls
 * where a test account would have nothing). Shapes follow the current API (the `stripe` SDK's
 * types); a few fields that newer API versions removed but 2024-06-20 still had are kept as well
 * (`invoice.subscription`, `invoice.charge`, `invoice.paid`, `subscription.current_period_*`,
 * `charge.invoice`), so code written against either version finds what it reads.
 */

import type { Json, JsonObject } from './json.ts';

export type StripeCollection = 'customer' | 'product' | 'price' | 'subscription' | 'invoice' | 'charge';

export const COLLECTIONS: readonly StripeCollection[] = ['customer', 'product', 'price', 'subscription', 'invoice', 'charge'];

/** URL segment of each collection: `/v1/<segment>`. */
export const COLLECTION_PATHS: Record<StripeCollection, string> = {
  customer: 'customers',
  product: 'products',
  price: 'prices',
  subscription: 'subscriptions',
  invoice: 'invoices',
  charge: 'charges',
};

export const API_VERSION = '2024-06-20';

export type Metadata = Record<string, string>;

export interface AddressInput {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
}

export function address(input: Partial<AddressInput> = {}): JsonObject {
  return {
    city: input.city ?? null,
    country: input.country ?? null,
    line1: input.line1 ?? null,
    line2: input.line2 ?? null,
    postal_code: input.postal_code ?? null,
    state: input.state ?? null,
  };
}

export interface CustomerInput {
  id: string;
  created: number;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  description?: string | null;
  address?: JsonObject | null;
  shipping?: JsonObject | null;
  balance?: number;
  invoicePrefix: string;
  nextInvoiceSequence?: number;
  preferredLocales?: string[];
  taxExempt?: string;
  metadata?: Metadata;
  invoiceSettings?: JsonObject;
  testClock?: string | null;
}

export function customerObject(input: CustomerInput): JsonObject {
  return {
    id: input.id,
    object: 'customer',
    address: input.address ?? null,
    balance: input.balance ?? 0,
    created: input.created,
    currency: null,
    default_source: null,
    delinquent: false,
    description: input.description ?? null,
    discount: null,
    email: input.email ?? null,
    invoice_prefix: input.invoicePrefix,
    invoice_settings: input.invoiceSettings ?? {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: input.metadata ?? {},
    name: input.name ?? null,
    next_invoice_sequence: input.nextInvoiceSequence ?? 1,
    phone: input.phone ?? null,
    preferred_locales: input.preferredLocales ?? [],
    shipping: input.shipping ?? null,
    tax_exempt: input.taxExempt ?? 'none',
    test_clock: input.testClock ?? null,
  };
}

export function deletedStub(id: string, object: string): JsonObject {
  return { id, object, deleted: true };
}

export interface ProductInput {
  id: string;
  created: number;
  name: string;
  active?: boolean;
  description?: string | null;
  images?: string[];
  marketingFeatures?: JsonObject[];
  metadata?: Metadata;
  shippable?: boolean | null;
  statementDescriptor?: string | null;
  taxCode?: string | null;
  type?: string;
  unitLabel?: string | null;
  url?: string | null;
  defaultPrice?: string | null;
}

export function productObject(input: ProductInput): JsonObject {
  return {
    id: input.id,
    object: 'product',
    active: input.active ?? true,
    created: input.created,
    default_price: input.defaultPrice ?? null,
    description: input.description ?? null,
    images: input.images ?? [],
    livemode: false,
    marketing_features: input.marketingFeatures ?? [],
    metadata: input.metadata ?? {},
    name: input.name,
    package_dimensions: null,
    shippable: input.shippable ?? null,
    statement_descriptor: input.statementDescriptor ?? null,
    tax_code: input.taxCode ?? null,
    type: input.type ?? 'service',
    unit_label: input.unitLabel ?? null,
    updated: input.created,
    url: input.url ?? null,
  };
}

export interface RecurringInput {
  interval: 'day' | 'week' | 'month' | 'year';
  intervalCount: number;
  usageType: 'licensed' | 'metered';
  trialPeriodDays?: number | null;
}

export interface PriceInput {
  id: string;
  created: number;
  product: string;
  currency: string;
  unitAmount: number;
  active?: boolean;
  nickname?: string | null;
  lookupKey?: string | null;
  metadata?: Metadata;
  recurring?: RecurringInput | null;
  taxBehavior?: string;
}

export function priceObject(input: PriceInput): JsonObject {
  const recurring: Json = input.recurring
    ? {
        aggregate_usage: null,
        interval: input.recurring.interval,
        interval_count: input.recurring.intervalCount,
        meter: null,
        trial_period_days: input.recurring.trialPeriodDays ?? null,
        usage_type: input.recurring.usageType,
      }
    : null;
  return {
    id: input.id,
    object: 'price',
    active: input.active ?? true,
    billing_scheme: 'per_unit',
    created: input.created,
    currency: input.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: input.lookupKey ?? null,
    metadata: input.metadata ?? {},
    nickname: input.nickname ?? null,
    product: input.product,
    recurring,
    tax_behavior: input.taxBehavior ?? 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: input.recurring ? 'recurring' : 'one_time',
    unit_amount: input.unitAmount,
    unit_amount_decimal: String(input.unitAmount),
  };
}

/** The legacy `plan` Stripe still renders next to every recurring `price` in subscription items. */
export function planFromPrice(price: JsonObject): JsonObject {
  const recurring = (price['recurring'] ?? {}) as JsonObject;
  return {
    id: price['id'] as string,
    object: 'plan',
    active: price['active'] as boolean,
    aggregate_usage: null,
    amount: price['unit_amount'] as number,
    amount_decimal: price['unit_amount_decimal'] as string,
    billing_scheme: price['billing_scheme'] as string,
    created: price['created'] as number,
    currency: price['currency'] as string,
    interval: (recurring['interval'] as string | undefined) ?? 'month',
    interval_count: (recurring['interval_count'] as number | undefined) ?? 1,
    livemode: false,
    metadata: price['metadata'] as JsonObject,
    meter: null,
    nickname: price['nickname'] as string | null,
    product: price['product'] as string,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: (recurring['usage_type'] as string | undefined) ?? 'licensed',
  };
}

/** Add `count` billing intervals to a unix time (calendar months/years, like Stripe). */
export function addInterval(unix: number, interval: string, count: number): number {
  const date = new Date(unix * 1000);
  switch (interval) {
    case 'day':
      date.setUTCDate(date.getUTCDate() + count);
      break;
    case 'week':
      date.setUTCDate(date.getUTCDate() + 7 * count);
      break;
    case 'year':
      date.setUTCFullYear(date.getUTCFullYear() + count);
      break;
    default:
      date.setUTCMonth(date.getUTCMonth() + count);
  }
  return Math.floor(date.getTime() / 1000);
}

/** The billing period that contains `now`, for a subscription anchored at `anchor`. */
export function currentPeriod(anchor: number, interval: string, intervalCount: number, now: number): { start: number; end: number } {
  let start = anchor;
  let end = addInterval(anchor, interval, intervalCount);
  for (let guard = 0; end <= now && guard < 10_000; guard++) {
    start = end;
    end = addInterval(start, interval, intervalCount);
  }
  return { start, end };
}

export interface SubscriptionItemInput {
  id: string;
  created: number;
  price: JsonObject;
  quantity: number;
  metadata?: Metadata;
  subscription: string;
  periodStart: number;
  periodEnd: number;
}

export function subscriptionItemObject(input: SubscriptionItemInput): JsonObject {
  return {
    id: input.id,
    object: 'subscription_item',
    billing_thresholds: null,
    created: input.created,
    current_period_end: input.periodEnd,
    current_period_start: input.periodStart,
    discounts: [],
    metadata: input.metadata ?? {},
    plan: planFromPrice(input.price),
    price: input.price,
    quantity: input.quantity,
    subscription: input.subscription,
    tax_rates: [],
  };
}

export interface SubscriptionInput {
  id: string;
  created: number;
  customer: string;
  currency: string;
  items: JsonObject[];
  status: string;
  periodStart: number;
  periodEnd: number;
  billingCycleAnchor: number;
  startDate: number;
  collectionMethod?: string;
  daysUntilDue?: number | null;
  description?: string | null;
  metadata?: Metadata;
  cancelAtPeriodEnd?: boolean;
  cancelAt?: number | null;
  canceledAt?: number | null;
  endedAt?: number | null;
  trialStart?: number | null;
  trialEnd?: number | null;
  latestInvoice?: string | null;
  defaultPaymentMethod?: string | null;
}

export function subscriptionItemsList(subscriptionId: string, items: JsonObject[]): JsonObject {
  return {
    object: 'list',
    data: items,
    has_more: false,
    total_count: items.length,
    url: `/v1/subscription_items?subscription=${subscriptionId}`,
  };
}

export function subscriptionObject(input: SubscriptionInput): JsonObject {
  return {
    id: input.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: input.billingCycleAnchor,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_thresholds: null,
    cancel_at: input.cancelAt ?? null,
    cancel_at_period_end: input.cancelAtPeriodEnd ?? false,
    canceled_at: input.canceledAt ?? null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: input.collectionMethod ?? 'charge_automatically',
    created: input.created,
    currency: input.currency,
    current_period_end: input.periodEnd,
    current_period_start: input.periodStart,
    customer: input.customer,
    days_until_due: input.daysUntilDue ?? null,
    default_payment_method: input.defaultPaymentMethod ?? null,
    default_source: null,
    default_tax_rates: [],
    description: input.description ?? null,
    discounts: [],
    ended_at: input.endedAt ?? null,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: subscriptionItemsList(input.id, input.items),
    latest_invoice: input.latestInvoice ?? null,
    livemode: false,
    metadata: input.metadata ?? {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: input.startDate,
    status: input.status,
    test_clock: null,
    transfer_data: null,
    trial_end: input.trialEnd ?? null,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: input.trialStart ?? null,
  };
}

export interface InvoiceLineInput {
  id: string;
  invoice: string;
  amount: number;
  currency: string;
  description: string;
  quantity: number;
  price: string;
  product: string;
  unitAmount: number;
  periodStart: number;
  periodEnd: number;
  subscription: string | null;
  subscriptionItem: string | null;
}

export function invoiceLineObject(input: InvoiceLineInput): JsonObject {
  return {
    id: input.id,
    object: 'line_item',
    amount: input.amount,
    currency: input.currency,
    description: input.description,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: input.invoice,
    livemode: false,
    metadata: {},
    parent: input.subscription
      ? {
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: null,
            proration: false,
            proration_details: { credited_items: null },
            subscription: input.subscription,
            subscription_item: input.subscriptionItem,
          },
          type: 'subscription_item_details',
        }
      : null,
    period: { end: input.periodEnd, start: input.periodStart },
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: input.price, product: input.product },
      type: 'price_details',
      unit_amount_decimal: String(input.unitAmount),
    },
    quantity: input.quantity,
    subscription: input.subscription,
    subtotal: input.amount,
    taxes: [],
  };
}

export interface InvoiceInput {
  id: string;
  created: number;
  customer: JsonObject;
  currency: string;
  lines: JsonObject[];
  subscription?: string | null;
  billingReason?: string;
  collectionMethod?: string;
  daysUntilDue?: number | null;
  dueDate?: number | null;
  description?: string | null;
  footer?: string | null;
  metadata?: Metadata;
  autoAdvance?: boolean;
  periodStart?: number;
  periodEnd?: number;
  statementDescriptor?: string | null;
}

export function invoiceLinesList(invoiceId: string, lines: JsonObject[]): JsonObject {
  return { object: 'list', data: lines, has_more: false, total_count: lines.length, url: `/v1/invoices/${invoiceId}/lines` };
}

/** A draft invoice; `finalizeInvoice`, `payInvoice`, `voidInvoice` move it along. */
export function invoiceObject(input: InvoiceInput): JsonObject {
  const total = input.lines.reduce((sum, line) => sum + ((line['amount'] as number | undefined) ?? 0), 0);
  const customer = input.customer;
  const subscription = input.subscription ?? null;
  const collectionMethod = input.collectionMethod ?? 'charge_automatically';
  return {
    id: input.id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Syncline Emulator',
    account_tax_ids: null,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: total,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: input.autoAdvance ?? collectionMethod === 'charge_automatically',
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: input.billingReason ?? 'manual',
    charge: null,
    collection_method: collectionMethod,
    created: input.created,
    currency: input.currency,
    custom_fields: null,
    customer: customer['id'] as string,
    customer_address: (customer['address'] as Json | undefined) ?? null,
    customer_email: (customer['email'] as Json | undefined) ?? null,
    customer_name: (customer['name'] as Json | undefined) ?? null,
    customer_phone: (customer['phone'] as Json | undefined) ?? null,
    customer_shipping: (customer['shipping'] as Json | undefined) ?? null,
    customer_tax_exempt: (customer['tax_exempt'] as Json | undefined) ?? 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: input.description ?? null,
    discounts: [],
    due_date: input.dueDate ?? null,
    effective_at: null,
    ending_balance: null,
    footer: input.footer ?? null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: invoiceLinesList(input.id, input.lines),
    livemode: false,
    metadata: input.metadata ?? {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    paid: false,
    paid_out_of_band: false,
    parent: subscription
      ? {
          quote_details: null,
          subscription_details: { metadata: {}, subscription },
          type: 'subscription_details',
        }
      : null,
    payment_intent: null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: input.periodEnd ?? input.created,
    period_start: input.periodStart ?? input.created,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: input.statementDescriptor ?? null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subscription,
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: input.created,
  };
}

/** draft → open: number, hosted URLs, next payment attempt. Mutates and returns `invoice`. */
export function finalizeInvoice(invoice: JsonObject, invoicePrefix: string, sequence: number, now: number, urlToken: string): JsonObject {
  const prefix = invoicePrefix;
  invoice['status'] = 'open';
  invoice['number'] = `${prefix}-${String(sequence).padStart(4, '0')}`;
  invoice['effective_at'] = now;
  invoice['ending_balance'] = 0;
  invoice['hosted_invoice_url'] = `https://invoice.stripe.com/i/acct_emulator/test_${urlToken}`;
  invoice['invoice_pdf'] = `https://pay.stripe.com/invoice/acct_emulator/test_${urlToken}/pdf`;
  invoice['next_payment_attempt'] = invoice['collection_method'] === 'charge_automatically' ? now + 3600 : null;
  (invoice['status_transitions'] as JsonObject)['finalized_at'] = now;
  return invoice;
}

/** open → paid. Mutates and returns `invoice`. */
export function payInvoice(invoice: JsonObject, now: number, chargeId: string | null, paidOutOfBand = false): JsonObject {
  const due = invoice['amount_due'] as number;
  invoice['status'] = 'paid';
  invoice['amount_paid'] = due;
  invoice['amount_remaining'] = 0;
  invoice['attempt_count'] = chargeId ? 1 : 0;
  invoice['attempted'] = chargeId !== null;
  invoice['paid'] = true;
  invoice['paid_out_of_band'] = paidOutOfBand;
  invoice['charge'] = chargeId;
  invoice['next_payment_attempt'] = null;
  (invoice['status_transitions'] as JsonObject)['paid_at'] = now;
  return invoice;
}

/** open → void. Mutates and returns `invoice`. */
export function voidInvoice(invoice: JsonObject, now: number): JsonObject {
  invoice['status'] = 'void';
  invoice['amount_remaining'] = 0;
  invoice['next_payment_attempt'] = null;
  (invoice['status_transitions'] as JsonObject)['voided_at'] = now;
  return invoice;
}

export interface ChargeInput {
  id: string;
  created: number;
  amount: number;
  currency: string;
  customer: string | null;
  description?: string | null;
  metadata?: Metadata;
  receiptEmail?: string | null;
  invoice?: string | null;
  balanceTransaction: string;
  paymentMethod: string;
  billingName?: string | null;
  billingEmail?: string | null;
  statementDescriptor?: string | null;
  statementDescriptorSuffix?: string | null;
  shipping?: JsonObject | null;
  last4: string;
  brand: string;
  expMonth: number;
  expYear: number;
  receiptToken: string;
}

export function chargeObject(input: ChargeInput): JsonObject {
  return {
    id: input.id,
    object: 'charge',
    amount: input.amount,
    amount_captured: input.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: input.balanceTransaction,
    billing_details: {
      address: address(),
      email: input.billingEmail ?? null,
      name: input.billingName ?? null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: (input.statementDescriptor ?? 'SYNCLINE EMULATOR').slice(0, 22).toUpperCase(),
    captured: true,
    created: input.created,
    currency: input.currency,
    customer: input.customer,
    description: input.description ?? null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    invoice: input.invoice ?? null,
    livemode: false,
    metadata: input.metadata ?? {},
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'approved_by_network',
      reason: null,
      risk_level: 'normal',
      risk_score: 42,
      seller_message: 'Payment complete.',
      type: 'authorized',
    },
    paid: true,
    payment_intent: null,
    payment_method: input.paymentMethod,
    payment_method_details: {
      card: {
        amount_authorized: input.amount,
        brand: input.brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: 'US',
        exp_month: input.expMonth,
        exp_year: input.expYear,
        fingerprint: `fp${input.receiptToken.slice(0, 14)}`,
        funding: 'credit',
        last4: input.last4,
        network: input.brand,
        three_d_secure: null,
        wallet: null,
      },
      type: 'card',
    },
    radar_options: {},
    receipt_email: input.receiptEmail ?? null,
    receipt_number: null,
    receipt_url: `https://pay.stripe.com/receipts/payment/${input.receiptToken}`,
    refunded: false,
    review: null,
    shipping: input.shipping ?? null,
    source: null,
    source_transfer: null,
    statement_descriptor: input.statementDescriptor ?? null,
    statement_descriptor_suffix: input.statementDescriptorSuffix ?? null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

/** Full refund of the remaining amount. Mutates and returns `charge`. */
export function refundCharge(charge: JsonObject, amount?: number): JsonObject {
  const total = charge['amount'] as number;
  const already = charge['amount_refunded'] as number;
  const refund = Math.min(amount ?? total - already, total - already);
  charge['amount_refunded'] = already + refund;
  charge['refunded'] = already + refund >= total;
  return charge;
}

export interface EventInput {
  id: string;
  created: number;
  type: string;
  object: JsonObject;
  previousAttributes: JsonObject | null;
  requestId: string | null;
  idempotencyKey: string | null;
}

export function eventObject(input: EventInput): JsonObject {
  const data: JsonObject = { object: input.object };
  if (input.previousAttributes) data['previous_attributes'] = input.previousAttributes;
  return {
    id: input.id,
    object: 'event',
    api_version: API_VERSION,
    created: input.created,
    data,
    livemode: false,
    pending_webhooks: 0,
    request: { id: input.requestId, idempotency_key: input.idempotencyKey },
    type: input.type,
  };
}
