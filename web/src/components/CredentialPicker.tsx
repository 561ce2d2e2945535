import { useState } from 'react';
import { useQuery } from 'urql';
import { ErrorNote, Field } from './ui.tsx';
import { listContext } from '../graphql/client.ts';
import { CredentialsQuery, type CredentialsData, type Provider } from '../graphql/operations.ts';
import { OAuthConnect } from './OAuthConnect.tsx';
import { TokenCredentialForm } from './TokenCredentialForm.tsx';

/** Existing credentials of the provider's kinds, or "+ Add new": a token, or the OAuth connect flow where the provider has one. */
export function CredentialPicker({ provider, value, onChange, token, returnTo }: { provider: Provider; value: string; onChange: (id: string) => void; token: string; returnTo: string }) {
  const [{ data, error }] = useQuery<CredentialsData>({ query: CredentialsQuery, variables: { first: 100 }, context: listContext.credentials });
  const kinds = new Set(provider.credentialKinds.map((k) => k.kind));
  const credentials = (data?.credentials.edges.map((e) => e.node) ?? []).filter((c) => kinds.has(c.kind));
  const [adding, setAdding] = useState(false);
  const known = credentials.some((c) => c.uuid === value);
  return (
    <>
      <ErrorNote error={error} />
      <div className="row align-end">
        <Field label="Credential">
          {(id) => (
            <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
              <option value="">{credentials.length === 0 ? 'No credentials yet — add one' : 'Choose a credential…'}</option>
              {credentials.map((c) => (
                <option key={c.uuid} value={c.uuid}>
                  {c.name ?? c.kind} ({c.kind}, {c.uuid.slice(0, 8)})
                </option>
              ))}
              {value && !known ? <option value={value}>New credential {value.slice(0, 8)}</option> : null}
            </select>
          )}
        </Field>
        <button type="button" className="secondary" aria-expanded={adding} onClick={() => setAdding(!adding)}>
          + Add new
        </button>
      </div>
      {adding ? (
        <div className="subcard">
          {provider.oauth ? <OAuthConnect provider={provider} token={token} returnTo={returnTo} /> : null}
          <TokenCredentialForm
            provider={provider}
            onCreated={(id) => {
              onChange(id);
              setAdding(false);
            }}
          />
        </div>
      ) : null}
    </>
  );
}
