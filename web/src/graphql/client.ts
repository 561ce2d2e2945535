import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { cacheExchange, Client, fetchExchange, mapExchange, subscriptionExchange, type OperationContext } from 'urql';

export interface ConsoleClient {
  urql: Client;
  ws: WsClient;
  dispose(): void;
}

/** graphql-ws closes with 4403 when onConnect refuses the token. */
const isForbiddenClose = (event: unknown) => typeof event === 'object' && event !== null && 'code' in event && (event as { code: unknown }).code === 4403;

/**
 * urql over HTTP for queries and mutations, graphql-ws (same path) for subscriptions; both carry
 * the token. A token the server no longer accepts (revoked) calls `onUnauthorized` once.
 */
export function createConsoleClient(token: string, onUnauthorized: () => void): ConsoleClient {
  const authorization = `Bearer ${token}`;
  let signedOut = false;
  const unauthorized = () => {
    if (signedOut) return;
    signedOut = true;
    onUnauthorized();
  };
  const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/graphql`;
  const ws = createWsClient({
    url: wsUrl,
    connectionParams: { authorization },
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: (event) => !isForbiddenClose(event),
    on: { closed: (event) => (isForbiddenClose(event) ? unauthorized() : undefined) },
  });
  const urql = new Client({
    url: '/graphql',
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { authorization } }),
    exchanges: [
      mapExchange({
        onError(error) {
          if (error.graphQLErrors.some((e) => e.extensions?.code === 'unauthorized') || error.response?.status === 401) unauthorized();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { urql, ws, dispose: () => void ws.dispose() };
}

/**
 * urql's document cache refetches a query after a mutation touching a type it saw in the result;
 * an empty list shows no type, so list queries name theirs (stable objects: no re-render loops).
 */
export const listContext: Record<'streams' | 'syncs' | 'credentials' | 'oauthApps' | 'consumers' | 'apiTokens', Partial<OperationContext>> = {
  streams: { additionalTypenames: ['Stream'] },
  syncs: { additionalTypenames: ['Sync'] },
  credentials: { additionalTypenames: ['Credential'] },
  oauthApps: { additionalTypenames: ['OAuthApp'] },
  consumers: { additionalTypenames: ['HttpConsumer', 'NatsConsumer', 'WebhookConsumer', 'PostgresConsumer'] },
  apiTokens: { additionalTypenames: ['ApiToken'] },
};
