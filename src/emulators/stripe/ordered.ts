/**
 * A collection kept in Stripe's list order: ascending by (`created`, insertion sequence) in
 * memory, listed newest first. Deleted objects stay as tombstones so that cursors naming them
 * keep working. Cursor positions are found by binary search; a page scans only as far as it needs.
 */

export interface Entry<T> {
  id: string;
  created: number;
  seq: number;
  value: T;
  deleted: boolean;
}

export interface CreatedRange {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export interface PageQuery<T> {
  limit: number;
  startingAfter?: Entry<T>;
  endingBefore?: Entry<T>;
  created?: CreatedRange;
  /** Which live entries belong in the listing (tombstones are always skipped). */
  filter?: (entry: Entry<T>) => boolean;
}

export interface Page<T> {
  /** Newest first. */
  entries: Entry<T>[];
  hasMore: boolean;
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  return a.created < b.created || (a.created === b.created && a.seq < b.seq);
}

export class OrderedIndex<T> {
  private readonly entries: Entry<T>[] = [];
  private readonly byId = new Map<string, Entry<T>>();
  private nextSeq = 0;

  get size(): number {
    return this.entries.length;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): Entry<T> | undefined {
    return this.byId.get(id);
  }

  insert(id: string, created: number, value: T): Entry<T> {
    if (this.byId.has(id)) throw new Error(`duplicate id ${id}`);
    const entry: Entry<T> = { id, created, seq: this.nextSeq++, value, deleted: false };
    const last = this.entries[this.entries.length - 1];
    if (!last || !before(entry, last)) {
      this.entries.push(entry);
    } else {
      // Only when `created` lies in the past (seeding, clock steps): keep the order.
      this.entries.splice(this.upperBound(created), 0, entry);
    }
    this.byId.set(id, entry);
    return entry;
  }

  /** Index of an entry of this collection. */
  position(entry: Entry<T>): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const candidate = this.entries[mid] as Entry<T>;
      if (candidate === entry) return mid;
      if (before(candidate, entry)) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new Error(`entry ${entry.id} is not in this collection`);
  }

  /** First index whose created >= `created`. */
  lowerBound(created: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid] as Entry<T>).created < created) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose created > `created`. */
  upperBound(created: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid] as Entry<T>).created <= created) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index range [lo, hi) of entries inside a `created` filter. */
  private createdBounds(range: CreatedRange | undefined): [number, number] {
    let lo = 0;
    let hi = this.entries.length;
    if (!range) return [lo, hi];
    if (range.gte !== undefined) lo = Math.max(lo, this.lowerBound(range.gte));
    if (range.gt !== undefined) lo = Math.max(lo, this.upperBound(range.gt));
    if (range.lte !== undefined) hi = Math.min(hi, this.upperBound(range.lte));
    if (range.lt !== undefined) hi = Math.min(hi, this.lowerBound(range.lt));
    return [lo, hi];
  }

  page(query: PageQuery<T>): Page<T> {
    let [lo, hi] = this.createdBounds(query.created);
    const accept = (entry: Entry<T>): boolean => !entry.deleted && (query.filter ? query.filter(entry) : true);
    const found: Entry<T>[] = [];
    if (query.endingBefore) {
      // The page of entries just newer than the cursor, returned newest first.
      lo = Math.max(lo, this.position(query.endingBefore) + 1);
      for (let i = lo; i < hi && found.length <= query.limit; i++) {
        const entry = this.entries[i] as Entry<T>;
        if (accept(entry)) found.push(entry);
      }
      const hasMore = found.length > query.limit;
      return { entries: found.slice(0, query.limit).reverse(), hasMore };
    }
    if (query.startingAfter) hi = Math.min(hi, this.position(query.startingAfter));
    for (let i = hi - 1; i >= lo && found.length <= query.limit; i--) {
      const entry = this.entries[i] as Entry<T>;
      if (accept(entry)) found.push(entry);
    }
    const hasMore = found.length > query.limit;
    return { entries: found.slice(0, query.limit), hasMore };
  }

  /** Live entries, newest first. */
  liveNewestFirst(): Entry<T>[] {
    const out: Entry<T>[] = [];
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i] as Entry<T>;
      if (!entry.deleted) out.push(entry);
    }
    return out;
  }

  /** Every entry, tombstones included, oldest first. */
  all(): readonly Entry<T>[] {
    return this.entries;
  }
}
