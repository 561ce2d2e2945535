import { expect } from 'vitest';
import type { StripeEmulator } from '../../../src/emulators/stripe/index.ts';
import { restClient, type RestClient } from '../../support/api.ts';
import { SHARED_NATS } from '../../support/nats.ts';

/** An account with one resource of every kind, created through the REST API. */
export interface Tenant {
  accountId: string;
  token: string;
  api: RestClient;
  streamId: string;
  credentialId: string;
  oauthAppId: string;
  syncId: string;
  httpConsumerId: string;
  httpConsumerName: string;
  natsConsumerId: string;
  apiTokenId: string;
}

function created(answer: { status: number; body: any }, what: string) {
  if (answer.status !== 201) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/**
 * Creates an account (root token) and, in it, a stream, an OAuth app, a credential and a sync
 * against the emulator, an HTTP consumer, a NATS consumer (publishing under `subjectPrefix`) and
 * an extra API token.
 */
export async function createTenant(url: string, rootToken: string, name: string, emulator: StripeEmulator, subjectPrefix: string): Promise<Tenant> {
  const root = restClient(url, rootToken);
  const account = created(await root.post('/v1/accounts', { name }), 'account');
  const token = account.api_token.token as string;
  const api = restClient(url, token);
  return { accountId: account.account.id, token, api, ...(await provisionResources(api, name, emulator, subjectPrefix)) };
}

export type TenantResources = Omit<Tenant, 'accountId' | 'token' | 'api'>;

/** One resource of every kind in the account of `api`, named after `name` (unique per account). */
export async function provisionResources(api: RestClient, name: string, emulator: StripeEmulator, subjectPrefix: string): Promise<TenantResources> {
  const stream = created(await api.post('/v1/streams', { name: `${name}-stream` }), 'stream');
  const oauthApp = created(await api.post('/v1/oauth-apps', { provider: 'stripe', client_id: `${name}-client`, client_secret: `${name}-client-secret` }), 'oauth app');
  const credential = created(
    await api.post('/v1/credentials', { kind: 'stripe', name: `${name}-credential`, secret: emulator.apiKey, api_base_url: emulator.url }),
    'credential',
  );
  const sync = created(
    await api.post('/v1/syncs', {
      provider: 'stripe',
      name: `${name}-sync`,
      stream_id: stream.id,
      collection_ids: ['stripe:customer'],
      credential_id: credential.id,
      poll_interval_ms: 1000,
      rate_limit: { allowed_requests: 100, interval: 1, max_concurrent_requests: 4 },
    }),
    'sync',
  );
  const httpConsumerName = `${name}-consumer`;
  const httpConsumer = created(
    await api.post('/v1/http-consumers', { name: httpConsumerName, sync_id: sync.id, ack_wait_ms: 3_600_000 }),
    'http consumer',
  );
  const natsConsumer = created(
    await api.post('/v1/nats_consumers', { name: `${name}-nats`, sync_id: sync.id, subject_prefix: subjectPrefix, nats: SHARED_NATS }),
    'nats consumer',
  );
  const apiToken = created(await api.post('/v1/api-tokens', { name: `${name}-extra` }), 'api token');
  expect(typeof apiToken.id).toBe('string');
  return {
    streamId: stream.id,
    credentialId: credential.id,
    oauthAppId: oauthApp.id,
    syncId: sync.id,
    httpConsumerId: httpConsumer.id,
    httpConsumerName,
    natsConsumerId: natsConsumer.id,
    apiTokenId: apiToken.id,
  };
}
