import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, type CombinedError } from 'urql';
import { PostgresConsumerFields, initialPostgresForm, postgresSettings, type PostgresFormValue } from '../components/PostgresConsumerFields.tsx';
import { SecretOnce } from '../components/SecretOnce.tsx';
import { fieldError, ServerErrorNote, serverProblems } from '../components/ServerError.tsx';
import { initialStartPosition, StartPositionFields, startPositionInput, type StartPositionValue } from '../components/StartPositionFields.tsx';
import { Field } from '../components/ui.tsx';
import { WebhookConsumerFields, initialWebhookForm, webhookSettings, type WebhookFormValue } from '../components/WebhookConsumerFields.tsx';
import {
  CreateHttpConsumerMutation,
  CreateNatsConsumerMutation,
  CreatePostgresConsumerMutation,
  CreateWebhookConsumerMutation,
  SyncsQuery,
  type ConsumerKind,
  type CreateHttpConsumerData,
  type CreateNatsConsumerData,
  type CreatePostgresConsumerData,
  type CreateWebhookConsumerData,
  type HttpConsumerInput,
  type NatsConsumerInput,
  type PostgresConsumerInput,
  type SyncsData,
  type WebhookConsumerInput,
} from '../graphql/operations.ts';
import { listContext } from '../graphql/client.ts';
import { Link, navigate } from '../history-router.tsx';

const KINDS: { kind: ConsumerKind; label: string }[] = [
  { kind: 'http', label: 'HTTP pull (/next, /ack)' },
  { kind: 'nats', label: 'NATS JetStream' },
  { kind: 'webhook', label: 'Webhook (signed POSTs to your endpoint)' },
  { kind: 'postgres', label: 'PostgreSQL (rows in your table)' },
];

