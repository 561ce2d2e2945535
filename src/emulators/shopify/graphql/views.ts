/**
 * The store's objects (kept in the REST resource shape, which the webhooks send) as the Admin
 * GraphQL API shows them: `gid://shopify/…` ids, camelCase fields, UTC `DateTime`s, upper-case
 * enums, money as `MoneyV2`/`MoneyBag`. Plain objects, so graphql's default resolvers read them;
 * nested connections are functions of their arguments.
 */

import type { ShopifyObject } from '../objects.ts';
import type { ShopifyCollection, ShopifyStore } from '../store.ts';
import { connection, type ConnectionArgs, type GraphqlContext } from './connection.ts';

export type View = Record<string, unknown>;

export const GID_TYPES: Record<ShopifyCollection, string> = { customer: 'Customer', order: 'Order', product: 'Product' };

export const gid = (type: string, id: unknown): string => `gid://shopify/${type}/${String(id)}`;

/** The numeric id of a `gid://shopify/<type>/<n>` (null when it is not one of `type`). */
export function numericId(id: unknown, type: string): number | null {
  const match = typeof id === 'string' ? /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(?:\?.*)?$/.exec(id) : null;
  return match && match[1] === type ? Number(match[2]) : null;
}

/** A REST time (shop offset, whole seconds) as a GraphQL `DateTime` (UTC, `Z`). */
export function dateTime(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : null;
}

const upper = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value.toUpperCase() : null);
const tagList = (tags: unknown): string[] =>
  typeof tags === 'string'
    ? tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
        .sort()
    : [];
const money = (amount: unknown, currencyCode: unknown): View => ({ amount: typeof amount === 'string' ? amount : '0.00', currencyCode: typeof currencyCode === 'string' ? currencyCode : 'USD' });
const moneyBag = (amount: unknown, currencyCode: unknown): View => ({ shopMoney: money(amount, currencyCode), presentmentMoney: money(amount, currencyCode) });

function mailingAddress(address: unknown): View | null {
  if (!address || typeof address !== 'object') return null;
  const a = address as ShopifyObject;
  return {
    id: gid('MailingAddress', a.id ?? 0),
    address1: a.address1 ?? null,
    address2: a.address2 ?? null,
    city: a.city ?? null,
    company: a.company ?? null,
    country: a.country ?? null,
    countryCodeV2: a.country_code ?? null,
    firstName: a.first_name ?? null,
    lastName: a.last_name ?? null,
    name: a.name ?? null,
    phone: a.phone ?? null,
    province: a.province ?? null,
    provinceCode: a.province_code ?? null,
    zip: a.zip ?? null,
  };
}

export function customerView(c: ShopifyObject): View {
  const consent = c.email_marketing_consent && typeof c.email_marketing_consent === 'object' ? (c.email_marketing_consent as ShopifyObject) : null;
  const name = [c.first_name, c.last_name].filter((n) => typeof n === 'string' && n !== '').join(' ');
  return {
    __typename: 'Customer',
    id: gid('Customer', c.id),
    legacyResourceId: String(c.id),
    firstName: c.first_name ?? null,
    lastName: c.last_name ?? null,
    displayName: name || (typeof c.email === 'string' ? c.email : ''),
    defaultEmailAddress:
      typeof c.email === 'string' && c.email !== ''
        ? {
            emailAddress: c.email,
            marketingState: upper(consent?.state) ?? 'NOT_SUBSCRIBED',
            marketingOptInLevel: upper(consent?.opt_in_level),
            marketingUpdatedAt: dateTime(consent?.consent_updated_at),
          }
        : null,
    defaultPhoneNumber: typeof c.phone === 'string' && c.phone !== '' ? { phoneNumber: c.phone } : null,
    note: c.note ?? null,
    tags: tagList(c.tags),
    state: upper(c.state) ?? 'DISABLED',
    verifiedEmail: c.verified_email === true,
    taxExempt: c.tax_exempt === true,
    numberOfOrders: String(c.orders_count ?? 0),
    amountSpent: money(c.total_spent, c.currency),
    defaultAddress: mailingAddress(c.default_address),
    createdAt: dateTime(c.created_at),
    updatedAt: dateTime(c.updated_at),
  };
}

const FINANCIAL: Record<string, string> = { paid: 'PAID', pending: 'PENDING', authorized: 'AUTHORIZED', refunded: 'REFUNDED', voided: 'VOIDED', partially_paid: 'PARTIALLY_PAID', partially_refunded: 'PARTIALLY_REFUNDED' };

