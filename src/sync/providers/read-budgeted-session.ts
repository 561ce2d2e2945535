import { measuredRead, withReadBudget } from '../http/bounded-body.ts';
import type { ProviderSession } from './provider.ts';

/**
 * Objects in one page beyond which the page is refused: every provider asks for at most a few
 * thousand (Stripe 100, Zendesk 1,000, Salesforce 2,000, Jira's id pages 5,000), and a page of
 * hundreds of thousands of tiny objects under the byte limit would still fill the heap as objects.
 */
export const MAX_OBJECTS_PER_PAGE = 10_000;

/** Not retried, like an answer over the byte limit (halting-errors.ts). */
export class UpstreamPageTooLargeError extends Error {
  readonly code = 'upstream_page_too_large';

  constructor(objects: number, what: string) {
    super(`the upstream answered ${objects} objects in one page (${what}), more than the ${MAX_OBJECTS_PER_PAGE} a page may hold`);
    this.name = 'UpstreamPageTooLargeError';
  }
}

const pageBytes = new WeakMap<object, number>();

/** The body bytes read for a page `listPage` answered (0 when unknown). */
export function bytesOfPage(page: object): number {
  return pageBytes.get(page) ?? 0;
}

/**
 * `session` with each call under its own read budget (`SYNCLINE_MAX_UPSTREAM_STEP_BYTES`): a
 * provider that gathers a listing in memory (GitHub's repository list, Jira's id sets, the
 * changes of a poll read whole) is stopped with UpstreamReadBudgetError before it exhausts the
 * heap, whatever the upstream answers (docs/SYNCS.md lists which providers gather what). Pages
 * of more than MAX_OBJECTS_PER_PAGE objects are refused; listed pages remember their size in bytes
 * (the read-ahead holds a bounded number of bytes).
 */
export function withReadBudgets(session: ProviderSession, limitBytes: number): ProviderSession {
  const within = <T>(work: () => Promise<T>) => withReadBudget(limitBytes, work);
  const counted = <T extends { objects: unknown[] }>(page: T, what: string): T => {
    if (page.objects.length > MAX_OBJECTS_PER_PAGE) throw new UpstreamPageTooLargeError(page.objects.length, what);
    return page;
  };
  return {
    listPage: async (collectionId, cursor) => {
      const { value, bytes } = await measuredRead(limitBytes, () => session.listPage(collectionId, cursor));
      pageBytes.set(counted(value, `backfill of ${collectionId}`), bytes);
      return value;
    },
    initialChangesCursor: (collectionId) => within(() => session.initialChangesCursor(collectionId)),
    changesSince: async (collectionId, cursor) => counted(await within(() => session.changesSince(collectionId, cursor)), `changes of ${collectionId}`),
    mutate: (collectionId, kind, item) => within(() => session.mutate(collectionId, kind, item)),
    ...(session.fetchObject ? { fetchObject: (collectionId: string, upstreamId: string) => within(() => session.fetchObject!(collectionId, upstreamId)) } : {}),
  };
}
