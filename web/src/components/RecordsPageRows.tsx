import { useState } from 'react';
import { useQuery } from 'urql';
import { RecordsQuery, type RecordsData, type SyncRecord } from '../graphql/operations.ts';
import { recordKey } from '../graphql/useLiveRecords.ts';
import { RecordRow } from './RecordRow.tsx';

const PAGE = 50;

/** One page of the records connection (`first`/`after`); "Load more" renders the next page after it. */
export function RecordsPageRows({
  syncId,
  collectionId,
  upstreamId,
  cursor,
  live,
}: {
  syncId: string;
  collectionId: string | null;
  upstreamId: string | null;
  cursor: string | null;
  live: Map<string, SyncRecord>;
}) {
  const [{ data, fetching, error }] = useQuery<RecordsData>({ query: RecordsQuery, variables: { syncId, collectionId, upstreamId, first: PAGE, after: cursor } });
  const [more, setMore] = useState(false);
  const records = data?.records.edges.map((e) => e.node) ?? [];
  const pageInfo = data?.records.pageInfo;
  return (
    <>
      <tbody data-testid="records-page">
        {fetching && !data ? (
          <tr>
            <td colSpan={5} role="status">
              Loading records…
            </td>
          </tr>
        ) : null}
        {error ? (
          <tr>
            <td colSpan={5} role="alert" className="error">
              {error.message}
            </td>
          </tr>
        ) : null}
        {data && records.length === 0 && cursor === null ? (
          <tr>
            <td colSpan={5} className="muted">
              {upstreamId ? `No record with upstream id ${upstreamId}.` : 'No records yet.'}
            </td>
          </tr>
        ) : null}
        {records.map((record) => (
          <RecordRow key={`${record.collectionId}/${record.upstreamId}`} record={live.get(recordKey(record)) ?? record} />
        ))}
        {!more && pageInfo?.hasNextPage ? (
          <tr>
            <td colSpan={5}>
              <button type="button" className="secondary" onClick={() => setMore(true)}>
                Load more records
              </button>
            </td>
          </tr>
        ) : null}
      </tbody>
      {more && pageInfo?.endCursor ? <RecordsPageRows syncId={syncId} collectionId={collectionId} upstreamId={upstreamId} cursor={pageInfo.endCursor} live={live} /> : null}
    </>
  );
}
