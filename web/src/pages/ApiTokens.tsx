import { ScrollRegion } from '../components/ScrollRegion.tsx';
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { CodeSnippet } from '../components/CodeSnippet.tsx';
import { Badge, ErrorNote, Field, formatTime, Loading } from '../components/ui.tsx';
import {
  ApiTokensQuery,
  CreateApiTokenMutation,
  RevokeApiTokenMutation,
  type ApiToken,
  type ApiTokensData,
  type CreateApiTokenData,
  type RevokeApiTokenData,
} from '../graphql/operations.ts';
import { listContext } from '../graphql/client.ts';

export function ApiTokensPage({ token }: { token: string }) {
  const [{ data, fetching, error }, reexecute] = useQuery<ApiTokensData>({ query: ApiTokensQuery, context: listContext.apiTokens });
  const [issued, setIssued] = useState<string | null>(null);
  return (
    <section className="page" aria-labelledby="tokens-title">
      <div className="page-head">
        <h1 id="tokens-title">API tokens</h1>
      </div>
      <p className="muted">Tokens authenticate the REST API, GraphQL and consumers. A token's secret is shown once, when it is created.</p>
      <CreateTokenForm
        onIssued={(token) => {
          setIssued(token);
          reexecute({ requestPolicy: 'network-only' });
        }}
      />
      {issued ? (
        <div className="card" role="status">
          <h2>New token</h2>
          <p>Copy it now: it will not be shown again.</p>
          <CodeSnippet title="API token" name="issued-token" code={issued} />
        </div>
      ) : null}
      {fetching && !data ? <Loading what="tokens" /> : null}
      <ErrorNote error={error} />
      {data ? <TokenTable tokens={data.viewer.apiTokens} current={token} onRevoked={() => reexecute({ requestPolicy: 'network-only' })} /> : null}
    </section>
  );
}

function CreateTokenForm({ onIssued }: { onIssued: (token: string) => void }) {
  const [name, setName] = useState('');
  const [result, create] = useMutation<CreateApiTokenData, { name: string | null }>(CreateApiTokenMutation);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await create({ name: name.trim() || null });
    if (answer.data) {
      onIssued(answer.data.createApiToken.token);
      setName('');
    }
  };
  return (
    <form className="card row align-end" onSubmit={(e) => void submit(e)} aria-label="Create API token">
      <Field label="Token name">{(id) => <input id={id} value={name} placeholder="ci" onChange={(e) => setName(e.target.value)} />}</Field>
      <button type="submit" disabled={result.fetching}>
        Create API token
      </button>
      <ErrorNote error={result.error} />
    </form>
  );
}

function TokenTable({ tokens, current, onRevoked }: { tokens: ApiToken[]; current: string; onRevoked: () => void }) {
  const [result, revoke] = useMutation<RevokeApiTokenData, { id: string }>(RevokeApiTokenMutation);
  const revokeToken = async (token: ApiToken) => {
    const self = current.startsWith(token.prefix) ? ' This browser is signed in with it.' : '';
    if (!window.confirm(`Revoke the token ${token.name} (${token.prefix}…)? Clients using it stop working.${self}`)) return;
    const answer = await revoke({ id: token.id });
    if (answer.data) onRevoked();
  };
  return (
    <>
      <ErrorNote error={result.error} />
      <ScrollRegion label="API tokens">
      <table className="table">
        <caption className="visually-hidden">API tokens of this account</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Created</th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id}>
              <th scope="row">
                {token.name} {current.startsWith(token.prefix) && !token.revokedAt ? <Badge tone="info">this browser</Badge> : null}
              </th>
              <td className="mono">{token.prefix}…</td>
              <td>{formatTime(token.createdAt)}</td>
              <td>{token.revokedAt ? <Badge tone="muted">revoked {formatTime(token.revokedAt)}</Badge> : <Badge tone="ok">active</Badge>}</td>
              <td>
                {token.revokedAt ? null : (
                  <button type="button" className="secondary small danger" onClick={() => void revokeToken(token)} aria-label={`Revoke ${token.name}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      </ScrollRegion>
    </>
  );
}
