/** `/v1/charges`, with the older refund endpoint. */

import { errors } from '../errors.ts';
import type { JsonObject } from '../json.ts';
import { chargeObject, refundCharge } from '../objects.ts';
import { applyMetadata, metadataOf, type Params } from '../params.ts';
import type { RequestContext, Store, StoredEntry } from '../store.ts';
import { parseShipping } from './addresses.ts';
import { CURRENCY } from './currency.ts';
import { Checks, type ListFilter } from './listing.ts';
import { expandAsAsked, requireEntry } from './lookup.ts';
import type { Change, CollectionResource, ObjectAction } from './resource.ts';

const CHARGE_CREATE = ['amount', 'application_fee', 'application_fee_amount', 'capture', 'currency', 'customer', 'description', 'destination', 'expand', 'metadata', 'on_behalf_of', 'radar_options', 'receipt_email', 'shipping', 'source', 'statement_descriptor', 'statement_descriptor_suffix', 'transfer_data', 'transfer_group'];
const CHARGE_UPDATE = ['customer', 'description', 'expand', 'fraud_details', 'metadata', 'receipt_email', 'shipping', 'transfer_group'];

export class Charges implements CollectionResource {
  readonly collection = 'charge';
  readonly actions: ReadonlyMap<string, ObjectAction> = new Map<string, ObjectAction>([['refund', (id, params, ctx) => this.refund(id, params, ctx)]]);

  constructor(private readonly store: Store) {}

  listFilter(params: Params): ListFilter {
    const checks = new Checks();
    checks.eq('customer', params.string('customer'));
    checks.eq('payment_intent', params.string('payment_intent'));
    checks.eq('transfer_group', params.string('transfer_group'));
    return checks.filter(['customer', 'payment_intent', 'transfer_group']);
  }

  create(params: Params, ctx: RequestContext): JsonObject {
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

  update(params: Params, entry: StoredEntry): Change {
    params.allow(CHARGE_UPDATE);
    return this.changes(params, entry);
  }

  /** A succeeded charge, paid by a card of the customer's (also for invoices paid). */
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

  private changes(params: Params, existing: StoredEntry): Change {
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
    const entry = requireEntry(this.store, 'charge', id);
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
    return expandAsAsked(this.store, this.store.render('charge', entry.value), params);
  }
}
