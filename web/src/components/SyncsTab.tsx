import { useQuery } from 'urql';
import { EmptyState, ErrorNote, Loading } from './ui.tsx';
import { listContext } from '../graphql/client.ts';
import { SyncsQuery, type SyncsData } from '../graphql/operations.ts';
import { Link } from '../history-router.tsx';
import { SyncCard } from './SyncCard.tsx';

export function SyncsTab({ streamId }: { streamId: string }) {
  const [{ data, fetching, error }] = useQuery<SyncsData>({ query: SyncsQuery, variables: { streamId, first: 50 }, context: listContext.syncs });
  const newSync = `/streams/${streamId}/syncs/new`;
  if (fetching && !data) return <Loading what="syncs" />;
  if (error) return <ErrorNote error={error} />;
  const syncs = data?.syncs.edges.map((e) => e.node) ?? [];
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
