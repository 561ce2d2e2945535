/**
 * Initial data. Seeded objects are created 31–120 days in the past, i.e. before Stripe's 30-day
 * event retention window, so they exist without events, like the data of a long-lived account.
 * Seeding is deterministic for a given `randomSeed` (apart from the wall clock it is anchored to).
 */

import type { JsonObject } from './json.ts';
import {
  chargeObject,
  currentPeriod,
  customerObject,
  finalizeInvoice,
  invoiceLineObject,
  invoiceObject,
  payInvoice,
  priceObject,
  productObject,
  refundCharge,
  subscriptionItemObject,
  subscriptionObject,
  voidInvoice,
  type StripeCollection,
} from './objects.ts';
import { fakeInvoicePrefix, fakePerson, fakeProductName, type Random } from './random.ts';
import type { Store } from './store.ts';

const DAY = 86_400;

export type SeedCounts = Partial<Record<StripeCollection, number>>;

interface Seeder {
  store: Store;
  random: Random;
  now: number;
  windowStart: number;
  windowEnd: number;
}

/** `count` sorted times in [from, to]. */
function times(random: Random, count: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(random.int(from, Math.max(from, to)));
  return out.sort((a, b) => a - b);
}

function after(s: Seeder, created: number): number {
  return s.random.int(created, Math.max(created, s.windowEnd));
}

export function seedStore(store: Store, counts: SeedCounts): void {
  const now = store.now();
  const s: Seeder = { store, random: store.random, now, windowStart: now - 120 * DAY, windowEnd: now - 31 * DAY };
  const want = (c: StripeCollection): number => Math.max(0, Math.floor(counts[c] ?? 0));

  // Objects that others reference are created even when their own count is 0.
  const needsCustomers = want('subscription') + want('invoice') + want('charge') > 0;
  const customers = seedCustomers(s, Math.max(want('customer'), needsCustomers ? 1 : 0));
  const needsPrices = want('subscription') > 0 || want('invoice') > 0;
  const products = seedProducts(s, Math.max(want('product'), want('price') > 0 || needsPrices ? 1 : 0));
  const prices = seedPrices(s, Math.max(want('price'), needsPrices ? 1 : 0), products, want('subscription') > 0);
  const subscriptions = seedSubscriptions(s, want('subscription'), customers, prices);
  seedInvoices(s, want('invoice'), customers, prices, subscriptions);
  seedCharges(s, want('charge'), customers);
}

function seedCustomers(s: Seeder, count: number): JsonObject[] {
  return times(s.random, count, s.windowStart, s.windowEnd).map((created) => {
    const person = fakePerson(s.random);
    const value = customerObject({
      id: s.store.newId('cus'),
      created,
      name: person.name,
      email: person.email,
      phone: s.random.chance(0.6) ? person.phone : null,
      address: s.random.chance(0.5) ? { ...person.address } : null,
      description: s.random.chance(0.3) ? `Customer since ${new Date(created * 1000).toISOString().slice(0, 10)}` : null,
      invoicePrefix: fakeInvoicePrefix(s.random),
      metadata: s.random.chance(0.4) ? { plan: s.random.pick(['free', 'pro', 'team']) } : {},
    });
    s.store.insertSilently('customer', value);
    return value;
  });
}

function seedProducts(s: Seeder, count: number): JsonObject[] {
  return times(s.random, count, s.windowStart, s.windowEnd - DAY).map((created) => {
    const value = productObject({
      id: s.store.newId('prod'),
      created,
      name: fakeProductName(s.random),
      description: s.random.chance(0.5) ? 'Seeded by the Syncline Stripe emulator' : null,
      active: s.random.chance(0.9),
      metadata: s.random.chance(0.3) ? { tier: s.random.pick(['basic', 'premium']) } : {},
    });
    s.store.insertSilently('product', value);
    return value;
  });
}

