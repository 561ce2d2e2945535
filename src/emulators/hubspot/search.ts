/**
 * The CRM search API's request body and its evaluation: filter groups (OR of ANDs), one sort,
 * `limit` up to 200 and an offset `after`, refused once a query pages past 10,000 results.
 */

import { validationError } from './errors.ts';
import { DATE_PROPERTIES, NUMBER_PROPERTIES } from './schema.ts';
import type { StoredObject } from './store.ts';

export const SEARCH_MAX_LIMIT = 200;
/** HubSpot answers no result past the 10,000th of a query. */
export const SEARCH_RESULT_CAP = 10_000;

const OPERATORS = ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY'] as const;
type Operator = (typeof OPERATORS)[number];

export interface SearchFilter {
  propertyName: string;
  operator: Operator;
  value?: string;
  highValue?: string;
  values?: string[];
}

export interface SearchRequest {
  filterGroups: SearchFilter[][];
  sort: { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' } | null;
  properties: string[] | null;
  limit: number;
  offset: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const scalar = (value: unknown): string | undefined => (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined);

function parseFilter(raw: unknown): SearchFilter {
  if (!isObject(raw) || typeof raw.propertyName !== 'string') throw validationError('Invalid input JSON on line 1: every filter needs a propertyName and an operator');
  const operator = raw.operator;
  if (typeof operator !== 'string' || !(OPERATORS as readonly string[]).includes(operator)) {
    throw validationError(`Invalid input JSON on line 1: Cannot deserialize value of type \`FilterOperatorEnum\` from String "${String(operator)}"`);
  }
  const filter: SearchFilter = { propertyName: raw.propertyName, operator: operator as Operator };
  const value = scalar(raw.value);
  const highValue = scalar(raw.highValue);
  if (value !== undefined) filter.value = value;
  if (highValue !== undefined) filter.highValue = highValue;
  if (Array.isArray(raw.values)) filter.values = raw.values.map(scalar).filter((v): v is string => v !== undefined);
  const needsValue = !['HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'IN', 'NOT_IN'].includes(filter.operator);
  if (needsValue && filter.value === undefined) throw validationError(`filter on ${filter.propertyName} with operator ${filter.operator} needs a value`);
  if (filter.operator === 'BETWEEN' && filter.highValue === undefined) throw validationError(`BETWEEN filter on ${filter.propertyName} needs a highValue`);
  if ((filter.operator === 'IN' || filter.operator === 'NOT_IN') && !filter.values) throw validationError(`${filter.operator} filter on ${filter.propertyName} needs values`);
  return filter;
}

export function parseSearchRequest(body: unknown): SearchRequest {
  if (!isObject(body)) throw validationError('Invalid input JSON: the search body must be an object');
  const groups = body.filterGroups ?? [];
  if (!Array.isArray(groups)) throw validationError('filterGroups must be an array');
  if (groups.length > 5) throw validationError(`Too many filter groups (${groups.length}). The maximum is 5.`);
  const filterGroups = groups.map((group) => {
    if (!isObject(group) || !Array.isArray(group.filters)) throw validationError('every filter group needs a filters array');
    if (group.filters.length > 10) throw validationError(`Too many filters in a group (${group.filters.length}). The maximum is 10.`);
    return group.filters.map(parseFilter);
  });
  if (filterGroups.flat().length > 25) throw validationError('Too many filters. The maximum is 25.');

  let sort: SearchRequest['sort'] = null;
  const sorts = body.sorts ?? [];
  if (!Array.isArray(sorts)) throw validationError('sorts must be an array');
  if (sorts.length > 1) throw validationError('Only one sort is supported.');
  const [first] = sorts;
  if (typeof first === 'string') {
    sort = first.startsWith('-') ? { propertyName: first.slice(1), direction: 'DESCENDING' } : { propertyName: first, direction: 'ASCENDING' };
  } else if (isObject(first)) {
    if (typeof first.propertyName !== 'string') throw validationError('a sort needs a propertyName');
    const direction = first.direction ?? 'ASCENDING';
    if (direction !== 'ASCENDING' && direction !== 'DESCENDING') throw validationError(`unknown sort direction ${String(direction)}`);
    sort = { propertyName: first.propertyName, direction };
  }

  const properties = body.properties === undefined ? null : body.properties;
  if (properties !== null && (!Array.isArray(properties) || !properties.every((p) => typeof p === 'string'))) throw validationError('properties must be an array of strings');

  const limit = body.limit === undefined ? 10 : Number(body.limit);
  if (!Number.isInteger(limit) || limit < 1) throw validationError(`limit must be a positive integer, got ${String(body.limit)}`);
  if (limit > SEARCH_MAX_LIMIT) throw validationError(`Paging limit is too high (${limit}). The maximum is ${SEARCH_MAX_LIMIT}.`);
  const offset = body.after === undefined || body.after === null || body.after === '' ? 0 : Number(body.after);
  if (!Number.isInteger(offset) || offset < 0) throw validationError(`after must be a non-negative integer offset, got ${String(body.after)}`);
  return { filterGroups, sort, properties: properties as string[] | null, limit, offset };
}

/** A property value as filters and sorts compare it: instants and numbers as numbers, text case-insensitively. */
function comparable(property: string, raw: string): number | string {
  if (DATE_PROPERTIES.has(property)) {
    const asNumber = Number(raw);
    return Number.isFinite(asNumber) && /^\d+$/.test(raw.trim()) ? asNumber : Date.parse(raw);
  }
  if (NUMBER_PROPERTIES.has(property)) return Number(raw);
  return raw.toLowerCase();
}

function compare(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function matches(object: StoredObject, filter: SearchFilter): boolean {
  const raw = filter.propertyName === 'id' ? object.id : object.properties[filter.propertyName];
  const present = raw !== undefined && raw !== null && raw !== '';
  if (filter.operator === 'HAS_PROPERTY') return present;
  if (filter.operator === 'NOT_HAS_PROPERTY') return !present;
  if (filter.operator === 'NEQ' && !present) return true;
  if (filter.operator === 'NOT_IN' && !present) return true;
  if (!present) return false;
  const property = filter.propertyName === 'id' ? 'hs_object_id' : filter.propertyName;
  const actual = comparable(property, raw);
  const against = (value: string) => compare(actual, comparable(property, value));
  switch (filter.operator) {
    case 'EQ':
      return against(filter.value!) === 0;
    case 'NEQ':
      return against(filter.value!) !== 0;
    case 'LT':
      return against(filter.value!) < 0;
    case 'LTE':
      return against(filter.value!) <= 0;
    case 'GT':
      return against(filter.value!) > 0;
    case 'GTE':
      return against(filter.value!) >= 0;
    case 'BETWEEN':
      return against(filter.value!) >= 0 && against(filter.highValue!) <= 0;
    case 'IN':
      return filter.values!.some((v) => against(v) === 0);
    case 'NOT_IN':
      return !filter.values!.some((v) => against(v) === 0);
  }
}

/** Every object matching the request, in its sort order (ties, and no sort, in id order). */
export function searchObjects(objects: readonly StoredObject[], request: SearchRequest): StoredObject[] {
  const found = objects.filter((o) => request.filterGroups.length === 0 || request.filterGroups.some((group) => group.every((f) => matches(o, f))));
  const byId = (a: StoredObject, b: StoredObject) => Number(a.id) - Number(b.id);
  const sort = request.sort;
  if (!sort) return found.sort(byId);
  const key = (o: StoredObject): number | string | null => {
    const raw = sort.propertyName === 'id' ? o.id : o.properties[sort.propertyName];
    return raw === undefined || raw === null || raw === '' ? null : comparable(sort.propertyName, raw);
  };
  const sign = sort.direction === 'ASCENDING' ? 1 : -1;
  return found.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    // Objects without the property come last whatever the direction.
    if (ka === null || kb === null) return ka === kb ? byId(a, b) : ka === null ? 1 : -1;
    return sign * compare(ka, kb) || byId(a, b);
  });
}
