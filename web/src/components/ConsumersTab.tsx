import { ScrollRegion } from './ScrollRegion.tsx';
import { useQuery } from 'urql';
import { Badge, EmptyState, ErrorNote, Loading } from './ui.tsx';
import { listContext } from '../graphql/client.ts';
import { ConsumersQuery, type ConsumersData } from '../graphql/operations.ts';
import { Link } from '../history-router.tsx';
import { usePolling } from '../usePolling.ts';

export function ConsumersTab({ streamId }: { streamId: string }) {
  const [{ data, fetching, error }, reexecute] = useQuery<ConsumersData>({ query: ConsumersQuery, requestPolicy: 'cache-and-network', context: listContext.consumers });
  usePolling(reexecute, 2000);
  const newConsumer = `/streams/${streamId}/consumers/new`;
  if (fetching && !data) return <Loading what="consumers" />;
  if (error && !data) return <ErrorNote error={error} />;
  const http = (data?.httpConsumers.edges.map((e) => e.node) ?? []).filter((c) => c.streamId === streamId);
  const nats = (data?.natsConsumers.edges.map((e) => e.node) ?? []).filter((c) => c.streamId === streamId);
  return (
    <>
      <div className="section-head">
        <h2>Consumers</h2>
        <Link to={newConsumer} className="button">
          Create consumer
        </Link>
      </div>
      {http.length + nats.length === 0 ? (
        <EmptyState title="No consumers yet">
          <p>A consumer reads this stream with at-least-once delivery: HTTP pull (/next, /ack) or NATS JetStream.</p>
        </EmptyState>
      ) : (
        <ScrollRegion label="Consumers of this stream">
        <table className="table">
          <caption className="visually-hidden">Consumers of this stream</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Pending</th>
              <th scope="col">Ack pending</th>
            </tr>
          </thead>
          <tbody>
            {http.map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  <Link to={`/streams/${streamId}/consumers/http/${c.uuid}`}>{c.name}</Link>
                </th>
                <td>
                  <Badge tone="info">HTTP pull</Badge>
                </td>
                <td>{c.numPending}</td>
                <td>{c.numAckPending}</td>
              </tr>
            ))}
            {nats.map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  <Link to={`/streams/${streamId}/consumers/nats/${c.uuid}`}>{c.name}</Link>
                </th>
                <td>
                  <Badge tone="muted">NATS</Badge>
                </td>
                <td>{c.lag}</td>
                <td>—</td>
              </tr>
            ))}
          </tbody>
        </table>
        </ScrollRegion>
      )}
    </>
  );
}
