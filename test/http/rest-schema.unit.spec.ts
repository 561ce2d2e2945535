import { describe, expect, it } from 'vitest';
import { createSyncInput } from '../../src/commands/syncs.ts';
import { runMutationInput } from '../../src/commands/mutations.ts';
import { ValidationError } from '../../src/errors.ts';
import { parseRestInput, restSchema } from '../../src/http/rest-input.ts';

/** Whether REST accepts a body: what the server does (`parseRestInput`) and what the OpenAPI document says (`restSchema`). */
function verdicts(schema: Parameters<typeof restSchema>[0], body: unknown) {
  let server = true;
  try {
    parseRestInput(schema, body);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    server = false;
  }
  return { server, document: restSchema(schema).safeParse(body).success };
}

describe('restSchema: a command schema under REST names, for the OpenAPI document', () => {
  it('takes what REST takes and refuses what it refuses', () => {
    const sync = { provider: 'stripe', collection_ids: ['stripe:customer'], rate_limit: { allowed_requests: 5, interval: 1 }, metadata: { teamName: 'x' } };
    expect(verdicts(createSyncInput, sync)).toEqual({ server: true, document: true });
    expect(verdicts(createSyncInput, { ...sync, credential: { properties: { kind: 'stripe', oauth_app_id: null, api_base_url: 'http://127.0.0.1:9' } } })).toEqual({ server: true, document: true });
    expect(verdicts(createSyncInput, { provider: 'stripe', collectionIds: ['stripe:customer'] })).toEqual({ server: false, document: false });
    expect(verdicts(createSyncInput, { ...sync, rate_limit: { allowedRequests: 5, interval: 1 } })).toEqual({ server: false, document: false });
    const mutation = { kind: 'update', sync_id: 's', collection_id: 'c', records: [{ upstream_id: 'cus_1', data: { firstName: 'Ada' } }] };
    expect(verdicts(runMutationInput, mutation)).toEqual({ server: true, document: true });
    expect(verdicts(runMutationInput, { ...mutation, idempotencyKey: 'k' })).toEqual({ server: false, document: false });
    const deletes = { kind: 'delete', sync_id: 's', collection_id: 'c', upstream_ids: ['cus_1'] };
    expect(verdicts(runMutationInput, deletes)).toEqual({ server: true, document: true });
    // A rule across fields is the server's alone (the document describes it in words): the server refuses, as the document allows it to.
    expect(verdicts(runMutationInput, { ...deletes, kind: 'update' })).toEqual({ server: false, document: true });
  });

  it('keeps the rules of each field, and leaves the command schema as it was', () => {
    const wire = restSchema(createSyncInput);
    expect(wire.safeParse({ provider: 'stripe', collection_ids: [] }).success).toBe(false);
    expect(createSyncInput.safeParse({ provider: 'stripe', collectionIds: ['a'] }).success).toBe(true);
  });
});
