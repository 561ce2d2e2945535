import { collectionWriteCount } from './collection-locks.ts';

interface Ahead<P> {
  cursor: string;
  writes: number;
  page: Promise<P>;
}

/**
 * Reads a collection's next backfill page while the current one is being checkpointed, so the
 * upstream round trip overlaps the database's. A page read ahead is used only for the cursor it
 * was read at and only if no mutation wrote the collection since (its objects could be older
 * than the mutation's result); otherwise it is dropped and read again under the lock.
 */
export class PageReadAhead<P> {
  private readonly ahead = new Map<string, Ahead<P>>();

  constructor(private readonly syncId: string) {}

  start(collectionId: string, cursor: string, read: () => Promise<P>): void {
    const page = read();
    page.catch(() => undefined); // a failed read ahead is read again (and its error seen) when needed
    this.ahead.set(collectionId, { cursor, writes: collectionWriteCount(this.syncId, collectionId), page });
  }

  /** The page read ahead for `cursor`, or null when there is none usable. */
  take(collectionId: string, cursor: string | null): Promise<P> | null {
    const ahead = this.ahead.get(collectionId);
    this.ahead.delete(collectionId);
    if (!ahead || ahead.cursor !== cursor || ahead.writes !== collectionWriteCount(this.syncId, collectionId)) return null;
    return ahead.page;
  }

  discard(collectionId: string): void {
    this.ahead.delete(collectionId);
  }
}
