import { collectionWriteCount } from './collection-locks.ts';

/** How a backfill is read: one page listed at a cursor, where the next one starts, and what is kept of it. */
export interface PageReader<L, P> {
  list(collectionId: string, cursor: string): Promise<L>;
  nextCursor(listed: L): string | null;
  /** Made after the next page's request is sent (hashing overlaps the upstream round trip). */
  prepare(collectionId: string, listed: L): P;
  /** What a page weighs in memory (its answer's bytes); pages read ahead weigh at most `maxWeight` together. */
  weight?(listed: L): number;
}

interface Ahead<P> {
  cursor: string;
  /** The collection's write count when the read started (collectionWriteCount). */
  writes: number;
  page: Promise<P>;
  ready: { page: P } | null;
  weight: number;
}

interface Chain<P> {
  pages: Ahead<P>[];
  /** The cursor of the next page to read; null at the end or after a failed read. */
  next: string | null;
  reading: boolean;
  /** Of the pages read and not taken yet. */
  weight: number;
}

/**
 * Reads a collection's next backfill pages, up to `depth` of them, one after another, while the
 * pages before them are being written, so that upstream round trips overlap the database's and
 * a writer that fell behind finds several pages ready (`take`) to write at once. A page read
 * ahead is used only for the cursor it was read at and only if no mutation wrote the collection
 * since its read began (its objects could be older than the mutation's result); otherwise it
 * and every page after it are dropped and read again under the lock.
 */
export class PageReadAhead<L, P> {
  private readonly chains = new Map<string, Chain<P>>();

  constructor(
    private readonly syncId: string,
    private readonly depth: number,
    private readonly reader: PageReader<L, P>,
    private readonly maxWeight = Number.POSITIVE_INFINITY,
  ) {}

  /** Starts reading ahead from `cursor`, dropping whatever was read ahead before. */
  start(collectionId: string, cursor: string): void {
    const chain: Chain<P> = { pages: [], next: cursor, reading: false, weight: 0 };
    this.chains.set(collectionId, chain);
    this.fill(collectionId, chain);
  }

  /**
   * The page read ahead for `cursor` and, if `joins` it, the ones after it already read that
   * `joins` too (up to `max` in all), or null when there is none usable. The reading goes on.
   */
  take(collectionId: string, cursor: string | null, max: number, joins: (page: P) => boolean): Promise<P[]> | null {
    const chain = this.chains.get(collectionId);
    const first = chain?.pages[0];
    // Write counts only grow along the chain: if its first page is still current, all are.
    if (!chain || !first || first.cursor !== cursor || first.writes !== collectionWriteCount(this.syncId, collectionId)) {
      this.discard(collectionId);
      return null;
    }
    chain.pages.shift();
    return first.page.then((page) => {
      chain.weight -= first.weight;
      const pages = [page];
      for (let next = chain.pages[0]?.ready; next && pages.length < max && joins(page) && joins(next.page); next = chain.pages[0]?.ready) {
        pages.push(next.page);
        chain.weight -= chain.pages.shift()!.weight;
      }
      this.fill(collectionId, chain);
      return pages;
    });
  }

  discard(collectionId: string): void {
    this.chains.delete(collectionId);
  }

  private fill(collectionId: string, chain: Chain<P>): void {
    if (chain.reading || chain.next === null || chain.pages.length >= this.depth || chain.weight >= this.maxWeight || this.chains.get(collectionId) !== chain) return;
    const cursor = chain.next;
    chain.reading = true;
    const ahead: Ahead<P> = { cursor, writes: collectionWriteCount(this.syncId, collectionId), page: Promise.resolve(null as never), ready: null, weight: 0 };
    ahead.page = this.read(collectionId, chain, cursor, ahead);
    ahead.page.then(
      (page) => (ahead.ready = { page }),
      () => undefined, // a failed read ahead is read again (and its error seen) when needed
    );
    chain.pages.push(ahead);
  }

  private async read(collectionId: string, chain: Chain<P>, cursor: string, ahead: Ahead<P>): Promise<P> {
    let listed: L;
    try {
      listed = await this.reader.list(collectionId, cursor);
    } catch (error) {
      chain.next = null;
      throw error;
    } finally {
      chain.reading = false;
    }
    chain.next = this.reader.nextCursor(listed);
    ahead.weight = this.reader.weight?.(listed) ?? 0;
    chain.weight += ahead.weight;
    this.fill(collectionId, chain);
    // Let the next request go out before this page is hashed.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return this.reader.prepare(collectionId, listed);
  }
}
