import { Fragment, useState } from 'react';
import { Badge, formatTime } from './ui.tsx';
import type { SyncRecord } from '../graphql/operations.ts';

/** The records table's columns; "Sync" only when the rows come from several syncs. */
export function RecordColumns({ withSync }: { withSync: boolean }) {
  return (
    <thead>
      <tr>
        <th scope="col">Upstream id</th>
        {withSync ? <th scope="col">Sync</th> : null}
        <th scope="col">Collection</th>
        <th scope="col">Summary</th>
        <th scope="col">Upstream updated at</th>
        <th scope="col">Position</th>
      </tr>
    </thead>
  );
}

export const recordColumnCount = (withSync: boolean) => (withSync ? 6 : 5);

/** The Sync column: a deleted sync's records stay in the stream, under no listed sync. */
export const syncNameOf = (names: Map<string, string>, syncId: string) => names.get(syncId) ?? 'deleted sync';

const SUMMARY_KEYS = ['name', 'email', 'description', 'title', 'status', 'amount', 'Name', 'Email', 'login'];

function summary(data: unknown): string {
  if (!data || typeof data !== 'object') return '';
  const object = data as Record<string, unknown>;
  return SUMMARY_KEYS.filter((k) => object[k] != null && typeof object[k] !== 'object')
    .slice(0, 2)
    .map((k) => `${k}: ${String(object[k])}`)
    .join(' · ');
}

/**
 * A record as a table row; its button expands the full JSON below it. `syncName` (rows of several
 * syncs) fills the Sync column. "Upstream updated at" is when the provider says the object last
 * changed; — when it does not say.
 */
export function RecordRow({ record, isNew = false, syncName = null }: { record: SyncRecord; isNew?: boolean; syncName?: string | null }) {
  const [open, setOpen] = useState(false);
  const detailId = `record-${isNew ? 'live-' : ''}${record.syncId}-${record.collectionId}-${record.upstreamId}`.replace(/[^\w-]/g, '_');
  return (
    <Fragment>
      <tr className={open ? 'open' : undefined} data-upstream-id={record.upstreamId} data-sync-id={record.syncId}>
        <th scope="row">
          <button type="button" className="link mono" aria-expanded={open} aria-controls={open ? detailId : undefined} onClick={() => setOpen(!open)}>
            {record.upstreamId}
          </button>{' '}
          {record.deleted ? <Badge tone="error">deleted</Badge> : null}
          {isNew ? <Badge tone="info">live</Badge> : null}
        </th>
        {syncName !== null ? <td>{syncName}</td> : null}
        <td className="mono">{record.collectionId}</td>
        <td className="truncate">{summary(record.data)}</td>
        <td data-testid="upstream-updated-at">{record.upstreamUpdatedAt ? <time dateTime={record.upstreamUpdatedAt}>{formatTime(record.upstreamUpdatedAt)}</time> : '—'}</td>
        <td className="mono">{record.updatedIdx}</td>
      </tr>
      {open ? (
        <tr id={detailId} className="detail">
          <td colSpan={recordColumnCount(syncName !== null)}>
            <pre className="json" tabIndex={0} aria-label={`Data of ${record.upstreamId}`}>
              {JSON.stringify(record.data, null, 2)}
            </pre>
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}
