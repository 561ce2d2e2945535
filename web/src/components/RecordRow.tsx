import { Fragment, useState } from 'react';
import { Badge, formatTime } from './ui.tsx';
import type { SyncRecord } from '../graphql/operations.ts';

const SUMMARY_KEYS = ['name', 'email', 'description', 'title', 'status', 'amount', 'Name', 'Email', 'login'];

function summary(data: unknown): string {
  if (!data || typeof data !== 'object') return '';
  const object = data as Record<string, unknown>;
  return SUMMARY_KEYS.filter((k) => object[k] != null && typeof object[k] !== 'object')
    .slice(0, 2)
    .map((k) => `${k}: ${String(object[k])}`)
    .join(' · ');
}

/** A record as a table row; its button expands the full JSON below it. */
export function RecordRow({ record, isNew = false }: { record: SyncRecord; isNew?: boolean }) {
  const [open, setOpen] = useState(false);
  const detailId = `record-${isNew ? 'live-' : ''}${record.collectionId}-${record.upstreamId}`.replace(/[^\w-]/g, '_');
  return (
    <Fragment>
      <tr className={open ? 'open' : undefined} data-upstream-id={record.upstreamId}>
        <th scope="row">
          <button type="button" className="link mono" aria-expanded={open} aria-controls={open ? detailId : undefined} onClick={() => setOpen(!open)}>
            {record.upstreamId}
          </button>{' '}
          {record.deleted ? <Badge tone="error">deleted</Badge> : null}
          {isNew ? <Badge tone="info">live</Badge> : null}
        </th>
        <td className="mono">{record.collectionId}</td>
        <td className="truncate">{summary(record.data)}</td>
        <td>{formatTime(record.upstreamUpdatedAt)}</td>
        <td className="mono">{record.updatedIdx}</td>
      </tr>
      {open ? (
        <tr id={detailId} className="detail">
          <td colSpan={5}>
            <pre className="json" tabIndex={0} aria-label={`Data of ${record.upstreamId}`}>
              {JSON.stringify(record.data, null, 2)}
            </pre>
          </td>
        </tr>
      ) : null}
    </Fragment>
  );
}
