import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { ErrorNote, Field } from '../components/ui.tsx';
import {
  CreateHttpConsumerMutation,
  CreateNatsConsumerMutation,
  SyncsQuery,
  type CreateHttpConsumerData,
  type CreateNatsConsumerData,
  type HttpConsumerInput,
  type NatsConsumerInput,
  type SyncsData,
} from '../graphql/operations.ts';
import { listContext } from '../graphql/client.ts';
import { Link, navigate } from '../history-router.tsx';

type Kind = 'http' | 'nats';

/** Create an HTTP pull or a NATS consumer: deliver policy, ack wait, max deliveries (the seed's defaults). */
export function CreateConsumerPage({ streamId }: { streamId: string }) {
  const [{ data: syncs }] = useQuery<SyncsData>({ query: SyncsQuery, variables: { streamId, first: 50 }, context: listContext.syncs });
  const [kind, setKind] = useState<Kind>('http');
  const [name, setName] = useState('');
  const [syncId, setSyncId] = useState('');
  const [deliverPolicy, setDeliverPolicy] = useState('all');
  const [ackWaitSeconds, setAckWaitSeconds] = useState(60);
  const [maxDeliver, setMaxDeliver] = useState(-1);
  const [nats, setNats] = useState({ host: '127.0.0.1', port: 4222, tls: false, subjectPrefix: 'sequin-records', user: '', password: '' });
  const [httpResult, createHttp] = useMutation<CreateHttpConsumerData, { input: HttpConsumerInput }>(CreateHttpConsumerMutation);
  const [natsResult, createNats] = useMutation<CreateNatsConsumerData, { input: NatsConsumerInput }>(CreateNatsConsumerMutation);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const common = { name: name.trim(), streamId, deliverPolicy, ...(syncId ? { syncId } : {}) };
    if (kind === 'http') {
      const answer = await createHttp({ input: { ...common, ackWaitMs: Math.round(ackWaitSeconds * 1000), maxDeliver } });
      if (answer.data) navigate(`/streams/${streamId}/consumers/http/${answer.data.createHttpConsumer.uuid}`);
    } else {
      const server = { host: nats.host, port: nats.port, tls: nats.tls, ...(nats.user ? { user: nats.user, password: nats.password } : {}) };
      const answer = await createNats({ input: { ...common, subjectPrefix: nats.subjectPrefix, nats: server } });
      if (answer.data) navigate(`/streams/${streamId}/consumers/nats/${answer.data.createNatsConsumer.uuid}`);
    }
  };

  return (
    <section className="page" aria-labelledby="create-consumer-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/streams">Streams</Link> / <Link to={`/streams/${streamId}/consumers`}>Stream</Link> / <span aria-current="page">Create consumer</span>
      </nav>
      <h1 id="create-consumer-title">Create consumer</h1>
      <form className="stack" onSubmit={(e) => void submit(e)} aria-label="Consumer settings">
        <fieldset className="card">
          <legend>Kind</legend>
          <div className="radio-row">
            <label className="checkbox">
              <input type="radio" name="kind" value="http" checked={kind === 'http'} onChange={() => setKind('http')} /> HTTP pull (/next, /ack)
            </label>
            <label className="checkbox">
              <input type="radio" name="kind" value="nats" checked={kind === 'nats'} onChange={() => setKind('nats')} /> NATS JetStream
            </label>
          </div>
        </fieldset>
        <fieldset className="card">
          <legend>Configuration</legend>
          <Field label="Consumer name">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} placeholder="my-app" />}</Field>
          <Field label="Sync" hint="Only records of this sync; all syncs of the stream otherwise.">
            {(id, describedBy) => (
              <select id={id} aria-describedby={describedBy} value={syncId} onChange={(e) => setSyncId(e.target.value)}>
                <option value="">All syncs</option>
                {syncs?.syncs.edges.map(({ node }) => (
                  <option key={node.uuid} value={node.uuid}>
                    {node.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Deliver policy" hint="all: from the beginning of the stream; new: from the most recent message.">
            {(id, describedBy) => (
              <select id={id} aria-describedby={describedBy} value={deliverPolicy} onChange={(e) => setDeliverPolicy(e.target.value)}>
                <option value="all">all</option>
                <option value="new">new</option>
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
          ) : (
            <NatsFields value={nats} onChange={setNats} />
          )}
        </fieldset>
        <ErrorNote error={httpResult.error ?? natsResult.error} />
        <div className="actions">
          <button type="submit" disabled={httpResult.fetching || natsResult.fetching || name.trim() === ''}>
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
