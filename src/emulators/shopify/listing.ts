/**
 * Shopify's list endpoints: filters from the first request, `order`, and cursor pages whose
 * opaque `page_info` token carries the filters and the position (so that a request with
 * `page_info` may only add `limit` and `fields`).
 */

import { EmulatorError } from '../kit/http-emulator.ts';
import { parseQueryTime, secondsOf } from './time.ts';
import type { ShopifyObject } from './objects.ts';

export const MAX_LIMIT = 250;
const DEFAULT_LIMIT = 50;

/** Query parameters that a `page_info` request may carry. */
const PAGE_PARAMS = new Set(['page_info', 'limit', 'fields']);

export type Filters = Record<string, string>;

export interface PageToken {
  /** The first request's filters (and `order`). */
  filters: Filters;
  direction: 'next' | 'previous';
  /** Sort value and id of the item the page starts after (next) or ends before (previous). */
  anchor: [number, number];
}

export function badRequest(field: string, message: string): EmulatorError {
  return new EmulatorError({ status: 400, body: { errors: { [field]: message } } });
}

export function encodePageToken(token: PageToken): string {
  return Buffer.from(JSON.stringify({ f: token.filters, d: token.direction, a: token.anchor })).toString('base64url');
}

function decodePageToken(raw: string): PageToken {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { f?: unknown; d?: unknown; a?: unknown };
    const anchor = parsed.a;
    if (
      parsed.f &&
      typeof parsed.f === 'object' &&
      (parsed.d === 'next' || parsed.d === 'previous') &&
      Array.isArray(anchor) &&
      anchor.length === 2 &&
      anchor.every((n) => typeof n === 'number')
    ) {
      return { filters: parsed.f as Filters, direction: parsed.d, anchor: anchor as [number, number] };
    }
  } catch {
    // falls through to the refusal
  }
  throw badRequest('page_info', 'Invalid value.');
}

export interface ListRequest {
  filters: Filters;
  limit: number;
  fields: string[] | null;
  token: PageToken | null;
}

/** Reads a list request's query, refusing what Shopify refuses. */
export function readListRequest(query: URLSearchParams): ListRequest {
  const limitRaw = query.get('limit');
  const limit = limitRaw === null ? DEFAULT_LIMIT : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1) throw badRequest('limit', 'Invalid value.');
  const fieldsRaw = query.get('fields');
  const fields = fieldsRaw ? fieldsRaw.split(',').map((f) => f.trim()).filter(Boolean) : null;
  const pageInfo = query.get('page_info');
  if (pageInfo !== null) {
    for (const key of query.keys()) if (!PAGE_PARAMS.has(key)) throw badRequest('page_info', 'Invalid value.');
    const token = decodePageToken(pageInfo);
    return { filters: token.filters, limit: Math.min(limit, MAX_LIMIT), fields, token };
  }
  const filters: Filters = {};
  for (const [key, value] of query) if (!PAGE_PARAMS.has(key)) filters[key] = value;
  return { filters, limit: Math.min(limit, MAX_LIMIT), fields, token: null };
}

export interface Sort {
  key: (item: ShopifyObject) => number;
  descending: boolean;
}

const SORTABLE: Record<string, (item: ShopifyObject) => number> = {
  id: (item) => Number(item.id),
  created_at: (item) => secondsOf(item.created_at),
  updated_at: (item) => secondsOf(item.updated_at),
  processed_at: (item) => secondsOf(item.processed_at),
};

/** `order=<field> asc|desc`; unknown orders fall back to the endpoint's default. */
export function sortOf(order: string | undefined, fallback: Sort): Sort {
  const match = order ? /^\s*([a-z_]+)(?:\s+(asc|desc))?\s*$/i.exec(order) : null;
  const key = match ? SORTABLE[(match[1] as string).toLowerCase()] : undefined;
  if (!match || !key) return fallback;
  return { key, descending: (match[2] ?? 'asc').toLowerCase() === 'desc' };
}

