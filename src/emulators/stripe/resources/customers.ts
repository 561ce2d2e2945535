/** `/v1/customers`. */

import { errors } from '../errors.ts';
import type { JsonObject } from '../json.ts';
import { customerObject } from '../objects.ts';
import { applyMetadata, metadataOf, type Params } from '../params.ts';
import { fakeInvoicePrefix } from '../random.ts';
import type { RequestContext, Store } from '../store.ts';
import { mergeAddress, parseShipping } from './addresses.ts';
import { deleteObject } from './collection-endpoints.ts';
import { Checks, type ListFilter } from './listing.ts';
import type { Change, CollectionResource } from './resource.ts';
import { markCanceled } from './subscriptions.ts';

const CUSTOMER_CREATE = ['address', 'balance', 'business_name', 'cash_balance', 'description', 'email', 'expand', 'individual_name', 'invoice_prefix', 'invoice_settings', 'metadata', 'name', 'next_invoice_sequence', 'payment_method', 'phone', 'preferred_locales', 'shipping', 'source', 'tax', 'tax_exempt', 'tax_id_data', 'test_clock', 'validate'];
const CUSTOMER_UPDATE = ['address', 'balance', 'business_name', 'cash_balance', 'default_source', 'description', 'email', 'expand', 'individual_name', 'invoice_prefix', 'invoice_settings', 'metadata', 'name', 'next_invoice_sequence', 'phone', 'preferred_locales', 'shipping', 'source', 'tax', 'tax_exempt', 'validate'];
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export class Customers implements CollectionResource {
  readonly collection = 'customer';
  readonly retrievableWhenDeleted = true;

  constructor(private readonly store: Store) {}

  listFilter(params: Params): ListFilter {
    const checks = new Checks();
    checks.eq('email', params.string('email', { maxLength: 512 }));
    checks.eq('test_clock', params.string('test_clock'));
    return checks.filter(['email', 'test_clock']);
  }

  create(params: Params, ctx: RequestContext): JsonObject {
    params.allow(CUSTOMER_CREATE);
    const id = this.store.newId('cus');
    const value = customerObject({ id, created: this.store.now(), invoicePrefix: fakeInvoicePrefix(this.store.random) });
    this.changes(params, true)(value);
    return this.store.render('customer', this.store.create('customer', value, ctx).value);
  }

  update(params: Params): Change {
    params.allow(CUSTOMER_UPDATE);
    return this.changes(params, false);
  }

  /** Deleting a customer cancels its subscriptions immediately. */
  remove(id: string, params: Params, ctx: RequestContext): JsonObject {
    return deleteObject(this.store, 'customer', id, params, ctx, () => {
      for (const sub of this.store.index('subscription').liveNewestFirst()) {
        if (sub.value['customer'] === id && sub.value['status'] !== 'canceled' && sub.value['status'] !== 'incomplete_expired') {
          this.store.transition('subscription', sub, (draft) => markCanceled(draft, this.store.now(), 'cancellation_requested'), ctx, ['customer.subscription.deleted']);
        }
      }
    });
  }

  private changes(params: Params, creating: boolean): Change {
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
}
