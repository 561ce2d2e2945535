import { z } from 'zod';
import { accountRoutes } from './accounts.ts';
import { apiTokenRoutes } from './api-tokens.ts';
import { credentialRoutes } from './credentials.ts';
import { operationalRoutes } from './health.ts';
import { httpConsumerRoutes } from './http-consumers.ts';
import { mutationRoutes } from './mutations.ts';
import { natsConsumerRoutes } from './nats-consumers.ts';
import { notificationWebhookRoutes } from './notification-webhooks.ts';
import { oauthAppRoutes } from './oauth-apps.ts';
import { oauthConnectRoutes } from './oauth-connect.ts';
import { postgresConsumerRoutes } from './postgres-consumers.ts';
import { providerWebhookRoutes } from './provider-webhooks.ts';
import { openApiDocument, type OpenApiDocument } from './openapi/document.ts';
import { routeCollector, type RestRoutes, type RouteDefinition, type RouteSpec } from './rest.ts';
import { streamRoutes } from './streams.ts';
import { syncRoutes } from './syncs.ts';
import { webhookConsumerRoutes } from './webhook-consumers.ts';

/** Each resource module, with the tag its routes are listed under in the OpenAPI document. */
const RESOURCES: [tag: string, register: (routes: RestRoutes) => void][] = [
  ['accounts', accountRoutes],
  ['api-tokens', apiTokenRoutes],
  ['accounts', notificationWebhookRoutes],
  ['streams', streamRoutes],
  ['credentials', credentialRoutes],
  ['oauth', oauthAppRoutes],
  ['oauth', oauthConnectRoutes],
  ['syncs', syncRoutes],
  ['webhooks', providerWebhookRoutes],
  ['http-consumers', httpConsumerRoutes],
  ['nats-consumers', natsConsumerRoutes],
  ['postgres-consumers', postgresConsumerRoutes],
  ['webhook-consumers', webhookConsumerRoutes],
  ['mutations', mutationRoutes],
];

function tagged(routes: RestRoutes, tag: string): RestRoutes {
  return {
    on: (method, path, spec, handler) => routes.on(method, path, { tag, ...spec }, handler),
    onPublic: (method, path, spec, handler) => routes.onPublic(method, path, { tag, ...spec }, handler),
  };
}

const openApiSpec: RouteSpec = {
  tag: 'meta',
  summary: 'This document',
  description: 'The OpenAPI 3.1 description of the REST API, generated from the schemas that validate its requests. It holds no data: no token needed.',
  answers: {
    200: {
      description: 'an OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.1)',
      body: z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }),
    },
  },
};

/** The REST API: every resource's routes, and `GET /openapi.json` describing them. */
export function registerRestApi(routes: RestRoutes): void {
  for (const [tag, register] of RESOURCES) register(tagged(routes, tag));
  routes.onPublic('GET', '/openapi.json', openApiSpec, async () => ({ status: 200, json: restApiDocumentJson() }));
}

/** Every route the server answers with its spec: the REST API's, then the operational endpoints server.ts mounts beside it. */
export function restApiRoutes(): RouteDefinition[] {
  const collector = routeCollector();
  registerRestApi(collector.routes);
  return [...collector.definitions, ...operationalRoutes];
}

/** The OpenAPI document, as served at `/openapi.json` (tests load it from here too). */
export const restApiDocument = (): OpenApiDocument => openApiDocument(restApiRoutes());

let documentJson: string | undefined;
const restApiDocumentJson = (): string => (documentJson ??= JSON.stringify(restApiDocument()));
