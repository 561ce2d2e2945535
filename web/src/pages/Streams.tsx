import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { EmptyState, ErrorNote, Field, formatTime, Loading } from '../components/ui.tsx';
import { listContext } from '../graphql/client.ts';
import { CreateStreamMutation, StreamsQuery, type CreateStreamData, type StreamsData } from '../graphql/operations.ts';
import { Link, navigate } from '../history-router.tsx';

const PAGE = 50;

export function StreamsPage() {
  const [creating, setCreating] = useState(false);
  return (
    <section className="page" aria-labelledby="streams-title">
      <div className="page-head">
        <h1 id="streams-title">Streams</h1>
        {!creating ? (
          <button type="button" onClick={() => setCreating(true)}>
            Create stream
          </button>
        ) : null}
      </div>
      {creating ? <CreateStreamForm onCancel={() => setCreating(false)} /> : null}
      <StreamList cursor={null} first onEmpty={() => setCreating(true)} />
    </section>
  );
}

function CreateStreamForm({ onCancel }: { onCancel: () => void }) {
  const [name, setName] = useState('');
  const [result, createStream] = useMutation<CreateStreamData, { name: string }>(CreateStreamMutation);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await createStream({ name: name.trim() });
    if (answer.data) navigate(`/streams/${answer.data.createStream.uuid}/syncs`);
  };
  return (
    <form className="card inline-form" onSubmit={(e) => void submit(e)} aria-label="Create stream">
      <Field label="Stream name" hint="For example dev or production.">
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} required autoFocus value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <ErrorNote error={result.error} />
      <div className="actions">
        <button type="submit" disabled={result.fetching || name.trim() === ''}>
          Create
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** One page of streams; "Load more" renders the next page below it. */
function StreamList({ cursor, first, onEmpty }: { cursor: string | null; first?: boolean; onEmpty?: () => void }) {
  const [{ data, fetching, error }] = useQuery<StreamsData>({ query: StreamsQuery, variables: { first: PAGE, after: cursor }, context: listContext.streams });
  const [more, setMore] = useState(false);
  if (fetching && !data) return <Loading what="streams" />;
  if (error) return <ErrorNote error={error} />;
  const streams = data?.streams.edges.map((e) => e.node) ?? [];
  if (first && streams.length === 0) {
    return (
      <EmptyState title="Welcome to Syncline">
        <p>Create your first stream: syncs store their records in it and consumers read from it.</p>
        <button type="button" onClick={onEmpty}>
          Create your first stream
        </button>
      </EmptyState>
    );
  }
  const pageInfo = data?.streams.pageInfo;
  return (
    <>
      <ul className="list" aria-label={first ? 'Streams' : undefined}>
        {streams.map((stream) => (
          <li key={stream.id} className="list-item">
            <Link to={`/streams/${stream.uuid}/syncs`} className="list-link">
              <strong>{stream.name}</strong>
              <span className="muted mono">{stream.uuid}</span>
              <span className="muted">created {formatTime(stream.createdAt)}</span>
            </Link>
          </li>
        ))}
      </ul>
      {more && pageInfo?.endCursor ? <StreamList cursor={pageInfo.endCursor} /> : null}
      {!more && pageInfo?.hasNextPage ? (
        <button type="button" className="secondary" onClick={() => setMore(true)}>
          Load more streams
        </button>
      ) : null}
    </>
  );
}
