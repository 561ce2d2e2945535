import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlClient, restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';

describe('GraphQL management API', () => {
  let server: TestServer;
  let gql: ReturnType<typeof graphqlClient>;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer();
    token = (await restClient(server.url, ROOT_TOKEN).post('/v1/accounts', { name: 'gql' })).body.api_token.token;
    gql = graphqlClient(server.url, token);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses anonymous operations with an unauthorized code', async () => {
    const answer = await graphqlClient(server.url, null)('{ viewer { account { id } } }');
    expect(answer.errors?.[0]?.extensions?.code).toBe('unauthorized');
  });

  it('runs viewer, streams, credentials, oauth apps and tokens end to end', async () => {
    const viewer = await gql('{ viewer { account { name isRoot } apiTokens { name revokedAt } } }');
    expect(viewer.data.viewer).toEqual({ account: { name: 'gql', isRoot: false }, apiTokens: [{ name: 'first token', revokedAt: null }] });

    const stream = await gql('mutation { createStream(name: "dev") { id uuid name } }');
    expect(stream.errors).toBeUndefined();
    const { id, uuid } = stream.data.createStream;
    const fetched = await gql('query($id: ID!) { stream(id: $id) { name } node(id: $id) { ... on Stream { uuid } } }', { id });
    expect(fetched.data).toEqual({ stream: { name: 'dev' }, node: { uuid } });
    expect((await gql('query($id: ID!) { stream(id: $id) { name } }', { id: uuid })).data.stream.name).toBe('dev');
    const duplicate = await gql('mutation { createStream(name: "dev") { id } }');
    expect(duplicate.errors?.[0]?.extensions?.code).toBe('stream_name_taken');

    const app = await gql('mutation { createOAuthApp(provider: "hubspot", clientId: "c", clientSecret: "client-secret-123") { uuid clientSecret } }');
    expect(app.data.createOAuthApp.clientSecret).not.toContain('client-secret-123');
    const credential = await gql(
      'mutation($input: CredentialInput!) { createCredential(input: $input) { uuid kind accessToken hasRefreshToken oauthAppId } }',
      { input: { kind: 'hubspot_oauth2', refreshToken: 'refresh-secret-xyz', oauthAppId: app.data.createOAuthApp.uuid } },
    );
    expect(credential.errors).toBeUndefined();
    expect(credential.data.createCredential).toMatchObject({ kind: 'hubspot_oauth2', accessToken: null, hasRefreshToken: true });
    const updated = await gql('mutation($id: ID!) { updateCredential(id: $id, input: { name: "main" }) { name } }', {
      id: credential.data.createCredential.uuid,
    });
    expect(updated.data.updateCredential.name).toBe('main');
    const invalid = await gql('mutation { createCredential(input: { kind: "stripe" }) { uuid } }');
    expect(invalid.errors?.[0]?.extensions?.code).toBe('invalid_credential');

    const list = await gql('{ streams(first: 10) { edges { node { name } } } credentials { edges { node { name } } } oauthApps { edges { node { provider } } } }');
    expect(list.data.streams.edges).toEqual([{ node: { name: 'dev' } }]);
    expect(list.data.credentials.edges).toEqual([{ node: { name: 'main' } }]);

    const issued = await gql('mutation { createApiToken(name: "ws") { token apiToken { id name } } }');
    expect(issued.data.createApiToken.token).toMatch(/^syn_/);
    expect((await gql('mutation($id: ID!) { revokeApiToken(id: $id) }', { id: issued.data.createApiToken.apiToken.id })).errors).toBeUndefined();
    expect((await graphqlClient(server.url, issued.data.createApiToken.token)('{ viewer { account { id } } }')).errors?.[0]?.extensions?.code).toBe(
      'unauthorized',
    );

    expect((await gql('mutation($id: ID!) { deleteCredential(id: $id) }', { id: credential.data.createCredential.uuid })).errors).toBeUndefined();
    expect((await gql('mutation($id: ID!) { deleteStream(id: $id) }', { id })).data.deleteStream).toBe(uuid);
    expect((await gql('mutation { deleteStream(id: "nope") }')).errors?.[0]?.extensions?.code).toBe('not_found');
  });

  it('answers the providers as REST lists them, from the registry itself', async () => {
    const rest = (await restClient(server.url, token).get('/v1/providers')).body.data;
    const answer = await gql('{ providers { name displayName collections { id name mutations } credentialKinds { kind required needsOAuthApp } oauth { credentialKind defaultScopes } } }');
    expect(answer.errors).toBeUndefined();
    expect(answer.data.providers).toEqual(
      rest.map((p: any) => ({
        name: p.name,
        displayName: p.display_name,
        collections: p.collections,
        credentialKinds: p.credential_kinds.map((k: any) => ({ kind: k.kind, required: k.required, needsOAuthApp: k.needs_oauth_app })),
        oauth: p.oauth && { credentialKind: p.oauth.credential_kind, defaultScopes: p.oauth.default_scopes },
      })),
    );
  });

  it('starts the OAuth connect flow, and refuses bad input with camelCase paths', async () => {
    const app = await gql('mutation { createOAuthApp(provider: "hubspot", clientId: "client-1", clientSecret: "client-secret-123") { uuid } }');
    const started = await gql(
      'mutation($app: ID!) { startOAuthConnect(provider: "hubspot", oauthAppId: $app, redirectUri: "http://localhost/callback", name: "") { provider authorizeUrl state expiresAt } }',
      { app: app.data.createOAuthApp.uuid },
    );
    expect(started.errors).toBeUndefined();
    expect(started.data.startOAuthConnect).toMatchObject({ provider: 'hubspot', authorizeUrl: expect.stringContaining('client_id=client-1') });
    expect(new Date(started.data.startOAuthConnect.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const invalid = await gql('mutation($app: ID!) { startOAuthConnect(provider: "hubspot", oauthAppId: $app, redirectUri: "ftp://x") { state } }', { app: app.data.createOAuthApp.uuid });
    expect(invalid.errors?.[0]?.extensions).toMatchObject({ code: 'validation_failed', details: [{ path: 'redirectUri' }] });
    const sync = await gql('mutation { createSync(input: { provider: "stripe", collectionIds: ["stripe:customer"], rateLimit: { allowedRequests: 0, interval: 1 } }) { id } }');
    expect(sync.errors?.[0]?.extensions).toMatchObject({ code: 'validation_failed', details: [{ path: 'rateLimit.allowedRequests' }] });
  });

  it('lets only the root token create accounts', async () => {
    const denied = await gql('mutation { createAccount(name: "x") { account { id } } }');
    expect(denied.errors?.[0]?.extensions?.code).toBe('forbidden');
    const created = await graphqlClient(server.url, ROOT_TOKEN)('mutation { createAccount(name: "x") { account { name } apiToken { token } } }');
    expect(created.data.createAccount.account.name).toBe('x');
  });

  it('serves graphql-ws on the same path with the token in connectionParams, and refuses without', async () => {
    const query = (authorization: string | undefined) =>
      new Promise<unknown>((resolve, reject) => {
        const client = createClient({
          url: `${server.url.replace('http', 'ws')}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: authorization ? { authorization } : {},
          retryAttempts: 0,
        });
        client.subscribe(
          { query: '{ viewer { account { name } } }' },
          { next: (value) => resolve(value), error: (error) => reject(error), complete: () => void client.dispose() },
        );
      });
    expect(await query(`Bearer ${token}`)).toEqual({ data: { viewer: { account: { name: 'gql' } } } });
    await expect(query(undefined)).rejects.toBeDefined();
  });
});
