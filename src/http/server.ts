import { createServer, type Server } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AppContext, Principal } from '../commands/context.ts';
import { authenticate } from '../queries/api-tokens.ts';
import type { GraphQLContext } from '../schema/builder.ts';
import { AnswerBudget } from '../schema/answer-budget.ts';
import { createMaskError } from '../schema/errors.ts';
import { schema } from '../schema/index.ts';
import { accountRoutes } from './accounts.ts';
import { apiTokenRoutes } from './api-tokens.ts';
import { createConsoleHandler, isConsolePath } from './console.ts';
import { credentialRoutes } from './credentials.ts';
import { createHealthHandlers } from './health.ts';
import type { Metrics } from './metrics.ts';
import { oauthAppRoutes } from './oauth-apps.ts';
import { oauthConnectRoutes } from './oauth-connect.ts';
import { createRestRouter } from './rest-router.ts';
import { streamRoutes } from './streams.ts';
import { syncRoutes } from './syncs.ts';
import { httpConsumerRoutes } from './http-consumers.ts';
import { natsConsumerRoutes } from './nats-consumers.ts';
import { mutationRoutes } from './mutations.ts';

async function principalFromHeader(ctx: AppContext, header: unknown): Promise<Principal | null> {
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match ? authenticate(ctx, match[1]!) : null;
}

/** One HTTP server: REST under /v1, GraphQL (+ GraphiQL, + graphql-ws) at /graphql, health and metrics, the web console at /. */
export function createHttpServer(ctx: AppContext, metrics: Metrics, maxBodyBytes: number): { server: Server; closeWebSockets: () => Promise<void> } {
  const rest = createRestRouter(ctx, metrics, maxBodyBytes);
  for (const register of [accountRoutes, apiTokenRoutes, streamRoutes, credentialRoutes, oauthAppRoutes, oauthConnectRoutes, syncRoutes, httpConsumerRoutes, natsConsumerRoutes, mutationRoutes]) register(rest.routes);
  const health = createHealthHandlers(ctx.pool, metrics);
  const webConsole = createConsoleHandler();

  type InitialContext = { request?: Request; connectionParams?: Record<string, unknown> };
  const yoga = createYoga<InitialContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    maskedErrors: { maskError: createMaskError(ctx.logger) },
    logging: false,
    // HTTP requests carry the token in the Authorization header; graphql-ws in connectionParams.
    context: async ({ request, connectionParams }) => ({
      app: ctx,
      principal: await principalFromHeader(ctx, request?.headers.get('authorization') ?? connectionParams?.authorization ?? connectionParams?.Authorization),
      answerBudget: new AnswerBudget(ctx.config.SYNCLINE_MAX_ANSWER_BYTES),
    }),
  });

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/graphql') return void yoga(req, res);
    if (path === '/healthz') return health.healthz(res);
    if (path === '/readyz') return void health.readyz(res);
    if (path === '/metrics') return void health.metrics(res);
    if ((req.method === 'GET' || req.method === 'HEAD') && isConsolePath(path ?? '/')) return void webConsole.handle(req, res).catch(() => res.destroy());
    return void rest.handle(req, res).catch((error: unknown) => {
      ctx.logger.error({ err: error }, 'request failed outside its handler');
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'internal', message: 'internal error', details: [] } }));
    });
  });

  // graphql-ws on the same path, executed through yoga's envelop so auth, masking and plugins match HTTP.
  const wsServer = new WebSocketServer({ server, path: '/graphql' });
  type EnvelopedRoot = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };
  const wsCleanup = useServer<Record<string, unknown>>(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onConnect: async (wsCtx) => {
        const params = wsCtx.connectionParams ?? {};
        return (await principalFromHeader(ctx, params.authorization ?? params.Authorization)) !== null;
      },
      onSubscribe: async (wsCtx, _id, payload) => {
        const enveloped = yoga.getEnveloped({ connectionParams: wsCtx.connectionParams ?? {} });
        const document = enveloped.parse(payload.query);
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
    },
    wsServer,
  );

  return {
    server,
    async closeWebSockets() {
      await wsCleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
