import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { CodeSnippet } from '../components/CodeSnippet.tsx';
import { Badge, ErrorNote, Field, formatTime, Loading } from '../components/ui.tsx';
import {
  NotificationWebhookQuery,
  RemoveNotificationWebhookMutation,
  RotateNotificationWebhookSecretMutation,
  SetNotificationWebhookMutation,
  type NotificationWebhookData,
  type RemoveNotificationWebhookData,
  type RotateNotificationWebhookSecretData,
  type SetNotificationWebhookData,
} from '../graphql/operations.ts';

const refetch = { additionalTypenames: ['NotificationWebhook'] };

/** Account settings: where the account's failure notifications go (docs/OPERATIONS.md "Notifications"). */
export function SettingsPage() {
  const [{ data, fetching, error }, reexecute] = useQuery<NotificationWebhookData>({ query: NotificationWebhookQuery, context: refetch });
  const [secret, setSecret] = useState<string | null>(null);
  const reload = () => reexecute({ requestPolicy: 'network-only' });
  const webhook = data?.notificationWebhook ?? null;
  return (
    <section className="page" aria-labelledby="settings-title">
      <div className="page-head">
        <h1 id="settings-title">Settings</h1>
      </div>
      <h2 id="notifications-title">Notification webhook</h2>
      <p className="muted">
        Sync and consumer state changes (errors, recoveries, backfills completed, dead letters) are POSTed here, signed like webhook consumers' deliveries
        (Standard Webhooks), at most one per sync or consumer per interval.
      </p>
      {fetching && !data ? <Loading what="settings" /> : null}
      <ErrorNote error={error} />
      {data ? (
        <NotificationWebhookForm
          current={webhook?.url ?? ''}
          onSaved={(issued) => {
            if (issued) setSecret(issued);
            reload();
          }}
        />
      ) : null}
      {secret ? (
        <div className="card" role="status">
          <h3>Signing secret</h3>
          <p>Copy it now: it will not be shown again.</p>
          <CodeSnippet title="Signing secret" name="notification-secret" code={secret} />
        </div>
      ) : null}
      {webhook ? (
        <WebhookActions
          secretHint={webhook.secretHint}
          updatedAt={webhook.updatedAt}
          onRotated={setSecret}
          onRemoved={() => {
            setSecret(null);
            reload();
          }}
        />
      ) : data ? (
        <p>
          <Badge tone="muted">off</Badge> No notification webhook is set.
        </p>
      ) : null}
      {data && data.notificationDeliveries.length > 0 ? (
        <table className="table" aria-label="Notification attempts">
          <thead>
            <tr>
              <th scope="col">At</th>
              <th scope="col">Notification</th>
              <th scope="col">Answer</th>
            </tr>
          </thead>
          <tbody>
            {data.notificationDeliveries.slice(0, 20).map((d) => (
              <tr key={`${d.webhookId}-${d.at}`}>
                <td>{formatTime(d.at)}</td>
                <td className="mono">{d.type}</td>
                <td>{d.status !== null && d.status < 300 ? <Badge tone="ok">{d.status}</Badge> : <Badge tone="error">{d.error ?? d.status}</Badge>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function NotificationWebhookForm({ current, onSaved }: { current: string; onSaved: (secret: string | null) => void }) {
  const [url, setUrl] = useState(current);
  useEffect(() => setUrl(current), [current]);
  const [result, save] = useMutation<SetNotificationWebhookData, { url: string }>(SetNotificationWebhookMutation);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await save({ url: url.trim() });
    if (answer.data) onSaved(answer.data.setNotificationWebhook.secret);
  };
  return (
    <form className="card row align-end" onSubmit={(e) => void submit(e)} aria-label="Notification webhook">
      <Field label="Notification webhook URL">
        {(id) => <input id={id} type="url" required value={url} placeholder="https://example.com/syncline/notifications" onChange={(e) => setUrl(e.target.value)} />}
      </Field>
      <button type="submit" disabled={result.fetching || url.trim() === '' || url.trim() === current}>
        Save
      </button>
      <ErrorNote error={result.error} />
    </form>
  );
}

function WebhookActions({ secretHint, updatedAt, onRotated, onRemoved }: { secretHint: string; updatedAt: string; onRotated: (secret: string) => void; onRemoved: () => void }) {
  const [rotation, rotate] = useMutation<RotateNotificationWebhookSecretData>(RotateNotificationWebhookSecretMutation);
  const [removal, remove] = useMutation<RemoveNotificationWebhookData>(RemoveNotificationWebhookMutation);
  return (
    <div className="row">
      <span>
        <Badge tone="ok">on</Badge> Signing secret <span className="mono">{secretHint}</span>, changed {formatTime(updatedAt)}
      </span>
      <button
        type="button"
        className="secondary small"
        onClick={() =>
          void rotate({}).then((answer) => {
            const secret = answer.data?.rotateNotificationWebhookSecret.secret;
            if (secret) onRotated(secret);
          })
        }
      >
        Rotate secret
      </button>
      <button
        type="button"
        className="secondary small danger"
        onClick={() => {
          if (window.confirm('Stop notifications?')) void remove({}).then((answer) => answer.data && onRemoved());
        }}
      >
        Remove
      </button>
      <ErrorNote error={rotation.error ?? removal.error} />
    </div>
  );
}
