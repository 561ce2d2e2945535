import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AppContext, Principal } from '../app-context.ts';
import { withLogContext } from '../logger.ts';
import type { GraphQLContext } from '../schema/builder.ts';
import { AnswerBudget } from '../schema/answer-budget.ts';
import { createLoaders } from '../schema/loaders.ts';
import { createMaskError } from '../schema/errors.ts';
import { schema } from '../schema/index.ts';
import { createConsoleHandler, isConsolePath } from './console.ts';
import { createGraphiQL, GRAPHIQL_ASSETS_PREFIX } from './graphiql.ts';
import { createGraphQLAuthGate, type AdmittedGraphQLRequest } from './graphql-auth-gate.ts';
import { boundedParserCache, graphqlLimitPlugins, parseAndValidate } from './graphql-limits.ts';
import { TokenSockets } from '../live/token-sockets.ts';
import { createHealthHandlers } from './health.ts';
import type { Metrics } from './metrics.ts';
import { metricsNeedToken } from './metrics-access.ts';
import { registerRestApi } from './rest-api.ts';
import { inRequestSpan, operationOnSpan } from './request-span.ts';
import { createRestRouter } from './rest-router.ts';
import { admittedPrincipal, nullWhenThrottled, operationThrottled } from './request-throttle.ts';

/** Throws TooManyRequestsError over the account's rate or the address's failed-auth budget (request-throttle.ts). */
const principalFromHeader = (ctx: AppContext, header: unknown, req: IncomingMessage | undefined): Promise<Principal | null> =>
  admittedPrincipal(ctx, req?.socket.remoteAddress, header);

/** The caller's `x-request-id` when it is a plain token (a proxy's), else a new one; answered in the same header. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** One HTTP server: REST under /v1 (described at /openapi.json), GraphQL (+ GraphiQL, its files under /graphql/assets/, + graphql-ws) at /graphql, health and metrics, the web console at /. */
export function createHttpServer(
  ctx: AppContext,
  metrics: Metrics,
  maxBodyBytes: number,
  options: { listenerBeyondLoopback?: boolean } = {},
): { server: Server; closeWebSockets: () => Promise<void> } {
  const rest = createRestRouter(ctx, metrics, maxBodyBytes);
  registerRestApi(rest.routes);
  const health = createHealthHandlers(ctx, metrics, metricsNeedToken(options.listenerBeyondLoopback ? '0.0.0.0' : ctx.config.HOST, ctx.config.SYNCLINE_METRICS_PUBLIC));
  const webConsole = createConsoleHandler();

  // The caller is authenticated (and throttled) once, before the document is read: by the gate (HTTP) or onConnect (graphql-ws).
  const admitGraphQL = createGraphQLAuthGate({ authenticate: (req) => principalFromHeader(ctx, req.headers.authorization, req), maxBodyBytes, logger: ctx.logger });
  const tokenSockets = new TokenSockets({ bus: ctx.bus, pool: ctx.pool, logger: ctx.logger });
  const maskError = createMaskError(ctx.logger);
  const graphiql = createGraphiQL();
  const yoga = createYoga<AdmittedGraphQLRequest, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: graphiql.options,
    renderGraphiQL: (options) => graphiql.render(options),
    maskedErrors: { maskError },
    logging: false,
    plugins: [...graphqlLimitPlugins(ctx.config), graphiql.pageHeaders, operationOnSpan],
    parserAndValidationCache: boundedParserCache(),
    context: ({ principal }) => ({
      app: ctx,
      principal: principal ?? null,
      answerBudget: new AnswerBudget(ctx.config.SYNCLINE_MAX_ANSWER_BYTES),
      loaders: createLoaders(ctx, principal ?? null),
    }),
  });

  const server = createServer((req, res) => {
    // Every line logged while the request is handled names it (and its account, once authenticated).
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    withLogContext({ requestId }, () => handle(req, res), { fresh: true });
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/graphql') {
      return inRequestSpan(req, res, path, () => void admitGraphQL(req, res).then((admitted) => {
        if (!admitted) return;
        tokenSockets.trackEventStream(admitted.principal, req, res);
        return yoga(req, res, admitted);
      }));
    }
    if (path?.startsWith(GRAPHIQL_ASSETS_PREFIX)) return void graphiql.serveAsset(req, res).catch((error: unknown) => {
      ctx.logger.error({ err: error }, 'GraphiQL asset failed');
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal error');
    });
    if (path === '/healthz') return health.healthz(res);
    if (path === '/readyz') return void health.readyz(res);
    if (path === '/metrics') return void health.metrics(req, res);
    if ((req.method === 'GET' || req.method === 'HEAD') && isConsolePath(path ?? '/')) return void webConsole.handle(req, res).catch(() => res.destroy());
    return inRequestSpan(req, res, path ?? '/', () => void rest.handle(req, res).catch((error: unknown) => {
      ctx.logger.error({ err: error }, 'request failed outside its handler');
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: 'internal error', details: [] } }));
    }));
  }

  // graphql-ws on the same path, executed through yoga's envelop so auth, masking and plugins match HTTP.
  const wsServer = new WebSocketServer({ server, path: '/graphql', maxPayload: maxBodyBytes });
  type EnvelopedRoot = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };
  const wsCleanup = useServer<Record<string, unknown>, Partial<AdmittedGraphQLRequest>>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onConnect: async (wsCtx) => {
        const params = wsCtx.connectionParams ?? {};
        // The token in connectionParams (browsers cannot set headers on a WebSocket), else on the upgrade request.
        const header = params.authorization ?? params.Authorization ?? wsCtx.extra.request.headers.authorization;
        const principal = await principalFromHeader(ctx, header, wsCtx.extra.request).catch(nullWhenThrottled);
        if (!principal) return false;
        wsCtx.extra.principal = principal;
        tokenSockets.trackSocket(principal, wsCtx.extra.socket);
        return true;
      },
      onSubscribe: async (wsCtx, _id, payload) => {
        const principal = wsCtx.extra.principal ?? null;
        const enveloped = yoga.getEnveloped({ principal });
        const checked = parseAndValidate(enveloped, payload.query);
        if ('errors' in checked) return checked.errors;
        // Over the account's API rate: this operation's result is the 429 error, the socket stays open.
        const throttled = operationThrottled(ctx, principal);
        const refused = throttled ? () => ({ errors: [maskError(throttled, 'internal error')] }) : null;
        return {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document: checked.document,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: refused ?? enveloped.execute, subscribe: refused ?? enveloped.subscribe },
        };
      },
    },
    wsServer,
  );

  return {
    server,
    async closeWebSockets() {
      tokenSockets.stop();
      await wsCleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
