import { useState, type FormEvent } from 'react';
import { ErrorNote, Field } from '../components/ui.tsx';

/** Checks a token against `viewer` before keeping it. */
async function verifyToken(token: string): Promise<string | null> {
  try {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { account { name } } }' }),
    });
    const body = (await response.json()) as { data?: { viewer?: { account?: { name?: string } } } | null; errors?: { message: string }[] };
    if (body.data?.viewer?.account?.name) return null;
    return body.errors?.[0]?.message ?? `the server answered ${response.status}`;
  } catch (error) {
    return `could not reach the server: ${(error as Error).message}`;
  }
}

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (token: string, remember: boolean) => void }) {
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const problem = await verifyToken(token.trim());
    setBusy(false);
    if (problem) setError(`Sign-in failed: ${problem}`);
    else onSignedIn(token.trim(), remember);
  };

  return (
    <main id="main" className="signin">
      <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Syncline</h1>
        {notice ? (
          <p role="alert" className="error">
            {notice}
          </p>
        ) : null}
        <p className="muted">Use an API token: the root token printed at the server's first start, or one created on the API tokens page.</p>
        <Field label="API token" hint="Starts with syn_. Kept in this browser only.">
          {(id, describedBy) => (
            <input id={id} aria-describedby={describedBy} type="password" autoComplete="current-password" required value={token} onChange={(e) => setToken(e.target.value)} />
          )}
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} /> Remember on this device
        </label>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
