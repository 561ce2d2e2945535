/** `/v1/products`. */

import { errors } from '../errors.ts';
import type { JsonObject } from '../json.ts';
import { productObject } from '../objects.ts';
import { applyMetadata, metadataOf, type Params } from '../params.ts';
import type { RequestContext, Store, StoredEntry } from '../store.ts';
import { deleteObject } from './collection-endpoints.ts';
import { Checks, type ListFilter } from './listing.ts';
import type { Prices } from './prices.ts';
import type { Change, CollectionResource } from './resource.ts';

const PRODUCT_CREATE = ['name', 'active', 'default_price_data', 'description', 'expand', 'id', 'images', 'marketing_features', 'metadata', 'package_dimensions', 'shippable', 'statement_descriptor', 'tax_code', 'tax_details', 'type', 'unit_label', 'url'];
const PRODUCT_UPDATE = ['active', 'default_price', 'description', 'expand', 'images', 'marketing_features', 'metadata', 'name', 'package_dimensions', 'shippable', 'statement_descriptor', 'tax_code', 'tax_details', 'unit_label', 'url'];

export class Products implements CollectionResource {
  readonly collection = 'product';

  constructor(
    private readonly store: Store,
    private readonly prices: Prices,
  ) {}

  listFilter(params: Params): ListFilter {
    const checks = new Checks();
    checks.eq('active', params.bool('active'));
    checks.eq('shippable', params.bool('shippable'));
    checks.eq('type', params.enum('type', ['good', 'service']));
    checks.eq('url', params.string('url'));
    const ids = params.stringArray('ids');
    if (ids) {
      const set = new Set(ids);
      checks.add((v) => set.has(v['id'] as string));
    }
    return checks.filter(['active', 'ids', 'shippable', 'type', 'url']);
  }

  /** With `default_price_data`, its price is created too and becomes the default one. */
  create(params: Params, ctx: RequestContext): JsonObject {
    params.allow(PRODUCT_CREATE);
    const name = params.requiredString('name', 5000);
    const customId = params.string('id');
    if (customId && this.store.get('product', customId)) {
      throw errors.invalidRequest(`Product already exists.`, 'id', 'resource_already_exists');
    }
    const type = params.enum('type', ['good', 'service']) ?? 'service';
    const defaultPriceData = params.object('default_price_data');
    const value = productObject({ id: customId ?? this.store.newId('prod'), created: this.store.now(), name, type });
    const changes = this.changes(params, undefined);
    changes(value);
    let priceValue: JsonObject | undefined;
    if (defaultPriceData) {
      defaultPriceData.allow(['currency', 'currency_options', 'custom_unit_amount', 'metadata', 'recurring', 'tax_behavior', 'unit_amount', 'unit_amount_decimal']);
      priceValue = this.prices.build(defaultPriceData, value['id'] as string);
      value['default_price'] = priceValue['id'] as string;
    }
    const entry = this.store.create('product', value, ctx);
    if (priceValue) this.store.create('price', priceValue, ctx);
    return this.store.render('product', entry.value);
  }

  update(params: Params, entry: StoredEntry): Change {
    params.allow(PRODUCT_UPDATE);
    return this.changes(params, entry);
  }

  remove(id: string, params: Params, ctx: RequestContext): JsonObject {
    return deleteObject(this.store, 'product', id, params, ctx, () => {
      if (this.hasPrices(id)) {
        throw errors.invalidRequest('This product cannot be deleted because it has one or more user-created prices.', undefined, undefined, true);
      }
    });
  }

  private hasPrices(productId: string): boolean {
    return this.store.index('price').all().some((entry) => entry.value['product'] === productId);
  }

  private changes(params: Params, existing: StoredEntry | undefined): Change {
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
}
