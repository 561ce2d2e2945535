import { EmptyState, ErrorNote, Loading } from './ui.tsx';
import { useStreamSyncs } from '../graphql/useStreamSyncs.ts';
import { Link } from '../history-router.tsx';
import { SyncCard } from './SyncCard.tsx';

/** The stream's syncs as cards; syncs created or deleted elsewhere come and go without a reload. */
export function SyncsTab({ streamId }: { streamId: string }) {
  const { syncs, loading, error } = useStreamSyncs(streamId);
  const newSync = `/streams/${streamId}/syncs/new`;
  if (loading) return <Loading what="syncs" />;
  if (error) return <ErrorNote error={error} />;
  return (
    <>
      <div className="section-head">
        <h2>Syncs</h2>
        {syncs.length > 0 ? (
          <Link to={newSync} className="button">
            Create sync
          </Link>
        ) : null}
      </div>
      {syncs.length === 0 ? (
        <EmptyState title="No syncs yet">
          <p>A sync keeps the chosen collections of a provider account current in this stream.</p>
          <Link to={newSync} className="button">
            Create sync
          </Link>
        </EmptyState>
      ) : (
        <ul className="cards" aria-label="Syncs">
          {syncs.map((sync) => (
            <li key={sync.id}>
              <SyncCard sync={sync} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
