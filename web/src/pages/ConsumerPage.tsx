import { useQuery } from 'urql';
import { CodeSnippet } from '../components/CodeSnippet.tsx';
import { DeleteConsumer } from '../components/DeleteConsumer.tsx';
import { PostgresConsumerView } from '../components/PostgresConsumerView.tsx';
import { PushStateBadge, formatLagSeconds } from '../components/PushStatus.tsx';
import { ResetConsumer } from '../components/ResetConsumer.tsx';
import { Badge, ErrorNote, formatTime, Loading } from '../components/ui.tsx';
import { WebhookConsumerView } from '../components/WebhookConsumerView.tsx';
import { HttpConsumerQuery, NatsConsumerQuery, type ConsumerKind, type HttpConsumer, type HttpConsumerData, type NatsConsumer, type NatsConsumerData } from '../graphql/operations.ts';
import { Link, navigate } from '../history-router.tsx';
import { curlAck, curlNext, nodeNextAndAck } from '../snippets.ts';
import { usePolling } from '../usePolling.ts';

export function ConsumerPage({ streamId, kind, consumerId, token }: { streamId: string; kind: ConsumerKind; consumerId: string; token: string }) {
  return (
    <section className="page" aria-labelledby="consumer-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/streams">Streams</Link> / <Link to={`/streams/${streamId}/consumers`}>Consumers</Link> / <span aria-current="page">Consumer</span>
      </nav>
      {kind === 'http' ? <HttpConsumerView consumerId={consumerId} token={token} /> : null}
      {kind === 'nats' ? <NatsConsumerView consumerId={consumerId} /> : null}
      {kind === 'webhook' ? <WebhookConsumerView consumerId={consumerId} /> : null}
      {kind === 'postgres' ? <PostgresConsumerView consumerId={consumerId} /> : null}
      {kind === 'http' || kind === 'nats' ? <ResetConsumer kind={kind} consumerId={consumerId} /> : null}
      <DeleteConsumer kind={kind} consumerId={consumerId} onDeleted={() => navigate(`/streams/${streamId}/consumers`)} />
    </section>
  );
}

function HttpConsumerView({ consumerId, token }: { consumerId: string; token: string }) {
  const [{ data, fetching, error }, reexecute] = useQuery<HttpConsumerData>({ query: HttpConsumerQuery, variables: { id: consumerId }, requestPolicy: 'cache-and-network' });
  usePolling(reexecute, 1000);
  if (fetching && !data) return <Loading what="consumer" />;
  const consumer = data?.httpConsumer;
  if (!consumer) return <ErrorNote error={error ?? `No consumer ${consumerId}`} />;
  const target = { origin: window.location.origin, consumerId: consumer.uuid, token };
  return (
    <>
      <div className="page-head">
        <h1 id="consumer-title">{consumer.name}</h1>
        <Badge tone="info">HTTP pull</Badge>
      </div>
      <PendingCounts consumer={consumer} />
      <HttpConsumerConfig consumer={consumer} />
      <section aria-labelledby="snippets-title" className="card">
        <h2 id="snippets-title">Code snippets</h2>
        <p className="hint">These carry your API token and this consumer's id: they are ready to run. /next leases a batch; ack each message with its ack_token before the ack wait runs out.</p>
        <CodeSnippet title="/next with curl" name="curl-next" code={curlNext(target)} />
        <CodeSnippet title="/ack with curl" name="curl-ack" code={curlAck(target)} />
        <CodeSnippet title="Node.js (next + ack), save as consume.mjs and run with node" name="node-next-ack" code={nodeNextAndAck(target)} />
      </section>
    </>
  );
}

function PendingCounts({ consumer }: { consumer: HttpConsumer }) {
  return (
    <dl className="stats" aria-label="Delivery counts" aria-live="polite">
      <div>
        <dt>num pending</dt>
        <dd data-testid="num-pending">{consumer.numPending}</dd>
      </div>
      <div>
        <dt>num ack pending</dt>
        <dd data-testid="num-ack-pending">{consumer.numAckPending}</dd>
      </div>
      <div>
        <dt>dead</dt>
        <dd>{consumer.numDead}</dd>
      </div>
    </dl>
  );
}

