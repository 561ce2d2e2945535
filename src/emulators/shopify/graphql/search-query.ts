/**
 * The part of Shopify's search syntax (`query:` arguments) the emulator filters on: terms
 * `field:value`, `field:>value`, `field:>=value`, `field:<value`, `field:<=value`, values bare or
 * quoted ('…' or "…"), joined by `AND` or blanks. Times compare as instants (`updated_at:>'2026-12-01T10:00:00Z'`).
 * Like Shopify, a term on a field the list cannot filter by is ignored (and named back as a warning).
 */

export type Comparator = ':' | '>' | '>=' | '<' | '<=';

export interface Term {
  field: string;
  comparator: Comparator;
  value: string;
}

const TERM = /([a-z_]+):(>=|<=|>|<)?(?:'([^']*)'|"([^"]*)"|(\S+))/gy;

export function parseSearch(query: string | null | undefined): Term[] {
  const terms: Term[] = [];
  let rest = (query ?? '').trim();
  while (rest.length > 0) {
    rest = rest.replace(/^(?:AND\s+|\s+)/, '');
    if (rest === '') break;
    TERM.lastIndex = 0;
    const match = TERM.exec(rest);
    if (!match) {
      // Free text (Shopify searches default fields with it): nothing to filter on here.
      rest = rest.replace(/^\S+/, '');
      continue;
    }
    terms.push({ field: match[1]!, comparator: (match[2] as Comparator | undefined) ?? ':', value: match[3] ?? match[4] ?? match[5] ?? '' });
    rest = rest.slice(TERM.lastIndex);
  }
  return terms;
}

function compare(actual: number, comparator: Comparator, wanted: number): boolean {
  switch (comparator) {
    case ':':
      return actual === wanted;
    case '>':
      return actual > wanted;
    case '>=':
      return actual >= wanted;
    case '<':
      return actual < wanted;
    case '<=':
      return actual <= wanted;
  }
}

/** A field a list filters on: how to read it from an item, and how to compare. */
export type Filterable<T> = { kind: 'time'; read: (item: T) => unknown } | { kind: 'number'; read: (item: T) => unknown } | { kind: 'text'; read: (item: T) => unknown };

export interface SearchFilter<T> {
  test: (item: T) => boolean;
  /** Terms on fields the list does not filter by (ignored). */
  ignored: string[];
}

export function searchFilter<T>(query: string | null | undefined, fields: Record<string, Filterable<T>>): SearchFilter<T> {
  const checks: Array<(item: T) => boolean> = [];
  const ignored: string[] = [];
  for (const term of parseSearch(query)) {
    const field = fields[term.field];
    if (!field) {
      ignored.push(term.field);
      continue;
    }
    if (field.kind === 'text') {
      const wanted = term.value.toLowerCase();
      checks.push((item) => String(field.read(item) ?? '').toLowerCase() === wanted);
      continue;
    }
    const wanted = field.kind === 'time' ? Date.parse(term.value) : Number(term.value);
    if (!Number.isFinite(wanted)) {
      ignored.push(term.field);
      continue;
    }
    checks.push((item) => {
      const raw = field.read(item);
      const actual = field.kind === 'time' ? (typeof raw === 'string' ? Date.parse(raw) : NaN) : Number(raw);
      return Number.isFinite(actual) && compare(actual, term.comparator, wanted);
    });
  }
  return { test: (item) => checks.every((check) => check(item)), ignored };
}
