import { withReadBudget } from '../http/bounded-body.ts';
import type { ProviderSession } from './provider.ts';

/**
 * `session` with each call under its own read budget (`SYNCLINE_MAX_UPSTREAM_STEP_BYTES`): a
 * provider that gathers a listing in memory (GitHub's repository list, Jira's id sets, the
 * changes of a poll read whole) is stopped with UpstreamReadBudgetError before it exhausts the
 * heap, whatever the upstream answers (docs/SYNCS.md lists which providers gather what).
 */
export function withReadBudgets(session: ProviderSession, limitBytes: number): ProviderSession {
  const within = <T>(work: () => Promise<T>) => withReadBudget(limitBytes, work);
  return {
    listPage: (collectionId, cursor) => within(() => session.listPage(collectionId, cursor)),
    initialChangesCursor: (collectionId) => within(() => session.initialChangesCursor(collectionId)),
    changesSince: (collectionId, cursor) => within(() => session.changesSince(collectionId, cursor)),
    mutate: (collectionId, kind, item) => within(() => session.mutate(collectionId, kind, item)),
  };
}
