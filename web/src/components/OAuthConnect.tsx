import { useState } from 'react';
import { ErrorNote, Field } from './ui.tsx';
import type { Provider } from '../graphql/operations.ts';
import { startOAuthConnect } from '../rest.ts';
import { OAuthAppSelect } from './OAuthAppSelect.tsx';

/**
 * "Connect Syncline to <provider>": the server hands out the consent URL; the provider sends the
 * browser to /v1/oauth/<provider>/callback, which creates the credential and comes back here with
 * ?credential_id=….
 */
export function OAuthConnect({ provider, token, returnTo }: { provider: Provider; token: string; returnTo: string }) {
  const [oauthAppId, setOauthAppId] = useState('');
  const [apiBaseUrl, setApiBaseUrl] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const connect = async () => {
    if (!oauthAppId) return setProblem('Choose or add an OAuth app first.');
    setBusy(true);
    setProblem(null);
    try {
      const answer = await startOAuthConnect(token, { provider: provider.name, oauthAppId, returnTo, ...(apiBaseUrl.trim() ? { apiBaseUrl: apiBaseUrl.trim() } : {}) });
      window.location.assign(answer.authorize_url);
    } catch (error) {
      setProblem((error as Error).message);
      setBusy(false);
    }
  };

  return (
    <div role="group" aria-labelledby="oauth-connect-title" className="stack oauth">
      <h3 id="oauth-connect-title">Connect with OAuth</h3>
      <p className="hint">You will be sent to {provider.displayName} to authorize Syncline, then back here with the new credential selected.</p>
      <OAuthAppSelect provider={provider} value={oauthAppId} onChange={setOauthAppId} />
      <Field label="Provider host (optional)" hint="Only for an emulator or sandbox login host.">
        {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="url" value={apiBaseUrl} placeholder="https://…" onChange={(e) => setApiBaseUrl(e.target.value)} />}
      </Field>
      <ErrorNote error={problem} />
      <div className="actions">
        <button type="button" onClick={() => void connect()} disabled={busy}>
          Connect Syncline to {provider.displayName}
        </button>
      </div>
    </div>
  );
}
