/** `/v1/invoices`, with their finalize, pay and void actions. */

import { errors } from '../errors.ts';
import type { JsonObject } from '../json.ts';
import { finalizeInvoice, invoiceObject, payInvoice, voidInvoice } from '../objects.ts';
import { applyMetadata, metadataOf, type Params } from '../params.ts';
import type { RequestContext, Store, StoredEntry } from '../store.ts';
import type { Charges } from './charges.ts';
import { deleteObject } from './collection-endpoints.ts';
import { CURRENCY } from './currency.ts';
import { Checks, inRange, parseRange, type ListFilter } from './listing.ts';
import { expandAsAsked, requireEntry } from './lookup.ts';
import type { Change, CollectionResource, ObjectAction } from './resource.ts';

const INVOICE_CREATE = ['account_tax_ids', 'application_fee_amount', 'auto_advance', 'automatic_tax', 'automatically_finalizes_at', 'collection_method', 'currency', 'custom_fields', 'customer', 'customer_account', 'days_until_due', 'default_payment_method', 'default_source', 'default_tax_rates', 'description', 'discounts', 'due_date', 'effective_at', 'expand', 'footer', 'from_invoice', 'issuer', 'metadata', 'number', 'on_behalf_of', 'payment_settings', 'pending_invoice_items_behavior', 'rendering', 'shipping_cost', 'shipping_details', 'statement_descriptor', 'subscription', 'transfer_data'];
const INVOICE_UPDATE = ['account_tax_ids', 'application_fee_amount', 'auto_advance', 'automatic_tax', 'automatically_finalizes_at', 'collection_method', 'custom_fields', 'days_until_due', 'default_payment_method', 'default_source', 'default_tax_rates', 'description', 'discounts', 'due_date', 'effective_at', 'expand', 'footer', 'issuer', 'metadata', 'number', 'on_behalf_of', 'payment_settings', 'rendering', 'shipping_cost', 'shipping_details', 'statement_descriptor', 'transfer_data'];

export class Invoices implements CollectionResource {
  readonly collection = 'invoice';
  readonly actions: ReadonlyMap<string, ObjectAction> = new Map<string, ObjectAction>([
    ['finalize', (id, params, ctx) => this.act('finalize', id, params, ctx)],
    ['pay', (id, params, ctx) => this.act('pay', id, params, ctx)],
    ['void', (id, params, ctx) => this.act('void', id, params, ctx)],
  ]);

  constructor(
    private readonly store: Store,
    private readonly charges: Charges,
  ) {}

  listFilter(params: Params): ListFilter {
    const checks = new Checks();
    checks.eq('customer', params.string('customer'));
    checks.eq('subscription', params.string('subscription'));
    checks.eq('status', params.enum('status', ['draft', 'open', 'paid', 'uncollectible', 'void']));
    checks.eq('collection_method', params.enum('collection_method', ['charge_automatically', 'send_invoice']));
    const dueDate = parseRange(params, 'due_date');
    if (dueDate) checks.add((v) => typeof v['due_date'] === 'number' && inRange(v['due_date'], dueDate));
    return checks.filter(['collection_method', 'customer', 'customer_account', 'due_date', 'status', 'subscription']);
  }

  create(params: Params, ctx: RequestContext): JsonObject {
    params.allow(INVOICE_CREATE);
    let customerId = params.string('customer');
    const subscriptionId = params.string('subscription');
    if (subscriptionId) {
      const subscription = requireEntry(this.store, 'subscription', subscriptionId, 'subscription', 400);
      customerId = customerId ?? (subscription.value['customer'] as string);
      // Pending invoice items are not modelled: a subscription has nothing left to invoice.
      throw errors.invalidRequest('Nothing to invoice for subscription', 'subscription', 'invoice_no_subscription_line_items');
    }
    if (!customerId) throw errors.parameterMissing('customer');
    const customer = requireEntry(this.store, 'customer', customerId, 'customer', 400);
    const currency = (params.string('currency') ?? (customer.value['currency'] as string | null) ?? 'usd').toLowerCase();
    if (!CURRENCY.test(currency)) throw errors.invalidRequest(`Invalid currency: ${currency}`, 'currency');
    const value = invoiceObject({ id: this.store.newId('in'), created: this.store.now(), customer: customer.value, currency, lines: [] });
    this.changes(params, undefined)(value);
    return this.store.render('invoice', this.store.create('invoice', value, ctx).value);
  }

  update(params: Params, entry: StoredEntry): Change {
    params.allow(INVOICE_UPDATE);
    return this.changes(params, entry);
  }

  /** Only a draft can be deleted. */
  remove(id: string, params: Params, ctx: RequestContext): JsonObject {
    return deleteObject(this.store, 'invoice', id, params, ctx, (entry) => {
      if (entry.value['status'] !== 'draft') {
        throw errors.invalidRequest(`You can only delete draft invoices. This invoice is ${String(entry.value['status'])}.`, undefined, undefined, true);
      }
    });
  }

  private changes(params: Params, existing: StoredEntry | undefined): Change {
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

  private act(action: 'finalize' | 'pay' | 'void', id: string, params: Params, ctx: RequestContext): JsonObject {
    const entry = requireEntry(this.store, 'invoice', id);
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
    return expandAsAsked(this.store, this.store.render('invoice', entry.value), params);
  }

  /** draft → open (and straight to paid when nothing is due, as Stripe does). */
  private finalize(entry: StoredEntry, ctx: RequestContext, autoAdvance: boolean | undefined): void {
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
  private pay(entry: StoredEntry, ctx: RequestContext, outOfBand: boolean): void {
    const amount = entry.value['amount_due'] as number;
    let chargeId: string | null = null;
    if (!outOfBand && amount > 0) {
      const customerId = entry.value['customer'] as string;
      const charge = this.charges.newCharge({
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
}
