import { useState } from 'react';
import { useQuery } from 'urql';
import { StreamRecordsQuery, type StreamRecordsData, type SyncRecord } from '../graphql/operations.ts';
import { recordKey } from '../graphql/useLiveRecords.ts';
import { recordColumnCount, RecordRow, syncNameOf } from './RecordRow.tsx';

const PAGE = 50;

/**
 * One page of the stream's records connection (`first`/`after`; one sync's with `syncId`, every
 * sync's without); "Load more" renders the next page after it. `syncNames` (several syncs) adds
 * the Sync column.
 */
export function RecordsPageRows({
  streamId,
  syncId,
  collectionId,
  upstreamId,
  cursor,
  live,
  syncNames,
}: {
  streamId: string;
  syncId: string | null;
  collectionId: string | null;
  upstreamId: string | null;
  cursor: string | null;
  live: Map<string, SyncRecord>;
  syncNames: Map<string, string> | null;
}) {
  const [{ data, fetching, error }] = useQuery<StreamRecordsData>({ query: StreamRecordsQuery, variables: { streamId, syncId, collectionId, upstreamId, first: PAGE, after: cursor } });
  const [more, setMore] = useState(false);
  const records = data?.stream?.records.edges.map((e) => e.node) ?? [];
  const pageInfo = data?.stream?.records.pageInfo;
  const columns = recordColumnCount(syncNames !== null);
  return (
    <>
      <tbody data-testid="records-page">
        {fetching && !data ? (
          <tr>
            <td colSpan={columns} role="status">
              Loading records…
            </td>
          </tr>
        ) : null}
        {error ? (
          <tr>
            <td colSpan={columns} role="alert" className="error">
              {error.message}
            </td>
          </tr>
        ) : null}
        {data && records.length === 0 && cursor === null ? (
          <tr>
            <td colSpan={columns} className="muted">
              {upstreamId ? `No record with upstream id ${upstreamId}.` : 'No records yet.'}
            </td>
          </tr>
        ) : null}
        {records.map((record) => (
          <RecordRow key={recordKey(record)} record={live.get(recordKey(record)) ?? record} syncName={syncNames ? syncNameOf(syncNames, record.syncId) : null} />
        ))}
        {!more && pageInfo?.hasNextPage ? (
          <tr>
            <td colSpan={columns}>
              <button type="button" className="secondary" onClick={() => setMore(true)}>
                Load more records
              </button>
            </td>
          </tr>
        ) : null}
      </tbody>
      {more && pageInfo?.endCursor ? (
        <RecordsPageRows streamId={streamId} syncId={syncId} collectionId={collectionId} upstreamId={upstreamId} cursor={pageInfo.endCursor} live={live} syncNames={syncNames} />
      ) : null}
    </>
  );
}
