/** Stripe's list endpoints: cursor pagination, `created`-style ranges and the list envelope. */

import { errors } from '../errors.ts';
import type { Json, JsonObject } from '../json.ts';
import type { CreatedRange, OrderedIndex, PageQuery } from '../ordered.ts';
import { Params } from '../params.ts';
import type { StoredEntry } from '../store.ts';

const LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'expand'] as const;

type Predicate = (value: JsonObject) => boolean;

/** A resource's own list parameters and the predicate they make. */
export interface ListFilter {
  extra: readonly string[];
  filter: Predicate;
}

/** The checks a list's parameters ask for, all of which an object must pass. */
export class Checks {
  private readonly checks: Predicate[] = [];

  /** `field` equals `wanted`, when the parameter was given (not absent, not emptied). */
  eq(field: string, wanted: Json | undefined): void {
    if (wanted !== undefined && wanted !== null) this.checks.push((v) => v[field] === wanted);
  }

  add(check: Predicate): void {
    this.checks.push(check);
  }

  filter(extra: readonly string[]): ListFilter {
    const checks = this.checks;
    return { extra, filter: (value) => checks.every((check) => check(value)) };
  }
}

/**
 * One page of `index`: `limit`, `starting_after` / `ending_before` (ids of `objectName`),
 * `created` and `filter`. Every other parameter than these and `extraParams` is refused.
 */
export function page(
  index: OrderedIndex<JsonObject>,
  objectName: string,
  params: Params,
  extraParams: readonly string[],
  filter?: Predicate,
): { entries: StoredEntry[]; hasMore: boolean } {
  params.allow([...LIST_PARAMS, 'created', ...extraParams]);
  const limit = params.int('limit', { min: 1, max: 100 }) ?? 10;
  const startingAfter = params.string('starting_after');
  const endingBefore = params.string('ending_before');
  if (startingAfter && endingBefore) throw errors.exclusive(['starting_after', 'ending_before']);
  const query: PageQuery<JsonObject> = { limit };
  if (startingAfter) {
    const cursor = index.get(startingAfter);
    if (!cursor) throw errors.resourceMissing(objectName, startingAfter, 'starting_after', 400);
    query.startingAfter = cursor;
  }
  if (endingBefore) {
    const cursor = index.get(endingBefore);
    if (!cursor) throw errors.resourceMissing(objectName, endingBefore, 'ending_before', 400);
    query.endingBefore = cursor;
  }
  const created = parseRange(params, 'created');
  if (created) query.created = created;
  if (filter) query.filter = (entry) => filter(entry.value);
  return index.page(query);
}

/** Stripe's list envelope. */
export function listObject(data: JsonObject[], hasMore: boolean, url: string): JsonObject {
  return { object: 'list', data, has_more: hasMore, url };
}

/** A timestamp parameter as a range: `key=<t>` (exactly t) or `key[gt|gte|lt|lte]=<t>`. */
export function parseRange(params: Params, key: string): CreatedRange | undefined {
  const raw = params.raw(key);
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') {
    const exact = params.int(key);
    return exact === undefined || exact === null ? undefined : { gte: exact, lte: exact };
  }
  const range = new Params(raw, key);
  range.allow(['gt', 'gte', 'lt', 'lte']);
  const out: CreatedRange = {};
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    const value = range.int(op);
    if (value !== undefined && value !== null) out[op] = value;
  }
  return out;
}

export function inRange(value: number, range: CreatedRange): boolean {
  return (
    (range.gt === undefined || value > range.gt) &&
    (range.gte === undefined || value >= range.gte) &&
    (range.lt === undefined || value < range.lt) &&
    (range.lte === undefined || value <= range.lte)
  );
}