function HttpConsumerConfig({ consumer }: { consumer: HttpConsumer }) {
  return (
    <section aria-labelledby="config-title" className="card">
      <h2 id="config-title">Configuration</h2>
      <dl className="facts">
        <div>
          <dt>Consumer id</dt>
          <dd className="mono">{consumer.uuid}</dd>
        </div>
        <div>
          <dt>Sync</dt>
          <dd className="mono">{consumer.syncId ?? 'all syncs'}</dd>
        </div>
        <div>
          <dt>Deliver policy</dt>
          <dd>{consumer.deliverPolicy}</dd>
        </div>
        <div>
          <dt>Messages</dt>
          <dd>{consumer.messageKind === 'event' ? 'change events' : 'records'}</dd>
        </div>
        <div>
          <dt>Ack wait</dt>
          <dd>{consumer.ackWaitMs / 1000}s</dd>
        </div>
        <div>
          <dt>Max deliveries</dt>
          <dd>{consumer.maxDeliver}</dd>
        </div>
        <div>
          <dt>Max ack pending</dt>
          <dd>{consumer.maxAckPending}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatTime(consumer.createdAt)}</dd>
        </div>
      </dl>
    </section>
  );
}

function NatsConsumerView({ consumerId }: { consumerId: string }) {
  const [{ data, fetching, error }, reexecute] = useQuery<NatsConsumerData>({ query: NatsConsumerQuery, variables: { id: consumerId }, requestPolicy: 'cache-and-network' });
  usePolling(reexecute, 2000);
  if (fetching && !data) return <Loading what="consumer" />;
  const consumer = data?.natsConsumer;
  if (!consumer) return <ErrorNote error={error ?? `No consumer ${consumerId}`} />;
  return (
    <>
      <div className="page-head">
        <h1 id="consumer-title">{consumer.name}</h1>
        <Badge tone="muted">NATS</Badge>
        <PushStateBadge state={consumer.state} />
      </div>
      <NatsStats consumer={consumer} />
      {consumer.lastError ? (
        <p role="alert" className="error">
          Last error ({formatTime(consumer.lastError.at)}): {consumer.lastError.message}
        </p>
      ) : null}
      <section aria-labelledby="nats-snippet-title" className="card">
        <h2 id="nats-snippet-title">Read it with the nats CLI</h2>
        <CodeSnippet
          title="Create a stream and a consumer, take one message"
          name="nats-cli"
          code={[
            `nats --server ${consumer.nats.tls ? 'tls' : 'nats'}://${consumer.nats.host}:${consumer.nats.port} stream add SYNCLINE-RECORDS --subjects "${consumer.subjectPrefix}.>" --max-msgs-per-subject=1 --discard=old --defaults`,
            `nats --server ${consumer.nats.tls ? 'tls' : 'nats'}://${consumer.nats.host}:${consumer.nats.port} consumer add SYNCLINE-RECORDS --pull --deliver=all --ack=explicit --defaults my_consumer`,
            `nats --server ${consumer.nats.tls ? 'tls' : 'nats'}://${consumer.nats.host}:${consumer.nats.port} consumer next SYNCLINE-RECORDS my_consumer`,
          ].join('\n')}
        />
      </section>
    </>
  );
}

function NatsStats({ consumer }: { consumer: NatsConsumer }) {
  return (
    <dl className="stats" aria-label="Publishing counts" aria-live="polite">
      <div>
        <dt>lag (records not yet published)</dt>
        <dd data-testid="nats-lag">{consumer.lag}</dd>
      </div>
      <div>
        <dt>lag (time)</dt>
        <dd>{formatLagSeconds(consumer.lagSeconds)}</dd>
      </div>
      <div>
        <dt>messages published</dt>
        <dd>{consumer.messagesPublished}</dd>
      </div>
      <div>
        <dt>messages</dt>
        <dd>{consumer.messageKind === 'event' ? 'change events' : 'records'}</dd>
      </div>
      <div>
        <dt>subjects</dt>
        <dd className="mono">
          {consumer.subjectPrefix}.{consumer.syncId ?? '<sync_id>'}.{consumer.messageKind === 'event' ? '<collection_id>.<action>.<upstream_id>.<updated_idx>' : '…'}
        </dd>
      </div>
    </dl>
  );
}
