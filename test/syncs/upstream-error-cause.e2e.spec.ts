import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restClient } from '../support/api.ts';
import { ROOT_TOKEN, startTestServer, type TestServer } from '../support/server.ts';
import { syncStatus } from '../support/stripe-sync.ts';
import { waitFor } from '../support/wait.ts';
import { freePort } from '../support/free-port.ts';

describe("a sync's last_error names why the upstream could not be reached", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  for (const provider of ['stripe', 'github'] as const) {
    it(`${provider}: the refused connection, not only "fetch failed", and no secret`, async () => {
      const api = restClient(server.url, ROOT_TOKEN);
      const port = await freePort();
      const secret = provider === 'stripe' ? 'sk_test_refusedconnectionkey1' : 'ghp_refusedconnectiontoken0001';
      const credential = await api.post('/v1/credentials', { kind: provider, secret, api_base_url: `http://127.0.0.1:${port}`, name: 'nowhere' });
      expect(credential.status).toBe(201);
      const collection = provider === 'stripe' ? 'stripe:customer' : 'github:repository';
      const sync = await api.post('/v1/syncs', { provider, name: `${provider} nowhere`, collection_ids: [collection], credential_id: credential.body.id });
      expect(sync.status).toBe(201);
      const status = await waitFor(async () => {
        const s = await syncStatus(api, sync.body.id);
        return s.last_error ? s : null;
      }, 30_000, 'the sync to report its error');
      expect(status.last_error.code).toBe('upstream_error');
      expect(status.last_error.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
      expect(status.last_error.message).not.toContain(secret);
    }, 40_000);
  }
});
