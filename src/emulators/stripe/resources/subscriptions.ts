/** `/v1/subscriptions`. */

import { errors } from '../errors.ts';
import type { JsonObject } from '../json.ts';
import { addInterval, currentPeriod, subscriptionItemObject, subscriptionItemsList, subscriptionObject, type Metadata } from '../objects.ts';
import { applyMetadata, metadataOf, type Params } from '../params.ts';
import type { RequestContext, Store, StoredEntry } from '../store.ts';
import { Checks, inRange, parseRange, type ListFilter } from './listing.ts';
import { expandAsAsked, requireEntry } from './lookup.ts';
import type { Change, CollectionResource } from './resource.ts';

const SUBSCRIPTION_CREATE = ['add_invoice_items', 'application_fee_percent', 'automatic_tax', 'backdate_start_date', 'billing_cycle_anchor', 'billing_cycle_anchor_config', 'billing_mode', 'billing_thresholds', 'cancel_at', 'cancel_at_period_end', 'collection_method', 'currency', 'customer', 'days_until_due', 'default_payment_method', 'default_source', 'default_tax_rates', 'description', 'discounts', 'expand', 'invoice_settings', 'items', 'metadata', 'off_session', 'on_behalf_of', 'payment_behavior', 'payment_settings', 'pending_invoice_item_interval', 'proration_behavior', 'transfer_data', 'trial_end', 'trial_from_plan', 'trial_period_days', 'trial_settings'];
const SUBSCRIPTION_UPDATE = ['add_invoice_items', 'application_fee_percent', 'automatic_tax', 'billing_cycle_anchor', 'billing_thresholds', 'cancel_at', 'cancel_at_period_end', 'cancellation_details', 'collection_method', 'days_until_due', 'default_payment_method', 'default_source', 'default_tax_rates', 'description', 'discounts', 'expand', 'invoice_settings', 'items', 'metadata', 'off_session', 'on_behalf_of', 'pause_collection', 'payment_behavior', 'payment_settings', 'pending_invoice_item_interval', 'proration_behavior', 'proration_date', 'transfer_data', 'trial_end', 'trial_from_plan', 'trial_settings'];
const SUBSCRIPTION_ITEM_CREATE = ['billing_thresholds', 'discounts', 'metadata', 'plan', 'price', 'price_data', 'quantity', 'tax_rates'];
const SUBSCRIPTION_ITEM_UPDATE = ['billing_thresholds', 'clear_usage', 'deleted', 'discounts', 'id', 'metadata', 'plan', 'price', 'price_data', 'quantity', 'tax_rates'];
const SUBSCRIPTION_STATUSES = ['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'] as const;

export class Subscriptions implements CollectionResource {
  readonly collection = 'subscription';

  constructor(private readonly store: Store) {}

  listFilter(params: Params): ListFilter {
    const checks = new Checks();
    const status = params.enum('status', SUBSCRIPTION_STATUSES);
    // Without `status`, Stripe lists every subscription that has not been canceled.
    if (status === undefined || status === null) checks.add((v) => v['status'] !== 'canceled');
    else if (status === 'ended') checks.add((v) => v['status'] === 'canceled' || v['status'] === 'incomplete_expired');
    else if (status !== 'all') checks.add((v) => v['status'] === status);
    checks.eq('customer', params.string('customer'));
    checks.eq('collection_method', params.enum('collection_method', ['charge_automatically', 'send_invoice']));
    checks.eq('test_clock', params.string('test_clock'));
    const price = params.string('price') ?? params.string('plan');
    if (price) {
      checks.add((v) => ((v['items'] as JsonObject)['data'] as JsonObject[]).some((item) => (item['price'] as JsonObject)['id'] === price));
    }
    const automaticTax = params.object('automatic_tax');
    if (automaticTax) {
      automaticTax.allow(['enabled']);
      const enabled = automaticTax.bool('enabled');
      if (enabled !== undefined) checks.add((v) => (v['automatic_tax'] as JsonObject)['enabled'] === enabled);
    }
    for (const field of ['current_period_end', 'current_period_start'] as const) {
      const range = parseRange(params, field);
      if (range) checks.add((v) => inRange(v[field] as number, range));
    }
    return checks.filter(['automatic_tax', 'collection_method', 'current_period_end', 'current_period_start', 'customer', 'customer_account', 'plan', 'price', 'status', 'test_clock']);
  }

  create(params: Params, ctx: RequestContext): JsonObject {
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
      const price = this.price(item, currency);
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
    this.changes(params, undefined)(value);
    return this.store.render('subscription', this.store.create('subscription', value, ctx).value);
  }

  update(params: Params, entry: StoredEntry): Change {
    params.allow(SUBSCRIPTION_UPDATE);
    return this.changes(params, entry);
  }

  /** `DELETE /v1/subscriptions/:id` cancels at once (the object stays, `canceled`). */
  remove(id: string, params: Params, ctx: RequestContext): JsonObject {
    params.allow(['cancellation_details', 'expand', 'invoice_now', 'prorate']);
    const entry = requireEntry(this.store, 'subscription', id);
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
    return expandAsAsked(this.store, this.store.render('subscription', entry.value), params);
  }

  /** The recurring, active price an item names, in the subscription's currency. */
  private price(item: Params, currency: string | undefined): JsonObject {
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

  private changes(params: Params, existing: StoredEntry | undefined): Change {
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
            const price = this.price(item, currency);
            current['price'] = price;
          }
          if (quantity !== undefined && quantity !== null) current['quantity'] = quantity;
          if (metadata) current['metadata'] = applyMetadata(metadataOf(current), metadata, item.name('metadata'));
        } else {
          if (deleted) throw errors.parameterMissing(item.name('id'));
          const price = this.price(item, currency);
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
}

/** A subscription that ends now: canceled by a request, or with its customer. */
export function markCanceled(draft: JsonObject, now: number, reason: string): void {
  draft['status'] = 'canceled';
  draft['canceled_at'] = now;
  draft['ended_at'] = now;
  draft['cancel_at_period_end'] = false;
  draft['cancellation_details'] = { ...(draft['cancellation_details'] as JsonObject), reason };
}
