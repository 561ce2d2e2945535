import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { ErrorNote, Field, Loading } from '../components/ui.tsx';
import { CreateSyncMutation, ProvidersQuery, type CreateSyncData, type Provider, type ProvidersData, type SyncInput } from '../graphql/operations.ts';
import { Link, navigate } from '../history-router.tsx';
import { CollectionPicker } from '../components/CollectionPicker.tsx';
import { CredentialPicker } from '../components/CredentialPicker.tsx';
import { RateLimitFields, type RateLimitValue } from '../components/RateLimitFields.tsx';

const DEFAULT_RATE_LIMIT: RateLimitValue = { allowedRequests: 20, interval: 1, maxConcurrentRequests: 5 };

/** Provider → credential → collections → rate limit → "Start syncing". */
export function CreateSyncPage({ streamId, query, token }: { streamId: string; query: URLSearchParams; token: string }) {
  const [{ data, fetching, error }] = useQuery<ProvidersData>({ query: ProvidersQuery });
  const [providerName, setProviderName] = useState(query.get('provider') ?? '');
  const providers = data?.providers ?? [];
  const provider = providers.find((p) => p.name === providerName) ?? null;
  return (
    <section className="page" aria-labelledby="create-sync-title">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/streams">Streams</Link> / <Link to={`/streams/${streamId}/syncs`}>Stream</Link> / <span aria-current="page">Create sync</span>
      </nav>
      <h1 id="create-sync-title">Create sync</h1>
      {fetching && !data ? <Loading what="providers" /> : null}
      <ErrorNote error={error} />
      {data ? (
        <div className="card">
          <Field label="Provider">
            {(id) => (
              <select id={id} value={providerName} onChange={(e) => setProviderName(e.target.value)}>
                <option value="">Choose a provider…</option>
                {providers.map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.displayName}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
      ) : null}
      {provider ? <SyncForm key={provider.name} provider={provider} streamId={streamId} query={query} token={token} /> : null}
    </section>
  );
}

function SyncForm({ provider, streamId, query, token }: { provider: Provider; streamId: string; query: URLSearchParams; token: string }) {
  const [name, setName] = useState(query.get('sync_name') ?? `${provider.displayName} sync`);
  const [credentialId, setCredentialId] = useState<string>(query.get('credential_id') ?? '');
  const [collections, setCollections] = useState<string[]>([]);
  const [rateLimit, setRateLimit] = useState<RateLimitValue>(DEFAULT_RATE_LIMIT);
  const [pollSeconds, setPollSeconds] = useState(5);
  const [webhooks, setWebhooks] = useState(false);
  const [signingSecret, setSigningSecret] = useState('');
  const [result, createSync] = useMutation<CreateSyncData, { input: SyncInput }>(CreateSyncMutation);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const fromOAuth = query.get('credential_id');
    if (fromOAuth) setCredentialId(fromOAuth);
  }, [query]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!credentialId) return setProblem('Choose or add a credential.');
    if (collections.length === 0) return setProblem('Choose at least one collection.');
    setProblem(null);
    const answer = await createSync({ input: { name: name.trim(), provider: provider.name, streamId, credentialId, collectionIds: collections, rateLimit, pollIntervalMs: Math.round(pollSeconds * 1000),
        ...(webhooks ? { webhooks: { enabled: true, ...(signingSecret.trim() ? { signingSecret: signingSecret.trim() } : {}) } } : {}) } });
    if (answer.data) navigate(`/streams/${streamId}/syncs`);
  };

  const returnTo = `${window.location.origin}/streams/${streamId}/syncs/new?${new URLSearchParams({ provider: provider.name, sync_name: name }).toString()}`;
  return (
    <form className="stack" onSubmit={(e) => void submit(e)} aria-label="Sync settings">
      <fieldset className="card">
        <legend>Credential</legend>
        <CredentialPicker provider={provider} value={credentialId} onChange={setCredentialId} token={token} returnTo={returnTo} />
      </fieldset>
      <fieldset className="card">
        <legend>Collections</legend>
        <CollectionPicker collections={provider.collections} value={collections} onChange={setCollections} />
      </fieldset>
      <fieldset className="card">
        <legend>Settings</legend>
        <Field label="Sync name">{(id) => <input id={id} required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
        <RateLimitFields value={rateLimit} onChange={setRateLimit} />
        <Field label="Poll interval (seconds)" hint="How often the sync asks the provider for changes once the backfill is done.">
          {(id, describedBy) => (
            <input id={id} aria-describedby={describedBy} type="number" min={0.1} step="any" required value={pollSeconds} onChange={(e) => setPollSeconds(Number(e.target.value) || 5)} />
          )}
        </Field>
      </fieldset>
      {provider.webhooks ? (
        <fieldset className="card">
          <legend>Webhooks</legend>
          <label>
            <input type="checkbox" checked={webhooks} onChange={(e) => setWebhooks(e.target.checked)} /> Receive {provider.displayName}'s webhooks: changes arrive in
            moments, polling stays on to catch what they miss
          </label>
          {webhooks ? (
            <Field label="Signing secret (optional)" hint="Only when you add the webhook in the provider's settings yourself; where Syncline registers it, leave empty. Stored sealed, never shown again.">
              {(id, describedBy) => <input id={id} aria-describedby={describedBy} type="password" autoComplete="off" value={signingSecret} onChange={(e) => setSigningSecret(e.target.value)} />}
            </Field>
          ) : null}
        </fieldset>
      ) : null}
      <ErrorNote error={problem ?? result.error} />
      <div className="actions">
        <button type="submit" disabled={result.fetching}>
          {result.fetching ? 'Starting…' : 'Start syncing'}
        </button>
        <Link to={`/streams/${streamId}/syncs`} className="button secondary">
          Cancel
        </Link>
      </div>
    </form>
  );
}