/** Inclusive `*_min` / `*_max` time filters, `ids`, `since_id`. */
export function commonFilter(filters: Filters, timeFields: string[]): (item: ShopifyObject) => boolean {
  const checks: Array<(item: ShopifyObject) => boolean> = [];
  for (const field of timeFields) {
    for (const bound of ['min', 'max'] as const) {
      const raw = filters[`${field}_${bound}`];
      if (raw === undefined) continue;
      const at = parseQueryTime(raw);
      if (at === null) throw badRequest(`${field}_${bound}`, 'Invalid value.');
      checks.push(bound === 'min' ? (item) => secondsOf(item[field]) >= at : (item) => secondsOf(item[field]) <= at);
    }
  }
  if (filters.ids !== undefined) {
    const ids = new Set(filters.ids.split(',').map((id) => Number(id.trim())));
    checks.push((item) => ids.has(Number(item.id)));
  }
  if (filters.since_id !== undefined) {
    const sinceId = Number(filters.since_id);
    if (!Number.isFinite(sinceId)) throw badRequest('since_id', 'Invalid value.');
    checks.push((item) => Number(item.id) > sinceId);
  }
  return (item) => checks.every((check) => check(item));
}

export interface Page {
  items: ShopifyObject[];
  previous: PageToken | null;
  next: PageToken | null;
}

/** One page of `items` (already filtered) in `sort` order, from the request's token on. */
export function paginate(items: ShopifyObject[], sort: Sort, request: ListRequest): Page {
  const position = (item: ShopifyObject): [number, number] => [sort.key(item), Number(item.id)];
  const sign = sort.descending ? -1 : 1;
  const compare = (a: [number, number], b: [number, number]): number => sign * (a[0] - b[0] || a[1] - b[1]);
  const sorted = items.map((item) => ({ item, at: position(item) })).sort((a, b) => compare(a.at, b.at));
  let start = 0;
  let end = sorted.length;
  const token = request.token;
  if (token?.direction === 'next') {
    start = sorted.findIndex((e) => compare(e.at, token.anchor) > 0);
    if (start === -1) start = sorted.length;
    end = Math.min(sorted.length, start + request.limit);
  } else if (token?.direction === 'previous') {
    end = sorted.findIndex((e) => compare(e.at, token.anchor) >= 0);
    if (end === -1) end = sorted.length;
    start = Math.max(0, end - request.limit);
  } else {
    end = Math.min(sorted.length, request.limit);
  }
  const page = sorted.slice(start, end);
  const first = page[0];
  const last = page[page.length - 1];
  return {
    items: page.map((e) => project(e.item, request.fields)),
    previous: first && start > 0 ? { filters: request.filters, direction: 'previous', anchor: first.at } : null,
    next: last && end < sorted.length ? { filters: request.filters, direction: 'next', anchor: last.at } : null,
  };
}

function project(item: ShopifyObject, fields: string[] | null): ShopifyObject {
  if (!fields) return item;
  const picked: ShopifyObject = {};
  for (const field of fields) if (field in item) picked[field] = item[field];
  return picked;
}

/** The `Link` header of a page: `previous` and `next` with only `limit`, `fields` and `page_info`. */
export function linkHeader(pageUrl: string, page: Page, request: ListRequest): string | null {
  const link = (token: PageToken, rel: string): string => {
    const params = new URLSearchParams({ limit: String(request.limit) });
    if (request.fields) params.set('fields', request.fields.join(','));
    params.set('page_info', encodePageToken(token));
    return `<${pageUrl}?${params.toString()}>; rel="${rel}"`;
  };
  const parts = [page.previous ? link(page.previous, 'previous') : null, page.next ? link(page.next, 'next') : null].filter((p): p is string => p !== null);
  return parts.length > 0 ? parts.join(', ') : null;
}
