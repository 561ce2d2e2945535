import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { CodeSnippet } from './CodeSnippet.tsx';
import { DeadLetters } from './DeadLetters.tsx';
import { DeliveryLog } from './DeliveryLog.tsx';
import { PushStateBadge, PushStatusStats } from './PushStatus.tsx';
import { ResetConsumer } from './ResetConsumer.tsx';
import { SecretOnce } from './SecretOnce.tsx';
import { Fact, formatDuration, SelectionFacts } from './Facts.tsx';
import { Badge, ErrorNote, formatTime, Loading } from './ui.tsx';
import {
  RotateWebhookSecretMutation,
  WebhookConsumerQuery,
  WebhookDeliveriesQuery,
  type RotateWebhookSecretData,
  type WebhookConsumer,
  type WebhookConsumerData,
  type WebhookDeliveriesData,
} from '../graphql/operations.ts';
import { webhookReceiver } from '../snippets.ts';
import { usePolling } from '../usePolling.ts';

export function WebhookConsumerView({ consumerId }: { consumerId: string }) {
  const [{ data, fetching, error }, reexecute] = useQuery<WebhookConsumerData>({ query: WebhookConsumerQuery, variables: { id: consumerId }, requestPolicy: 'cache-and-network' });
  usePolling(reexecute, 2000);
  if (fetching && !data) return <Loading what="consumer" />;
  const consumer = data?.webhookConsumer;
  if (!consumer) return <ErrorNote error={error ?? `No webhook consumer ${consumerId}`} />;
  return (
    <>
      <div className="page-head">
        <h1 id="consumer-title">{consumer.name}</h1>
        <Badge tone="info">Webhook</Badge>
        <PushStateBadge state={consumer.state} />
      </div>
      <PushStatusStats status={consumer} />
      <DeliveryLog<WebhookDeliveriesData> query={WebhookDeliveriesQuery} consumerId={consumer.uuid} select={(d) => d.webhookConsumer?.deliveries} idField="webhookId" idLabel="Webhook id" />
      <DeadLetters consumerId={consumer.uuid} />
      <WebhookSettings consumer={consumer} />
      <RotateSecret consumer={consumer} />
      <ResetConsumer kind="webhook" consumerId={consumer.uuid} />
      <section aria-labelledby="receiver-title" className="card">
        <h2 id="receiver-title">Receive it</h2>
        <p className="hint">A Node receiver that verifies each delivery's signature with the standardwebhooks package (npm install standardwebhooks) and answers 204.</p>
        <CodeSnippet title="Node.js receiver, save as receiver.mjs" name="webhook-receiver" code={webhookReceiver(new URL(consumer.url).pathname)} />
      </section>
    </>
  );
}

function WebhookSettings({ consumer }: { consumer: WebhookConsumer }) {
  const headers = Object.entries(consumer.headers ?? {});
  return (
    <section aria-labelledby="config-title" className="card">
      <h2 id="config-title">Configuration</h2>
      <dl className="facts">
        <Fact term="Consumer id" mono>
          {consumer.uuid}
        </Fact>
        <Fact term="Endpoint URL" mono>
          {consumer.url}
        </Fact>
        <SelectionFacts consumer={consumer} />
        <Fact term="Messages">{consumer.messageKind === 'event' ? 'change events' : 'records'}</Fact>
        <Fact term="Batch size">{consumer.batchSize}</Fact>
        <Fact term="Max deliveries">{consumer.maxDeliver === -1 ? 'no limit (-1)' : consumer.maxDeliver}</Fact>
        <Fact term="Retry window">{formatDuration(consumer.retryWindowMs)}</Fact>
        <Fact term="Timeout">{consumer.timeoutMs / 1000} s</Fact>
        <Fact term="Batches in flight">{consumer.maxInFlight}</Fact>
        <Fact term="Signing secret" mono>
          <span data-testid="secret-hint">{consumer.secretHint}</span>
          {consumer.previousSecretValidUntil ? ` (the previous one signs too until ${formatTime(consumer.previousSecretValidUntil)})` : ''}
        </Fact>
        <Fact term="Headers" mono>
          {headers.length === 0 ? 'none' : headers.map(([name, hint]) => `${name}: ${hint}`).join(', ')}
        </Fact>
        <Fact term="Created">{formatTime(consumer.createdAt)}</Fact>
      </dl>
    </section>
  );
}

function RotateSecret({ consumer }: { consumer: WebhookConsumer }) {
  const [stopOldAtOnce, setStopOldAtOnce] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [result, rotate] = useMutation<RotateWebhookSecretData, { id: string; previousSecretValidMs?: number }>(RotateWebhookSecretMutation);
  const confirmAndRotate = async () => {
    const old = stopOldAtOnce ? 'The current secret stops signing at once: deliveries fail verification until your receiver has the new one.' : 'The current secret keeps signing beside the new one for 24 hours.';
    if (!window.confirm(`Rotate the signing secret of ${consumer.name}? ${old}`)) return;
    setSecret(null);
    const answer = await rotate({ id: consumer.uuid, ...(stopOldAtOnce ? { previousSecretValidMs: 0 } : {}) });
    if (answer.data) setSecret(answer.data.rotateWebhookConsumerSecret.secret);
  };
  return (
    <section aria-labelledby="rotate-title" className="card">
      <h2 id="rotate-title">Signing secret</h2>
      <p className="hint">
        The secret is shown only when it is made. Rotating makes a new one; deliveries carry both signatures while the old one stays valid, so your receiver can switch without refusing any.
      </p>
      <label className="checkbox">
        <input type="checkbox" checked={stopOldAtOnce} onChange={(e) => setStopOldAtOnce(e.target.checked)} /> Stop the current secret at once (it leaked)
      </label>
      <ErrorNote error={result.error} />
      <div className="actions">
        <button type="button" className="secondary" disabled={result.fetching} onClick={() => void confirmAndRotate()}>
          Rotate secret
        </button>
      </div>
      {secret ? <SecretOnce title="New signing secret" secret={secret} /> : null}
    </section>
  );
}
