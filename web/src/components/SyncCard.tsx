import { ScrollRegion } from './ScrollRegion.tsx';
import { useMutation, useSubscription } from 'urql';
import { Badge, ErrorNote, formatTime, ProgressBar, stateTone } from './ui.tsx';
import { DeleteSyncMutation, SyncLifecycleMutations, SyncStatusSubscription, type CollectionStatus, type Sync, type SyncStatus, type SyncStatusChangedData } from '../graphql/operations.ts';

/** One sync: its live status (syncStatusChanged), backfill progress per collection, last error. */
export function SyncCard({ sync }: { sync: Sync }) {
  const [live] = useSubscription<SyncStatusChangedData, SyncStatus>(
    { query: SyncStatusSubscription, variables: { syncId: sync.uuid } },
    (_previous, data) => data.syncStatusChanged,
  );
  const status = live.data ?? sync.status;
  const [pauseResult, pause] = useMutation(SyncLifecycleMutations.pause);
  const [resumeResult, resume] = useMutation(SyncLifecycleMutations.resume);
  const [resyncResult, resync] = useMutation(SyncLifecycleMutations.resync);
  const [deleteResult, deleteSync] = useMutation(DeleteSyncMutation);
  const remove = () => {
    if (!window.confirm(`Delete the sync ${sync.name}? It stops syncing; the records it wrote stay in the stream.`)) return;
    void deleteSync({ id: sync.uuid }, { additionalTypenames: ['Sync'] });
  };
  const titleId = `sync-${sync.uuid}`;
  return (
    <article className="card sync-card" aria-labelledby={titleId} data-sync-id={sync.uuid}>
      <header className="card-head">
        <h3 id={titleId}>{sync.name}</h3>
        <Badge tone={stateTone(status.state)}>
          <span data-testid="sync-state">{status.state}</span>
        </Badge>
      </header>
      <dl className="facts">
        <div>
          <dt>Provider</dt>
          <dd>{sync.provider}</dd>
        </div>
        <div>
          <dt>Sync id</dt>
          <dd className="mono">{sync.uuid}</dd>
        </div>
        {sync.externalId !== null ? (
          <div>
            <dt>External id</dt>
            <dd className="mono">{sync.externalId}</dd>
          </div>
        ) : null}
        <div>
          <dt>Rate limit</dt>
          <dd>
            {sync.rateLimit.allowedRequests} requests / {sync.rateLimit.interval}s, {sync.rateLimit.maxConcurrentRequests || 'unlimited'} concurrent
          </dd>
        </div>
        <div>
          <dt>Requests made</dt>
          <dd>{status.requestsMade}</dd>
        </div>
        <div>
          <dt>Rate-limit waits</dt>
          <dd>{(status.rateLimitWaitMs / 1000).toFixed(1)}s</dd>
        </div>
        <div>
          <dt>Last poll</dt>
          <dd>{formatTime(status.lastPollAt)}</dd>
        </div>
        {sync.webhooks.enabled ? (
          <div>
            <dt>Webhooks</dt>
            <dd>
              {sync.webhooks.registration.state}
              {sync.webhooks.registration.error ? `: ${sync.webhooks.registration.error}` : ''}
            </dd>
          </div>
        ) : null}
      </dl>
      {sync.webhooks.enabled && sync.webhooks.registration.state === 'manual' ? (
        <div className="note" data-testid="webhook-setup">
          <p>
            Webhook URL: <code className="mono">{sync.webhooks.url}</code> (signing secret {sync.webhooks.signingSecretSet ? 'set' : 'not set'})
          </p>
          {sync.webhooks.manualSetup ? <p>{sync.webhooks.manualSetup}</p> : null}
        </div>
      ) : null}
      {status.lastError ? (
        <p role="alert" className="error">
          Last error ({status.lastError.code}
          {status.lastError.collectionId ? `, ${status.lastError.collectionId}` : ''}, {formatTime(status.lastError.at)}): {status.lastError.message}
        </p>
      ) : null}
      <ScrollRegion label={`Collections of ${sync.name}`}>
      <table className="table">
        <caption className="visually-hidden">Collections of {sync.name}</caption>
        <thead>
          <tr>
            <th scope="col">Collection</th>
            <th scope="col">Backfill</th>
            <th scope="col">Records</th>
            <th scope="col">Changes</th>
            <th scope="col">Requests</th>
            <th scope="col" title="Requests spent only on finding deleted objects">Delete checks</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {status.collections.map((collection) => (
            <CollectionRow key={collection.collectionId} collection={collection} />
          ))}
        </tbody>
      </table>
      </ScrollRegion>
      <ErrorNote error={pauseResult.error ?? resumeResult.error ?? resyncResult.error ?? deleteResult.error} />
      <div className="actions">
        {status.state === 'paused' ? (
          <button type="button" className="secondary small" onClick={() => void resume({ id: sync.uuid })}>
            Resume
          </button>
        ) : (
          <button type="button" className="secondary small" onClick={() => void pause({ id: sync.uuid })}>
            Pause
          </button>
        )}
        <button type="button" className="secondary small" onClick={() => void resync({ id: sync.uuid })}>
          Resync
        </button>
        <button type="button" className="secondary small danger" onClick={remove} aria-label={`Delete sync ${sync.name}`}>
          Delete
        </button>
      </div>
    </article>
  );
}

function CollectionRow({ collection }: { collection: CollectionStatus }) {
  const { backfill } = collection;
  const percent = backfill.done ? 100 : backfill.percent;
  return (
    <tr data-collection={collection.collectionId}>
      <th scope="row" className="mono">
        {collection.collectionId}
      </th>
      <td>
        <ProgressBar label={`Backfill of ${collection.collectionId}`} percent={percent} />
        <span className="muted small-text">{backfill.done ? 'done' : percent == null ? `${backfill.pages} pages` : `${percent.toFixed(0)}%`}</span>
      </td>
      <td data-testid="collection-records">{collection.records}</td>
      <td>{collection.changesFetched}</td>
      <td data-testid="collection-requests">{collection.requestsMade}</td>
      <td data-testid="collection-delete-checks">{collection.deleteDetectionRequests}</td>
      <td className={collection.lastError ? 'error-text' : 'muted'}>{collection.lastError ?? '—'}</td>
    </tr>
  );
}