/** Create a consumer of any kind: the filter and start position every kind takes, then the kind's own settings. */
export function CreateConsumerPage({ streamId }: { streamId: string }) {
  const [{ data: syncs }] = useQuery<SyncsData>({ query: SyncsQuery, variables: { streamId, first: 50 }, context: listContext.syncs });
  const [kind, setKind] = useState<ConsumerKind>('http');
  const [name, setName] = useState('');
  const [syncId, setSyncId] = useState('');
  const [start, setStart] = useState<StartPositionValue>(initialStartPosition);
  const [ackWaitSeconds, setAckWaitSeconds] = useState(60);
  const [maxDeliver, setMaxDeliver] = useState(-1);
  const [messageKind, setMessageKind] = useState<'record' | 'event'>('record');
  const [nats, setNats] = useState({ host: '127.0.0.1', port: 4222, tls: false, subjectPrefix: 'sequin-records', user: '', password: '' });
  const [webhook, setWebhook] = useState<WebhookFormValue>(initialWebhookForm);
  const [postgres, setPostgres] = useState<PostgresFormValue>(initialPostgresForm);
  const [refusal, setRefusal] = useState<CombinedError | null>(null);
  const [created, setCreated] = useState<{ uuid: string; secret: string } | null>(null);
  const [httpResult, createHttp] = useMutation<CreateHttpConsumerData, { input: HttpConsumerInput }>(CreateHttpConsumerMutation);
  const [natsResult, createNats] = useMutation<CreateNatsConsumerData, { input: NatsConsumerInput }>(CreateNatsConsumerMutation);
  const [webhookResult, createWebhook] = useMutation<CreateWebhookConsumerData, { input: WebhookConsumerInput }>(CreateWebhookConsumerMutation);
  const [postgresResult, createPostgres] = useMutation<CreatePostgresConsumerData, { input: PostgresConsumerInput }>(CreatePostgresConsumerMutation);
  const busy = httpResult.fetching || natsResult.fetching || webhookResult.fetching || postgresResult.fetching;
  const problems = serverProblems(refusal);
  const consumerPath = (k: ConsumerKind, uuid: string) => `/streams/${streamId}/consumers/${k}/${uuid}`;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setRefusal(null);
    const common = { name: name.trim(), streamId, ...startPositionInput(start), ...(syncId ? { syncId } : {}) };
    if (kind === 'http') {
      const answer = await createHttp({ input: { ...common, messageKind, ackWaitMs: Math.round(ackWaitSeconds * 1000), maxDeliver } });
      if (answer.data) navigate(consumerPath('http', answer.data.createHttpConsumer.uuid));
      else setRefusal(answer.error ?? null);
    } else if (kind === 'nats') {
      const server = { host: nats.host, port: nats.port, tls: nats.tls, ...(nats.user ? { user: nats.user, password: nats.password } : {}) };
      const answer = await createNats({ input: { ...common, messageKind, subjectPrefix: nats.subjectPrefix, nats: server } });
      if (answer.data) navigate(consumerPath('nats', answer.data.createNatsConsumer.uuid));
      else setRefusal(answer.error ?? null);
    } else if (kind === 'webhook') {
      const answer = await createWebhook({ input: { ...common, messageKind, ...webhookSettings(webhook) } });
      // The secret exists in clear only in this answer: show it here before going on.
      if (answer.data) setCreated({ uuid: answer.data.createWebhookConsumer.webhookConsumer.uuid, secret: answer.data.createWebhookConsumer.secret });
      else setRefusal(answer.error ?? null);
    } else {
      const answer = await createPostgres({ input: { ...common, messageKind, ...postgresSettings(postgres) } });
      if (answer.data) navigate(consumerPath('postgres', answer.data.createPostgresConsumer.uuid));
      else setRefusal(answer.error ?? null);
    }
  };

  const breadcrumb = (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <Link to="/streams">Streams</Link> / <Link to={`/streams/${streamId}/consumers`}>Stream</Link> / <span aria-current="page">Create consumer</span>
    </nav>
  );

  if (created) {
    return (
      <section className="page" aria-labelledby="create-consumer-title">
        {breadcrumb}
        <h1 id="create-consumer-title">Webhook consumer {name.trim()} created</h1>
        <SecretOnce title="Signing secret" secret={created.secret}>
          <div className="actions">
            <button type="button" onClick={() => navigate(consumerPath('webhook', created.uuid))}>
              I have copied it: go to the consumer
            </button>
          </div>
        </SecretOnce>
      </section>
    );
  }

  return (
    <section className="page" aria-labelledby="create-consumer-title">
      {breadcrumb}
      <h1 id="create-consumer-title">Create consumer</h1>
      <form className="stack" onSubmit={(e) => void submit(e)} aria-label="Consumer settings">
        <fieldset className="card">
          <legend>Kind</legend>
          <div className="radio-row">
            {KINDS.map((k) => (
              <label className="checkbox" key={k.kind}>
                <input
                  type="radio"
                  name="kind"
                  value={k.kind}
                  checked={kind === k.kind}
                  onChange={() => {
                    setKind(k.kind);
                    setRefusal(null);
                  }}
                />{' '}
                {k.label}
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset className="card">
          <legend>Configuration</legend>
          <Field label="Consumer name" error={fieldError(problems, 'name', ['consumer_name_taken'])}>
            {(id, describedBy, invalid) => (
              <input id={id} required aria-describedby={describedBy} aria-invalid={invalid || undefined} value={name} onChange={(e) => setName(e.target.value)} placeholder="my-app" />
            )}
          </Field>
          <Field label="Sync" hint="Only records of this sync; all syncs of the stream otherwise." error={fieldError(problems, 'syncId')}>
            {(id, describedBy, invalid) => (
              <select id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} value={syncId} onChange={(e) => setSyncId(e.target.value)}>
                <option value="">All syncs</option>
                {syncs?.syncs.edges.map(({ node }) => (
                  <option key={node.uuid} value={node.uuid}>
                    {node.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <StartPositionFields value={start} onChange={setStart} errorOf={(path) => fieldError(problems, path, path === 'deliverPolicy' ? ['invalid_start_position'] : [])} />
          <Field label="Messages" hint="Records: each record's latest version. Change events: every version, with the previous values of the fields it changed.">
            {(id, describedBy) => (
              <select
                id={id}
                aria-describedby={describedBy}
                value={messageKind}
                onChange={(e) => {
                  const next = e.target.value === 'event' ? 'event' : 'record';
                  setMessageKind(next);
                  // The default prefix of each kind of message, unless the user typed one.
                  if (nats.subjectPrefix === 'sequin-records' || nats.subjectPrefix === 'syncline-events') setNats({ ...nats, subjectPrefix: next === 'event' ? 'syncline-events' : 'sequin-records' });
                  // Change events go to a table of their own shape, where nothing is deleted.
                  const table = postgres.table === 'public.syncline_records' || postgres.table === 'public.syncline_events' ? (next === 'event' ? 'public.syncline_events' : 'public.syncline_records') : postgres.table;
                  setPostgres({ ...postgres, table, deletes: next === 'event' ? 'mark' : postgres.deletes });
                }}
              >
                <option value="record">Records</option>
                <option value="event">Change events</option>
              </select>
            )}
          </Field>
          {kind === 'http' ? (
            <div className="row">
              <Field label="Ack wait (seconds)" hint="Unacknowledged messages are redelivered after this.">
                {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="number" min={1} value={ackWaitSeconds} onChange={(e) => setAckWaitSeconds(Number(e.target.value))} />}
              </Field>
              <Field label="Max deliveries" hint="-1 means no maximum.">
                {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="number" min={-1} value={maxDeliver} onChange={(e) => setMaxDeliver(Number(e.target.value))} />}
              </Field>
            </div>
          ) : null}
          {kind === 'nats' ? <NatsFields value={nats} onChange={setNats} /> : null}
          {kind === 'webhook' ? <WebhookConsumerFields value={webhook} onChange={setWebhook} problems={problems} /> : null}
          {kind === 'postgres' ? <PostgresConsumerFields value={postgres} onChange={setPostgres} problems={problems} /> : null}
        </fieldset>
        <ServerErrorNote problems={problems} />
        <div className="actions">
          <button type="submit" disabled={busy || name.trim() === ''}>
            Create
          </button>
          <Link to={`/streams/${streamId}/consumers`} className="button secondary">
            Cancel
          </Link>
        </div>
      </form>
    </section>
  );
}

type NatsValue = { host: string; port: number; tls: boolean; subjectPrefix: string; user: string; password: string };

function NatsFields({ value, onChange }: { value: NatsValue; onChange: (next: NatsValue) => void }) {
  return (
    <>
      <div className="row">
        <Field label="NATS host">{(id) => <input id={id} required value={value.host} onChange={(e) => onChange({ ...value, host: e.target.value })} />}</Field>
        <Field label="NATS port">{(id) => <input id={id} type="number" min={1} max={65535} value={value.port} onChange={(e) => onChange({ ...value, port: Number(e.target.value) })} />}</Field>
        <label className="checkbox">
          <input type="checkbox" checked={value.tls} onChange={(e) => onChange({ ...value, tls: e.target.checked })} /> TLS
        </label>
      </div>
      <Field label="Subject prefix" hint="Subjects are <prefix>.<sync_id>.<collection_id>.<upstream_id>.">
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} required value={value.subjectPrefix} onChange={(e) => onChange({ ...value, subjectPrefix: e.target.value })} />}
      </Field>
      <div className="row">
        <Field label="NATS user (optional)">{(id) => <input id={id} autoComplete="off" value={value.user} onChange={(e) => onChange({ ...value, user: e.target.value })} />}</Field>
        <Field label="NATS password (optional)">{(id) => <input id={id} type="password" autoComplete="off" value={value.password} onChange={(e) => onChange({ ...value, password: e.target.value })} />}</Field>
      </div>
    </>
  );
}
