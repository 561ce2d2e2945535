/** Shopify-shaped customers, orders and products (Admin REST API 2024-10 field sets). */

import { fakePerson, type Random } from '../kit/random.ts';
import { shopifyTime } from './time.ts';

export type ShopifyObject = Record<string, unknown>;

const gid = (type: string, id: number): string => `gid://shopify/${type}/${id}`;
const money = (cents: number): string => (cents / 100).toFixed(2);

const PROVINCES: Record<string, string> = { CA: 'California', NY: 'New York', TX: 'Texas', WA: 'Washington' };
const TAGS = ['vip', 'wholesale', 'newsletter', 'returning', 'gift', 'priority'];
const VENDORS = ['Syncline Goods', 'Northwind', 'Acme Apparel', 'Hooli Hardware'];
const PRODUCT_TYPES = ['Shirts', 'Mugs', 'Posters', 'Stickers', 'Hoodies'];
const ADJECTIVES = ['Classic', 'Vintage', 'Organic', 'Limited', 'Everyday', 'Premium'];
const NOUNS = ['T-Shirt', 'Mug', 'Poster', 'Sticker Pack', 'Hoodie', 'Tote Bag'];
const SIZES = ['S', 'M', 'L', 'XL'];

export const pickTags = (random: Random): string => TAGS.filter(() => random.chance(0.2)).join(', ');

export interface Ids {
  next(): number;
}

export function address(random: Random, ids: Ids, customerId: number, person: { first: string; last: string; phone: string }, isDefault: boolean): ShopifyObject {
  const p = fakePerson(random).address;
  return {
    id: ids.next(),
    customer_id: customerId,
    first_name: person.first,
    last_name: person.last,
    company: random.chance(0.3) ? `${random.pick(VENDORS)} Inc.` : null,
    address1: p.line1,
    address2: null,
    city: p.city,
    province: PROVINCES[p.state] ?? p.state,
    country: 'United States',
    zip: p.postal_code,
    phone: person.phone,
    name: `${person.first} ${person.last}`,
    province_code: p.state,
    country_code: p.country,
    country_name: 'United States',
    default: isDefault,
  };
}

export function customer(random: Random, ids: Ids, at: number, input: ShopifyObject = {}): ShopifyObject {
  const person = fakePerson(random);
  const [first = 'Ada', last = 'Lovelace'] = person.name.split(' ');
  const id = ids.next();
  const names = { first: str(input.first_name) ?? first, last: str(input.last_name) ?? last, phone: person.phone };
  const addresses = Array.isArray(input.addresses)
    ? (input.addresses as ShopifyObject[]).map((a, i) => ({ ...address(random, ids, id, names, i === 0), ...a, customer_id: id }))
    : Array.from({ length: random.int(1, 2) }, (_, i) => address(random, ids, id, names, i === 0));
  const marketing = random.chance(0.4);
  return {
    id,
    email: str(input.email) ?? person.email,
    created_at: shopifyTime(at),
    updated_at: shopifyTime(at),
    first_name: names.first,
    last_name: names.last,
    orders_count: 0,
    state: random.pick(['enabled', 'disabled', 'invited']),
    total_spent: '0.00',
    last_order_id: null,
    note: null,
    verified_email: true,
    multipass_identifier: null,
    tax_exempt: false,
    tags: pickTags(random),
    last_order_name: null,
    currency: 'USD',
    phone: random.chance(0.5) ? person.phone : null,
    addresses,
    tax_exemptions: [],
    email_marketing_consent: {
      state: marketing ? 'subscribed' : 'not_subscribed',
      opt_in_level: 'single_opt_in',
      consent_updated_at: marketing ? shopifyTime(at) : null,
    },
    sms_marketing_consent: null,
    admin_graphql_api_id: gid('Customer', id),
    ...withoutKeys(input, ['id', 'addresses', 'created_at', 'updated_at', 'admin_graphql_api_id']),
    default_address: addresses[0] ?? null,
  };
}

