import { ScrollRegion } from './ScrollRegion.tsx';
import { useQuery } from 'urql';
import { Badge, EmptyState, ErrorNote, Loading } from './ui.tsx';
import { PushStateBadge, formatLagSeconds } from './PushStatus.tsx';
import { listContext } from '../graphql/client.ts';
import { ConsumersQuery, type ConsumerKind, type ConsumersData } from '../graphql/operations.ts';
import { Link } from '../history-router.tsx';
import { usePolling } from '../usePolling.ts';

const KIND_BADGES: Record<ConsumerKind, { label: string; tone: 'info' | 'muted' | 'ok' | 'warn' }> = {
  http: { label: 'HTTP pull', tone: 'info' },
  nats: { label: 'NATS', tone: 'muted' },
  webhook: { label: 'Webhook', tone: 'info' },
  postgres: { label: 'PostgreSQL', tone: 'muted' },
};

interface Row {
  kind: ConsumerKind;
  uuid: string;
  name: string;
  target: string | null;
  state: string | null;
  pending: number;
  lagSeconds: number | null;
  ackPending: number | null;
}

function rowsOf(stream: NonNullable<ConsumersData['stream']>): Row[] {
  const nodes = <T,>(c: { edges: { node: T }[] }) => c.edges.map((e) => e.node);
  return [
    ...nodes(stream.httpConsumers).map((c): Row => ({ kind: 'http', uuid: c.uuid, name: c.name, target: null, state: null, pending: c.numPending, lagSeconds: null, ackPending: c.numAckPending })),
    ...nodes(stream.natsConsumers).map((c): Row => ({ kind: 'nats', uuid: c.uuid, name: c.name, target: null, state: c.state, pending: c.lag, lagSeconds: c.lagSeconds, ackPending: null })),
    ...nodes(stream.webhookConsumers).map((c): Row => ({ kind: 'webhook', uuid: c.uuid, name: c.name, target: c.url, state: c.state, pending: c.lag, lagSeconds: c.lagSeconds, ackPending: null })),
    ...nodes(stream.postgresConsumers).map((c): Row => ({ kind: 'postgres', uuid: c.uuid, name: c.name, target: c.table, state: c.state, pending: c.lag, lagSeconds: c.lagSeconds, ackPending: null })),
  ];
}

const LIST_SIZE = 50;

export function ConsumersTab({ streamId }: { streamId: string }) {
  const [{ data, fetching, error }, reexecute] = useQuery<ConsumersData>({ query: ConsumersQuery, variables: { streamId, first: LIST_SIZE }, requestPolicy: 'cache-and-network', context: listContext.consumers });
  usePolling(reexecute, 2000);
  const newConsumer = `/streams/${streamId}/consumers/new`;
  if (fetching && !data) return <Loading what="consumers" />;
  if (error && !data) return <ErrorNote error={error} />;
  const stream = data?.stream;
  const rows = stream ? rowsOf(stream) : [];
  const truncated = stream ? [stream.httpConsumers, stream.natsConsumers, stream.webhookConsumers, stream.postgresConsumers].some((c) => c.pageInfo.hasNextPage) : false;
  return (
    <>
      <div className="section-head">
        <h2>Consumers</h2>
        <Link to={newConsumer} className="button">
          Create consumer
        </Link>
      </div>
      {rows.length === 0 ? (
        <EmptyState title="No consumers yet">
          <p>A consumer reads this stream with at-least-once delivery: HTTP pull (/next, /ack), or pushed to NATS JetStream, a webhook endpoint or a PostgreSQL table.</p>
        </EmptyState>
      ) : (
        <ScrollRegion label="Consumers of this stream">
          <table className="table">
            <caption className="visually-hidden">Consumers of this stream</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">State</th>
                <th scope="col">Pending / lag</th>
                <th scope="col">Lag (time)</th>
                <th scope="col">Ack pending</th>
                <th scope="col">Target</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={`${row.kind}-${row.uuid}`} data-kind={row.kind}>
                  <th scope="row">
                    <Link to={`/streams/${streamId}/consumers/${row.kind}/${row.uuid}`}>{row.name}</Link>
                  </th>
                  <td>
                    <Badge tone={KIND_BADGES[row.kind].tone}>{KIND_BADGES[row.kind].label}</Badge>
                  </td>
                  <td>{row.state ? <PushStateBadge state={row.state} /> : <span className="muted">pull</span>}</td>
                  <td data-testid="consumer-lag">{row.pending}</td>
                  <td>{row.lagSeconds === null ? '—' : formatLagSeconds(row.lagSeconds)}</td>
                  <td>{row.ackPending ?? '—'}</td>
                  <td className="mono truncate">{row.target ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
      {truncated ? <p className="hint">Only the first {LIST_SIZE} consumers of each kind are listed.</p> : null}
    </>
  );
}
