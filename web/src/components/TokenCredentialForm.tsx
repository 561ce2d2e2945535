import { useState } from 'react';
import { useMutation } from 'urql';
import { ErrorNote, Field } from './ui.tsx';
import { CreateCredentialMutation, type CreateCredentialData, type CredentialInput, type Provider } from '../graphql/operations.ts';
import { OAuthAppSelect } from './OAuthAppSelect.tsx';

const LABELS: Record<string, string> = { access_token: 'Access token / API key', refresh_token: 'Refresh token' };

/** A credential from a secret the person pastes (API key, private-app token, refresh token). */
export function TokenCredentialForm({ provider, onCreated }: { provider: Provider; onCreated: (credentialId: string) => void }) {
  const [kindName, setKindName] = useState(provider.credentialKinds[0]?.kind ?? '');
  const kind = provider.credentialKinds.find((k) => k.kind === kindName) ?? provider.credentialKinds[0];
  const [values, setValues] = useState<Record<string, string>>({});
  const [name, setName] = useState('');
  const [apiBaseUrl, setApiBaseUrl] = useState('');
  const [oauthAppId, setOauthAppId] = useState('');
  const [result, create] = useMutation<CreateCredentialData, { input: CredentialInput & { oauthAppId?: string } }>(CreateCredentialMutation);
  if (!kind) return null;

  const submit = async () => {
    const metadata = Object.fromEntries(kind.required.filter((r) => r.startsWith('metadata.')).map((r) => [r.slice('metadata.'.length), values[r] ?? '']));
    const input: CredentialInput & { oauthAppId?: string } = {
      kind: kind.kind,
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(values.access_token ? { secret: values.access_token } : {}),
      ...(values.refresh_token ? { refreshToken: values.refresh_token } : {}),
      ...(apiBaseUrl.trim() ? { apiBaseUrl: apiBaseUrl.trim() } : {}),
      ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
      ...(kind.needsOAuthApp && oauthAppId ? { oauthAppId } : {}),
    };
    const answer = await create({ input });
    if (answer.data) onCreated(answer.data.createCredential.uuid);
  };

  // Not a nested <form>: this sits inside the sync form, so it submits on its own button.
  return (
    <div role="group" aria-labelledby="token-credential-title" className="stack">
      <h3 id="token-credential-title">{provider.oauth ? 'Or enter a token' : `Add a ${provider.displayName} credential`}</h3>
      {provider.credentialKinds.length > 1 ? (
        <Field label="Credential kind">
          {(id) => (
            <select id={id} value={kind.kind} onChange={(e) => setKindName(e.target.value)}>
              {provider.credentialKinds.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.kind}
                </option>
              ))}
            </select>
          )}
        </Field>
      ) : null}
      <Field label="Credential name">{(id) => <input id={id} value={name} placeholder={`${provider.displayName} production`} onChange={(e) => setName(e.target.value)} />}</Field>
      {kind.required.map((field) => (
        <Field key={field} label={LABELS[field] ?? field.replace(/^metadata\./, '')}>
          {(id) => (
            <input
              id={id}
              type={field.startsWith('metadata.') ? 'text' : 'password'}
              autoComplete="off"
              value={values[field] ?? ''}
              onChange={(e) => setValues({ ...values, [field]: e.target.value })}
            />
          )}
        </Field>
      ))}
      {kind.needsOAuthApp ? <OAuthAppSelect provider={provider} value={oauthAppId} onChange={setOauthAppId} /> : null}
      <Field label="API base URL (optional)" hint="Only to point at an emulator or a sandbox host.">
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="url" value={apiBaseUrl} placeholder="https://…" onChange={(e) => setApiBaseUrl(e.target.value)} />}
      </Field>
      <ErrorNote error={result.error} />
      <div className="actions">
        <button type="button" onClick={() => void submit()} disabled={result.fetching}>
          Save credential
        </button>
      </div>
    </div>
  );
}
