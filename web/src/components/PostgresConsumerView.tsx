import { useQuery } from 'urql';
import { CodeSnippet } from './CodeSnippet.tsx';
import { DeliveryLog } from './DeliveryLog.tsx';
import { Fact, SelectionFacts } from './Facts.tsx';
import { PushStateBadge, PushStatusStats } from './PushStatus.tsx';
import { ResetConsumer } from './ResetConsumer.tsx';
import { Badge, ErrorNote, formatTime, Loading } from './ui.tsx';
import { PostgresConsumerQuery, PostgresDeliveriesQuery, type PostgresConsumer, type PostgresConsumerData, type PostgresDeliveriesData } from '../graphql/operations.ts';
import { postgresQueries, psqlCommand, type PostgresTarget } from '../snippets.ts';
import { usePolling } from '../usePolling.ts';

export function PostgresConsumerView({ consumerId }: { consumerId: string }) {
  const [{ data, fetching, error }, reexecute] = useQuery<PostgresConsumerData>({ query: PostgresConsumerQuery, variables: { id: consumerId }, requestPolicy: 'cache-and-network' });
  usePolling(reexecute, 2000);
  if (fetching && !data) return <Loading what="consumer" />;
  const consumer = data?.postgresConsumer;
  if (!consumer) return <ErrorNote error={error ?? `No PostgreSQL consumer ${consumerId}`} />;
  const target: PostgresTarget = {
    host: consumer.connection.host,
    port: consumer.connection.port,
    database: consumer.connection.database,
    user: consumer.connection.user,
    sslMode: consumer.connection.sslMode,
    table: consumer.table,
    syncId: consumer.syncId,
    deletes: consumer.deletes,
  };
  return (
    <>
      <div className="page-head">
        <h1 id="consumer-title">{consumer.name}</h1>
        <Badge tone="muted">PostgreSQL</Badge>
        <PushStateBadge state={consumer.state} />
      </div>
      <PushStatusStats status={consumer} deliveredLabel="last committed" />
      <PostgresSettings consumer={consumer} />
      <section aria-labelledby="sql-title" className="card">
        <h2 id="sql-title">Read the table</h2>
        <p className="hint">
          {consumer.messageKind === 'event'
            ? 'One row per change event (every version), keyed by (sync_id, collection_id, upstream_id, updated_idx), with its action, changes and occurred_at; nothing is ever deleted.'
            : `One row per record at its latest version, keyed by (sync_id, collection_id, upstream_id); ${consumer.deletes === 'mark' ? 'a deleted record keeps its row with deleted = true.' : 'a deleted record’s row is removed.'}`}
        </p>
        <CodeSnippet title="Connect with psql" name="psql-connect" code={psqlCommand(target)} />
        <CodeSnippet title="SQL" name="postgres-sql" code={postgresQueries(target)} />
      </section>
      <DeliveryLog<PostgresDeliveriesData> query={PostgresDeliveriesQuery} consumerId={consumer.uuid} select={(d) => d.postgresConsumer?.deliveries} idField="batchId" idLabel="Batch id" />
      <ResetConsumer kind="postgres" consumerId={consumer.uuid} />
    </>
  );
}

function PostgresSettings({ consumer }: { consumer: PostgresConsumer }) {
  const c = consumer.connection;
  return (
    <section aria-labelledby="config-title" className="card">
      <h2 id="config-title">Configuration</h2>
      <dl className="facts">
        <Fact term="Consumer id" mono>
          {consumer.uuid}
        </Fact>
        <Fact term="Connection" mono>
          {c.url ?? `${c.user}@${c.host}:${c.port}/${c.database}`}
        </Fact>
        <Fact term="TLS">{c.sslMode}</Fact>
        <Fact term="Password" mono>
          {c.hasPassword ? (c.password ?? 'set') : 'none'}
        </Fact>
        <Fact term="Table" mono>
          <span data-testid="postgres-table">{consumer.table}</span>
        </Fact>
        <Fact term="Messages">{consumer.messageKind === 'event' ? 'change events' : 'records'}</Fact>
        <Fact term="Deleted records">{consumer.deletes === 'mark' ? 'marked (deleted = true)' : 'rows deleted'}</Fact>
        <Fact term="Create table">{consumer.createTable ? 'when missing' : 'no'}</Fact>
        <Fact term="Batch size">{consumer.batchSize} rows per transaction</Fact>
        <SelectionFacts consumer={consumer} />
        <Fact term="Created">{formatTime(consumer.createdAt)}</Fact>
      </dl>
    </section>
  );
}
