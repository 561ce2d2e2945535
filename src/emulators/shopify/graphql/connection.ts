/**
 * Relay connections as the Admin API pages them: `first`/`last` (at most 250, one of them
 * required outside bulk operations), opaque `after`/`before` cursors, `reverse`; a bulk
 * operation reads every item (its query's page arguments are ignored).
 */

import { GraphQLError } from 'graphql';

export const MAX_PAGE = 250;

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
  reverse?: boolean | null;
}

export interface GraphqlContext {
  /** true while a bulk operation runs its query: connections answer every item. */
  bulk: boolean;
}

/** The position an item sorts at: its sort value, then its id. */
export type SortKey = [number | string, number];

const encode = (key: SortKey): string => Buffer.from(JSON.stringify(key)).toString('base64url');

function decode(cursor: string): SortKey {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === 2 && (typeof key[0] === 'number' || typeof key[0] === 'string') && typeof key[1] === 'number') return key as SortKey;
  } catch {
    // falls through
  }
  throw new GraphQLError(`Invalid cursor for current pagination sort.`);
}

function compare(a: SortKey, b: SortKey): number {
  const byValue = typeof a[0] === 'number' && typeof b[0] === 'number' ? a[0] - b[0] : String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0;
  return byValue || a[1] - b[1];
}

/**
 * One page of `items` in `keyOf` order (reversed with `reverse`). Without `keyOf` the items
 * keep their order (a nested list: line items, variants).
 */
export function connection<T>(items: readonly T[], args: ConnectionArgs, context: GraphqlContext, keyOf: (item: T, index: number) => SortKey = (_item, index) => [index, 0]) {
  const sign = args.reverse ? -1 : 1;
  const keyed = items.map((item, index) => ({ item, key: keyOf(item, index) })).sort((a, b) => sign * compare(a.key, b.key));
  let page = keyed;
  if (!context.bulk) {
    const { first, last } = args;
    if ((first ?? null) === null && (last ?? null) === null) throw new GraphQLError('you must provide one of first or last');
    for (const [name, value] of [['first', first], ['last', last]] as const) {
      if (value !== null && value !== undefined && (value < 0 || value > MAX_PAGE)) throw new GraphQLError(`The maximum number of records per page (${name}) is ${MAX_PAGE}.`);
    }
    const after = args.after ? decode(args.after) : null;
    const before = args.before ? decode(args.before) : null;
    page = keyed.filter(({ key }) => (after === null || sign * compare(key, after) > 0) && (before === null || sign * compare(key, before) < 0));
    const window = page;
    if (typeof first === 'number') page = page.slice(0, first);
    if (typeof last === 'number') page = page.slice(Math.max(0, page.length - last));
    const start = window.indexOf(page[0]!);
    return shape(page, start > 0 || (page.length === 0 ? false : keyed.indexOf(page[0]!) > 0 && after !== null), page.length > 0 && window.indexOf(page[page.length - 1]!) < window.length - 1);
  }
  return shape(page, false, false);
}

function shape<T>(page: Array<{ item: T; key: SortKey }>, hasPreviousPage: boolean, hasNextPage: boolean) {
  const edges = page.map(({ item, key }) => ({ cursor: encode(key), node: item }));
  return {
    edges,
    nodes: page.map(({ item }) => item),
    pageInfo: { hasNextPage, hasPreviousPage, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