function seedPrices(s: Seeder, count: number, products: JsonObject[], needRecurring: boolean): JsonObject[] {
  const planned = Array.from({ length: count }, (_, i) => {
    const product = s.random.pick(products);
    const recurring = (needRecurring && i === 0) || s.random.chance(0.7);
    return { product, recurring, created: after(s, product['created'] as number) };
  }).sort((a, b) => a.created - b.created);
  return planned.map(({ product, recurring, created }) => {
    const value = priceObject({
      id: s.store.newId('price'),
      created,
      product: product['id'] as string,
      currency: s.random.chance(0.85) ? 'usd' : 'eur',
      unitAmount: s.random.pick([500, 900, 1500, 2900, 4900, 9900, 19900]),
      recurring: recurring
        ? { interval: s.random.chance(0.8) ? 'month' : 'year', intervalCount: 1, usageType: 'licensed' }
        : null,
      active: s.random.chance(0.95),
    });
    // The first active price of a product becomes its default price.
    if (product['default_price'] === null && value['active'] === true) product['default_price'] = value['id'] as string;
    s.store.insertSilently('price', value);
    return value;
  });
}

function seedSubscriptions(s: Seeder, count: number, customers: JsonObject[], prices: JsonObject[]): JsonObject[] {
  const recurring = prices.filter((p) => p['type'] === 'recurring');
  if (count === 0 || recurring.length === 0) return [];
  const planned = Array.from({ length: count }, () => {
    const customer = s.random.pick(customers);
    return { customer, created: after(s, customer['created'] as number) };
  }).sort((a, b) => a.created - b.created);
  return planned.map(({ customer, created }) => {
    const id = s.store.newId('sub');
    const first = s.random.pick(recurring);
    const chosen = [first];
    if (s.random.chance(0.2)) {
      const second = s.random.pick(recurring);
      if (second['id'] !== first['id'] && second['currency'] === first['currency']) chosen.push(second);
    }
    const r = first['recurring'] as JsonObject;
    const roll = s.random.next();
    const status = roll < 0.7 ? 'active' : roll < 0.8 ? 'trialing' : roll < 0.88 ? 'past_due' : 'canceled';
    const canceledAt = status === 'canceled' ? after(s, created) : null;
    const period =
      status === 'trialing'
        ? { start: s.now - s.random.int(1, 10) * DAY, end: s.now + s.random.int(1, 14) * DAY }
        : currentPeriod(created, r['interval'] as string, r['interval_count'] as number, canceledAt ?? s.now);
    const items = chosen.map((price) =>
      subscriptionItemObject({
        id: s.store.newId('si'),
        created,
        price: structuredClone(price),
        quantity: s.random.chance(0.8) ? 1 : s.random.int(2, 25),
        subscription: id,
        periodStart: period.start,
        periodEnd: period.end,
      }),
    );
    const value = subscriptionObject({
      id,
      created,
      customer: customer['id'] as string,
      currency: first['currency'] as string,
      items,
      status,
      periodStart: period.start,
      periodEnd: period.end,
      billingCycleAnchor: created,
      startDate: created,
      canceledAt,
      endedAt: canceledAt,
      trialStart: status === 'trialing' ? period.start : null,
      trialEnd: status === 'trialing' ? period.end : null,
      cancelAtPeriodEnd: status === 'active' && s.random.chance(0.1),
      metadata: s.random.chance(0.3) ? { seat_plan: s.random.pick(['monthly', 'annual']) } : {},
    });
    if (status === 'canceled') {
      value['cancellation_details'] = { comment: null, feedback: null, reason: 'cancellation_requested' };
    }
    if (value['cancel_at_period_end'] === true) value['cancel_at'] = period.end;
    s.store.insertSilently('subscription', value);
    return value;
  });
}

