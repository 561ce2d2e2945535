/** `/v1/prices`. */

import { errors } from '../errors.ts';
import type { JsonObject } from '../json.ts';
import { priceObject, productObject, type RecurringInput } from '../objects.ts';
import { applyMetadata, metadataOf, type Params } from '../params.ts';
import type { RequestContext, Store, StoredEntry } from '../store.ts';
import { CURRENCY } from './currency.ts';
import { Checks, type ListFilter } from './listing.ts';
import type { Change, CollectionResource } from './resource.ts';

const PRICE_CREATE = ['currency', 'active', 'billing_scheme', 'currency_options', 'custom_unit_amount', 'expand', 'lookup_key', 'metadata', 'nickname', 'product', 'product_data', 'recurring', 'tax_behavior', 'tiers', 'tiers_mode', 'transfer_lookup_key', 'transform_quantity', 'unit_amount', 'unit_amount_decimal'];
const PRICE_UPDATE = ['active', 'currency_options', 'expand', 'lookup_key', 'metadata', 'nickname', 'tax_behavior', 'transfer_lookup_key'];

export class Prices implements CollectionResource {
  readonly collection = 'price';

  constructor(private readonly store: Store) {}

  listFilter(params: Params): ListFilter {
    const checks = new Checks();
    checks.eq('active', params.bool('active'));
    checks.eq('currency', params.string('currency')?.toLowerCase());
    checks.eq('product', params.string('product'));
    checks.eq('type', params.enum('type', ['one_time', 'recurring']));
    const lookupKeys = params.stringArray('lookup_keys', { max: 10 });
    if (lookupKeys) {
      const set = new Set(lookupKeys);
      checks.add((v) => typeof v['lookup_key'] === 'string' && set.has(v['lookup_key']));
    }
    const recurring = params.object('recurring');
    if (recurring) {
      recurring.allow(['interval', 'meter', 'usage_type']);
      const interval = recurring.enum('interval', ['day', 'week', 'month', 'year']);
      const usageType = recurring.enum('usage_type', ['licensed', 'metered']);
      checks.add((v) => {
        const r = v['recurring'] as JsonObject | null;
        if (!r) return false;
        return (!interval || r['interval'] === interval) && (!usageType || r['usage_type'] === usageType);
      });
    }
    return checks.filter(['active', 'currency', 'lookup_keys', 'product', 'recurring', 'type']);
  }

  /** Of an existing product, or of one `product_data` creates with it. */
  create(params: Params, ctx: RequestContext): JsonObject {
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
    const value = this.build(params, product);
    const changes = this.changes(params, undefined, ctx);
    changes(value);
    if (createdProduct) this.store.create('product', createdProduct, ctx);
    return this.store.render('price', this.store.create('price', value, ctx).value);
  }

  update(params: Params, entry: StoredEntry, ctx: RequestContext): Change {
    params.allow(PRICE_UPDATE);
    return this.changes(params, entry, ctx);
  }

  /** A new price object from `currency`, `unit_amount`, `recurring`, … (shared with `default_price_data`). */
  build(params: Params, product: string): JsonObject {
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

  private changes(params: Params, existing: StoredEntry | undefined, ctx: RequestContext): Change {
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
}
