import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { ErrorNote, Field } from './ui.tsx';
import { listContext } from '../graphql/client.ts';
import { CreateOAuthAppMutation, OAuthAppsQuery, type CreateOAuthAppData, type OAuthAppsData, type Provider } from '../graphql/operations.ts';

/** The provider's OAuth apps (client id + secret registered with the provider), with an inline "add". */
export function OAuthAppSelect({ provider, value, onChange }: { provider: Provider; value: string; onChange: (id: string) => void }) {
  const [{ data, error }] = useQuery<OAuthAppsData>({ query: OAuthAppsQuery, context: listContext.oauthApps });
  const apps = (data?.oauthApps.edges.map((e) => e.node) ?? []).filter((a) => a.provider === provider.name);
  const [adding, setAdding] = useState(false);
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [result, create] = useMutation<CreateOAuthAppData, { provider: string; clientId: string; clientSecret: string }>(CreateOAuthAppMutation);

  const save = async () => {
    const answer = await create({ provider: provider.name, clientId: clientId.trim(), clientSecret: clientSecret.trim() });
    if (answer.data) {
      onChange(answer.data.createOAuthApp.uuid);
      setAdding(false);
    }
  };

  return (
    <div className="stack">
      <ErrorNote error={error} />
      <div className="row align-end">
        <Field label="OAuth app">
          {(id) => (
            <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
              <option value="">{apps.length === 0 ? 'No OAuth app yet — add one' : 'Choose an OAuth app…'}</option>
              {apps.map((app) => (
                <option key={app.uuid} value={app.uuid}>
                  {app.clientId}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="button" className="secondary" aria-expanded={adding} onClick={() => setAdding(!adding)}>
          Add OAuth app
        </button>
      </div>
      {adding ? (
        <div role="group" aria-label="New OAuth app" className="row align-end">
          <Field label="Client id">{(id) => <input id={id} value={clientId} onChange={(e) => setClientId(e.target.value)} />}</Field>
          <Field label="Client secret">{(id) => <input id={id} type="password" autoComplete="off" value={clientSecret} onChange={(e) => setClientSecret(e.target.value)} />}</Field>
          <button type="button" onClick={() => void save()} disabled={result.fetching || !clientId.trim() || !clientSecret.trim()}>
            Save OAuth app
          </button>
        </div>
      ) : null}
      <ErrorNote error={result.error} />
    </div>
  );
}
