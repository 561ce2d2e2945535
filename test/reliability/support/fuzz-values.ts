/**
 * Value generators for the bad-input fuzzer. Generated values are plain data with placeholders
 * (`{__ref}` for ids, `{__huge}` for very long strings) resolved when a request is sent, so that
 * generation stays deterministic for a seed while ids follow the server's current state.
 */
import fc from 'fast-check';

export type IdKind = 'own' | 'other' | 'random' | 'garbage' | 'ownGlobal' | 'otherGlobal';
export interface IdRef {
  __ref: IdKind;
  /** Which resource (index into the resource list), or which garbage value. */
  pick: number;
}
export interface Huge {
  __huge: number;
  char: string;
}

/** Ids that look almost right, or are hostile as path segments. */
export const GARBAGE_IDS = [
  '',
  ' ',
  '0',
  '-1',
  'null',
  'undefined',
  'NaN',
  '------------------------------------',
  'gggggggg-gggg-gggg-gggg-gggggggggggg',
  '00000000-0000-0000-0000-00000000000g',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '{00000000-0000-0000-0000-000000000000}',
  '00000000000000000000000000000000',
  '00000000-0000-0000-0000-0000000000000',
  '00000000-0000-0000-0000-000000000000\n',
  '..',
  '../..',
  '%',
  '%00',
  '%2e%2e',
  '\u0000',
  '\ud800',
  '🙂',
  'ä',
  "'; DROP TABLE streams; --",
  'U3RyZWFtOm5vcGU=', // base64 "Stream:nope"
  'Tm9wZTox', // base64 "Nope:1"
  'U3RyZWFtOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA==', // "Stream:<nil uuid>"
  'x'.repeat(300),
] as const;

/** Every field name of the API's inputs (REST snake_case and GraphQL camelCase), and query parameters. */
export const FIELD_NAMES = [
  'name',
  'stream_id',
  'sync_id',
  'collection_ids',
  'collection_id',
  'deliver_policy',
  'ack_wait_ms',
  'max_deliver',
  'max_ack_pending',
  'batch_size',
  'wait_for',
  'wait_ms',
  'ack_tokens',
  'ack_ids',
  'delay_ms',
  'kind',
  'access_token',
  'secret',
  'refresh_token',
  'oauth_app_id',
  'api_base_url',
  'metadata',
  'provider',
  'client_id',
  'client_secret',
  'credential_id',
  'credential',
  'properties',
  'rate_limit',
  'allowed_requests',
  'interval',
  'max_concurrent_requests',
  'poll_interval_ms',
  'subject_prefix',
  'nats',
  'host',
  'port',
  'tls',
  'user',
  'password',
  'token',
  'jwt',
  'nkey_seed',
  'data',
  'records',
  'upstream_ids',
  'upstream_id',
  'id',
  'idempotency_key',
  'await_consumer_ids',
  'await_consumers_timeout',
  'limit',
  'cursor',
  'after_idx',
  '__proto__',
  'constructor',
] as const;

export const idRef: fc.Arbitrary<IdRef> = fc.record({
  __ref: fc.constantFrom<IdKind>('own', 'own', 'own', 'other', 'random', 'garbage', 'garbage', 'ownGlobal', 'otherGlobal'),
  pick: fc.nat(1000),
});

const huge: fc.Arbitrary<Huge> = fc.record({
  __huge: fc.constantFrom(1_000, 10_000, 100_000, 600_000),
  char: fc.constantFrom('x', 'é', '🙂', '\u0000', ' '),
});

export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u202e',
  '🙂',
  'ʇsǝʇ',
  '\n',
  '\r\n',
  '\t',
  'null',
  'undefined',
  'true',
  '-1',
  '0',
  '1e309',
  '0x10',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '"; SELECT pg_sleep(0); --',
  '../../etc/passwd',
  '%00',
  '%',
  '${jndi:ldap://127.0.0.1/x}',
  'stripe:customer',
  'stripe:nope',
  'sk_test_123',
  '2024-11-10T18:38:00.070Z',
  'all',
  'new',
  'create',
  'update',
  'delete',
] as const;

export const nastyString: fc.Arbitrary<string | Huge> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: huge },
);

export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -0, -1, 1, 0.5, -0.5, 99, 100, 101, 1000, 1001, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, 2 ** 63, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON-ish value, small; ids and nasty strings included. */
export const nastyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { weight: 4, arbitrary: nastyString },
    { weight: 3, arbitrary: nastyNumber },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: idRef },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4, depthIdentifier: 'nasty' }) },
    { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 10 })), tie('value'), { maxKeys: 4, depthIdentifier: 'nasty' }) },
  ),
})).value;