function seedInvoices(s: Seeder, count: number, customers: JsonObject[], prices: JsonObject[], subscriptions: JsonObject[]): void {
  const subsByCustomer = new Map<string, JsonObject[]>();
  for (const sub of subscriptions) {
    const list = subsByCustomer.get(sub['customer'] as string) ?? [];
    list.push(sub);
    subsByCustomer.set(sub['customer'] as string, list);
  }
  const planned = Array.from({ length: count }, () => {
    const customer = s.random.pick(customers);
    return { customer, created: after(s, customer['created'] as number) };
  }).sort((a, b) => a.created - b.created);
  for (const { customer, created } of planned) {
    const id = s.store.newId('in');
    const subscription = s.random.chance(0.6) ? s.random.pick(subsByCustomer.get(customer['id'] as string) ?? [null]) : null;
    const linePrices = subscription
      ? ((subscription['items'] as JsonObject)['data'] as JsonObject[]).map((item) => ({ price: item['price'] as JsonObject, quantity: item['quantity'] as number, item: item['id'] as string }))
      : Array.from({ length: s.random.int(1, 3) }, () => ({ price: s.random.pick(prices), quantity: s.random.int(1, 3), item: null }));
    const currency = linePrices[0]?.price['currency'] as string;
    const lines = linePrices
      .filter((line) => line.price['currency'] === currency)
      .map((line) =>
        invoiceLineObject({
          id: s.store.newId('il'),
          invoice: id,
          amount: (line.price['unit_amount'] as number) * line.quantity,
          currency,
          description: `${line.quantity} × ${String(line.price['nickname'] ?? 'item')} (at $${((line.price['unit_amount'] as number) / 100).toFixed(2)} / unit)`,
          quantity: line.quantity,
          price: line.price['id'] as string,
          product: line.price['product'] as string,
          unitAmount: line.price['unit_amount'] as number,
          periodStart: created,
          periodEnd: subscription ? created + 30 * DAY : created,
          subscription: subscription ? (subscription['id'] as string) : null,
          subscriptionItem: line.item,
        }),
      );
    const value = invoiceObject({
      id,
      created,
      customer,
      currency,
      lines,
      subscription: subscription ? (subscription['id'] as string) : null,
      billingReason: subscription ? 'subscription_cycle' : 'manual',
      periodStart: created,
      periodEnd: subscription ? created + 30 * DAY : created,
      metadata: s.random.chance(0.2) ? { order: `ord_${s.random.string(8)}` } : {},
    });
    const roll = s.random.next();
    const status = roll < 0.6 ? 'paid' : roll < 0.75 ? 'open' : roll < 0.85 ? 'draft' : roll < 0.95 ? 'void' : 'uncollectible';
    if (status !== 'draft') {
      const finalizedAt = created + 3600;
      finalizeInvoice(value, customer['invoice_prefix'] as string, s.store.nextInvoiceNumber(customer['id'] as string), finalizedAt, s.random.string(40));
      value['next_payment_attempt'] = status === 'open' ? s.now + DAY : null;
      if (status === 'paid') payInvoice(value, finalizedAt + 60, null, true);
      if (status === 'void') voidInvoice(value, finalizedAt + 120);
      if (status === 'uncollectible') {
        value['status'] = 'uncollectible';
        value['next_payment_attempt'] = null;
        (value['status_transitions'] as JsonObject)['marked_uncollectible_at'] = finalizedAt + 120;
      }
    }
    s.store.insertSilently('invoice', value);
  }
}

function seedCharges(s: Seeder, count: number, customers: JsonObject[]): void {
  const planned = Array.from({ length: count }, () => {
    const customer = s.random.pick(customers);
    return { customer, created: after(s, customer['created'] as number) };
  }).sort((a, b) => a.created - b.created);
  for (const { customer, created } of planned) {
    const brand = s.random.pick(['visa', 'mastercard', 'amex']);
    const value = chargeObject({
      id: s.store.newId('ch'),
      created,
      amount: s.random.int(5, 500) * 100,
      currency: 'usd',
      customer: customer['id'] as string,
      description: s.random.chance(0.5) ? 'Seeded charge' : null,
      receiptEmail: customer['email'] as string | null,
      balanceTransaction: s.store.newId('txn'),
      paymentMethod: s.store.newId('pm'),
      billingName: customer['name'] as string | null,
      billingEmail: customer['email'] as string | null,
      last4: brand === 'amex' ? '8431' : brand === 'visa' ? '4242' : '4444',
      brand,
      expMonth: s.random.int(1, 12),
      expYear: new Date(s.now * 1000).getUTCFullYear() + s.random.int(1, 5),
      receiptToken: s.random.string(40),
      metadata: s.random.chance(0.2) ? { order: `ord_${s.random.string(8)}` } : {},
    });
    if (s.random.chance(0.05)) refundCharge(value);
    s.store.insertSilently('charge', value);
  }
}
