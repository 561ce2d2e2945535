import { useEffect } from 'react';
import { useQuery, type CombinedError } from 'urql';
import { usePolling } from '../usePolling.ts';
import { listContext } from './client.ts';
import { SyncIdsQuery, SyncsQuery, type Sync, type SyncIdsData, type SyncsData } from './operations.ts';

const FIRST = 50;
/** How soon a sync created or deleted elsewhere shows: the ids are cheap to read, statuses are not. */
const SYNC_LIST_POLL_MS = 3000;

export interface StreamSyncs {
  syncs: Sync[];
  /** Nothing read yet. */
  loading: boolean;
  error: CombinedError | undefined;
}

const idsOf = (edges: { node: { uuid: string } }[] | undefined) => (edges ? edges.map((e) => e.node.uuid).join(',') : null);

/**
 * The stream's syncs (first 50), kept current without a reload: no subscription tells of syncs
 * created or deleted elsewhere, so their ids are polled while the page is visible and the full
 * list is read again when they differ. Each sync's status stays live over syncStatusChanged.
 */
export function useStreamSyncs(streamId: string): StreamSyncs {
  const variables = { streamId, first: FIRST };
  const [{ data, fetching, error }, reexecute] = useQuery<SyncsData>({ query: SyncsQuery, variables, context: listContext.syncs });
  const [ids, reexecuteIds] = useQuery<SyncIdsData>({ query: SyncIdsQuery, variables, requestPolicy: 'network-only', context: listContext.syncs });
  usePolling(reexecuteIds, SYNC_LIST_POLL_MS);
  const shown = idsOf(data?.syncs.edges);
  const current = idsOf(ids.data?.syncs.edges);
  useEffect(() => {
    if (shown !== null && current !== null && shown !== current) reexecute({ requestPolicy: 'network-only' });
  }, [shown, current, reexecute]);
  return { syncs: data?.syncs.edges.map((e) => e.node) ?? [], loading: fetching && !data, error };
}