export function orderView(o: ShopifyObject, store: ShopifyStore): View {
  const lineItems = Array.isArray(o.line_items) ? (o.line_items as ShopifyObject[]) : [];
  return {
    __typename: 'Order',
    id: gid('Order', o.id),
    legacyResourceId: String(o.id),
    name: o.name,
    number: o.number,
    email: o.email ?? null,
    phone: o.phone ?? null,
    note: o.note ?? null,
    tags: tagList(o.tags),
    createdAt: dateTime(o.created_at),
    updatedAt: dateTime(o.updated_at),
    processedAt: dateTime(o.processed_at),
    closed: o.closed_at !== null && o.closed_at !== undefined,
    closedAt: dateTime(o.closed_at),
    cancelledAt: dateTime(o.cancelled_at),
    cancelReason: upper(o.cancel_reason),
    confirmed: o.confirmed !== false,
    test: o.test === true,
    currencyCode: o.currency ?? 'USD',
    displayFinancialStatus: FINANCIAL[String(o.financial_status)] ?? null,
    displayFulfillmentStatus: o.fulfillment_status === 'fulfilled' ? 'FULFILLED' : 'UNFULFILLED',
    subtotalPriceSet: moneyBag(o.subtotal_price, o.currency),
    totalPriceSet: moneyBag(o.total_price, o.currency),
    totalTaxSet: moneyBag(o.total_tax, o.currency),
    totalDiscountsSet: moneyBag(o.total_discounts, o.currency),
    // The buyer as the order keeps it: a customer deleted since still shows on its orders.
    customer: o.customer && typeof o.customer === 'object' ? customerView(o.customer as ShopifyObject) : null,
    billingAddress: mailingAddress(o.billing_address),
    shippingAddress: mailingAddress(o.shipping_address),
    lineItems: (args: ConnectionArgs, context: GraphqlContext) => connection(lineItems.map((li) => lineItemView(li, o, store)), args, context),
  };
}

function lineItemView(li: ShopifyObject, order: ShopifyObject, store: ShopifyStore): View {
  return {
    __typename: 'LineItem',
    id: gid('LineItem', li.id),
    name: li.name,
    title: li.title,
    quantity: li.quantity,
    sku: li.sku ?? null,
    variantTitle: li.variant_title ?? null,
    vendor: li.vendor ?? null,
    requiresShipping: li.requires_shipping !== false,
    taxable: li.taxable !== false,
    originalUnitPriceSet: moneyBag(li.price, order.currency),
    product: li.product_id ? referenced(store, 'product', li.product_id, { title: li.title, vendor: li.vendor }) : null,
    variant: li.variant_id ? { __typename: 'ProductVariant', id: gid('ProductVariant', li.variant_id), legacyResourceId: String(li.variant_id), title: li.variant_title ?? '', sku: li.sku ?? null } : null,
  };
}

/** An object a line item names: itself while the store has it, else what the line item remembers of it. */
function referenced(store: ShopifyStore, kind: 'product', id: unknown, remembered: ShopifyObject): View {
  const current = store.find(kind, Number(id));
  return current ? productView(current) : { __typename: 'Product', id: gid('Product', id), legacyResourceId: String(id), ...remembered };
}

export function productView(p: ShopifyObject): View {
  const variants = Array.isArray(p.variants) ? (p.variants as ShopifyObject[]) : [];
  const view: View = {
    __typename: 'Product',
    id: gid('Product', p.id),
    legacyResourceId: String(p.id),
    title: p.title,
    handle: p.handle,
    descriptionHtml: p.body_html ?? '',
    vendor: p.vendor ?? '',
    productType: p.product_type ?? '',
    status: upper(p.status) ?? 'ACTIVE',
    tags: tagList(p.tags),
    createdAt: dateTime(p.created_at),
    updatedAt: dateTime(p.updated_at),
    publishedAt: dateTime(p.published_at),
    templateSuffix: p.template_suffix ?? null,
    totalInventory: variants.reduce((sum, v) => sum + (typeof v.inventory_quantity === 'number' ? v.inventory_quantity : 0), 0),
  };
  view.variants = (args: ConnectionArgs, context: GraphqlContext) => connection(variants.map((v) => variantView(v, view)), args, context);
  return view;
}

function variantView(v: ShopifyObject, product: View): View {
  return {
    __typename: 'ProductVariant',
    id: gid('ProductVariant', v.id),
    legacyResourceId: String(v.id),
    title: v.title,
    sku: v.sku ?? null,
    price: v.price,
    compareAtPrice: v.compare_at_price ?? null,
    position: v.position,
    barcode: v.barcode ?? null,
    taxable: v.taxable !== false,
    inventoryQuantity: v.inventory_quantity ?? null,
    inventoryPolicy: upper(v.inventory_policy) ?? 'DENY',
    createdAt: dateTime(v.created_at),
    updatedAt: dateTime(v.updated_at),
    product,
  };
}

export function viewOf(kind: ShopifyCollection, object: ShopifyObject, store: ShopifyStore): View {
  return kind === 'customer' ? customerView(object) : kind === 'order' ? orderView(object, store) : productView(object);
}