function variant(random: Random, ids: Ids, productId: number, title: string, position: number, at: number, sku: string): ShopifyObject {
  const id = ids.next();
  const quantity = random.int(0, 200);
  return {
    id,
    product_id: productId,
    title,
    price: money(random.int(5, 80) * 100 - 1),
    position,
    inventory_policy: 'deny',
    compare_at_price: null,
    option1: title,
    option2: null,
    option3: null,
    created_at: shopifyTime(at),
    updated_at: shopifyTime(at),
    taxable: true,
    barcode: null,
    fulfillment_service: 'manual',
    grams: random.int(50, 900),
    inventory_management: 'shopify',
    requires_shipping: true,
    sku: `${sku}-${title}`,
    weight: random.int(1, 20) / 10,
    weight_unit: 'kg',
    inventory_item_id: ids.next(),
    inventory_quantity: quantity,
    old_inventory_quantity: quantity,
    admin_graphql_api_id: gid('ProductVariant', id),
    image_id: null,
  };
}

export function product(random: Random, ids: Ids, at: number, input: ShopifyObject = {}): ShopifyObject {
  const id = ids.next();
  const title = str(input.title) ?? `${random.pick(ADJECTIVES)} ${random.pick(NOUNS)}`;
  const sku = random.string(6, 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789');
  const sizes = SIZES.slice(0, random.int(1, SIZES.length));
  const variants = Array.isArray(input.variants)
    ? (input.variants as ShopifyObject[]).map((v, i) => ({ ...variant(random, ids, id, str(v.option1) ?? 'Default Title', i + 1, at, sku), ...withoutKeys(v, ['id', 'product_id']) }))
    : sizes.map((size, i) => variant(random, ids, id, size, i + 1, at, sku));
  const status = str(input.status) ?? random.pick(['active', 'active', 'active', 'draft', 'archived']);
  return {
    id,
    title,
    body_html: `<p>${title}, made to last.</p>`,
    vendor: random.pick(VENDORS),
    product_type: random.pick(PRODUCT_TYPES),
    created_at: shopifyTime(at),
    handle: `${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${id}`,
    updated_at: shopifyTime(at),
    published_at: status === 'active' ? shopifyTime(at) : null,
    template_suffix: null,
    published_scope: 'global',
    tags: pickTags(random),
    status,
    admin_graphql_api_id: gid('Product', id),
    ...withoutKeys(input, ['id', 'variants', 'options', 'created_at', 'updated_at', 'admin_graphql_api_id']),
    variants,
    options: [{ id: ids.next(), product_id: id, name: 'Size', position: 1, values: variants.map((v) => v.option1) }],
    images: [],
    image: null,
  };
}

/** The slice of a customer an order embeds. */
export function orderCustomer(c: ShopifyObject): ShopifyObject {
  return {
    id: c.id,
    email: c.email,
    created_at: c.created_at,
    updated_at: c.updated_at,
    first_name: c.first_name,
    last_name: c.last_name,
    state: c.state,
    note: c.note,
    verified_email: c.verified_email,
    multipass_identifier: null,
    tax_exempt: c.tax_exempt,
    phone: c.phone,
    currency: c.currency,
    tax_exemptions: [],
    admin_graphql_api_id: c.admin_graphql_api_id,
    default_address: c.default_address,
  };
}

export interface OrderInput {
  number: number;
  customer: ShopifyObject | null;
  products: ShopifyObject[];
  input?: ShopifyObject;
}

export function order(random: Random, ids: Ids, at: number, { number, customer: buyer, products, input = {} }: OrderInput): ShopifyObject {
  const id = ids.next();
  const lineItems = Array.isArray(input.line_items)
    ? (input.line_items as ShopifyObject[]).map((li) => lineItem(random, ids, null, li))
    : Array.from({ length: random.int(1, 3) }, () => lineItem(random, ids, products.length > 0 ? random.pick(products) : null));
  const subtotal = lineItems.reduce((sum, li) => sum + Math.round(Number(li.price) * 100) * Number(li.quantity), 0);
  const tax = Math.round(subtotal * 0.08);
  const roll = random.next();
  const cancelled = roll < 0.1;
  const closed = !cancelled && roll < 0.3;
  const address = buyer ? (buyer.default_address as ShopifyObject | null) : null;
  const email = str(input.email) ?? (buyer ? (buyer.email as string | null) : null);
  return {
    id,
    admin_graphql_api_id: gid('Order', id),
    app_id: 580111,
    browser_ip: `203.0.113.${random.int(1, 254)}`,
    buyer_accepts_marketing: random.chance(0.3),
    cancel_reason: cancelled ? random.pick(['customer', 'inventory', 'fraud', 'declined', 'other']) : null,
    cancelled_at: cancelled ? shopifyTime(at) : null,
    closed_at: closed ? shopifyTime(at) : null,
    confirmation_number: random.string(9, 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789'),
    confirmed: true,
    contact_email: email,
    created_at: shopifyTime(at),
    currency: 'USD',
    current_subtotal_price: money(subtotal),
    current_total_price: money(subtotal + tax),
    current_total_tax: money(tax),
    email,
    financial_status: cancelled ? 'voided' : random.pick(['paid', 'paid', 'pending', 'authorized', 'refunded']),
    fulfillment_status: closed ? 'fulfilled' : null,
    name: `#${number}`,
    note: null,
    number: number - 1000,
    order_number: number,
    phone: null,
    presentment_currency: 'USD',
    processed_at: shopifyTime(at),
    subtotal_price: money(subtotal),
    tags: pickTags(random),
    test: false,
    total_discounts: '0.00',
    total_line_items_price: money(subtotal),
    total_price: money(subtotal + tax),
    total_tax: money(tax),
    total_weight: lineItems.reduce((sum, li) => sum + Number(li.grams) * Number(li.quantity), 0),
    updated_at: shopifyTime(at),
    billing_address: address ? withoutKeys(address, ['id', 'customer_id', 'default', 'country_name']) : null,
    shipping_address: address ? withoutKeys(address, ['id', 'customer_id', 'default', 'country_name']) : null,
    customer: buyer ? orderCustomer(buyer) : null,
    ...withoutKeys(input, ['id', 'line_items', 'customer', 'created_at', 'updated_at', 'admin_graphql_api_id', 'name', 'number', 'order_number']),
    line_items: lineItems,
  };
}

function lineItem(random: Random, ids: Ids, from: ShopifyObject | null, input: ShopifyObject = {}): ShopifyObject {
  const id = ids.next();
  const variants = from && Array.isArray(from.variants) ? (from.variants as ShopifyObject[]) : [];
  const v = variants.length > 0 ? random.pick(variants) : null;
  const quantity = typeof input.quantity === 'number' ? input.quantity : random.int(1, 3);
  const title = str(input.title) ?? (from ? String(from.title) : 'Custom item');
  return {
    id,
    admin_graphql_api_id: gid('LineItem', id),
    fulfillable_quantity: quantity,
    fulfillment_service: 'manual',
    fulfillment_status: null,
    gift_card: false,
    grams: v ? v.grams : 0,
    name: v ? `${title} - ${String(v.title)}` : title,
    price: str(input.price) ?? (v ? String(v.price) : '10.00'),
    product_exists: from !== null,
    product_id: from ? from.id : null,
    quantity,
    requires_shipping: true,
    sku: v ? v.sku : null,
    taxable: true,
    title,
    total_discount: '0.00',
    variant_id: v ? v.id : null,
    variant_title: v ? v.title : null,
    vendor: from ? from.vendor : null,
    ...withoutKeys(input, ['id', 'admin_graphql_api_id']),
  };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function withoutKeys(object: ShopifyObject, keys: string[]): ShopifyObject {
  const copy: ShopifyObject = { ...object };
  for (const key of keys) delete copy[key];
  return copy;
}
