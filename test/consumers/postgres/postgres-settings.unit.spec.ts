import { describe, expect, it } from 'vitest';
import { connectionOf, patchedConnectionOf } from '../../../src/commands/postgres-connection.ts';
import { parseTableName, qualifiedTable, quoteIdent } from '../../../src/consumers/postgres/table-name.ts';
import { classifyTargetError } from '../../../src/consumers/postgres/target-errors.ts';
import { batchParameter, upsertStatement } from '../../../src/consumers/postgres/upsert.ts';
import { UnprocessableError } from '../../../src/errors.ts';

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UnprocessableError);
    return { code: (error as UnprocessableError).code, message: (error as UnprocessableError).message, path: (error as UnprocessableError).details[0]?.path };
  }
  throw new Error('not refused');
};

describe('PostgreSQL consumer connection settings', () => {
  it('takes a URL apart: percent-encoded password out, the URL kept without it, sslmode, both schemes, IPv6', () => {
    expect(connectionOf({ url: 'postgres://app%40acme:p%40ss%3Aw0rd@db.example.com:6543/analytics?sslmode=verify-full' })).toEqual({
      connection: { host: 'db.example.com', port: 6543, database: 'analytics', user: 'app@acme', sslMode: 'verify-full', url: 'postgres://app%40acme@db.example.com:6543/analytics?sslmode=verify-full' },
      password: 'p@ss:w0rd',
      passwordRemoved: false,
    });
    expect(connectionOf({ url: 'postgresql://u@[::1]/db' }).connection).toEqual({ host: '::1', port: 5432, database: 'db', user: 'u', sslMode: 'disable', url: 'postgresql://u@[::1]/db' });
    expect(connectionOf({ url: 'postgres://u@h/db', password: 'apart' }).password).toBe('apart');
  });

  it('refuses URLs it cannot honour without repeating them (they may hold the password)', () => {
    const secret = 'hunter2-in-the-url';
    const cases: [string, RegExp][] = [
      [`mysql://u:${secret}@h/db`, /scheme/],
      [`postgres://u:${secret}@h`, /database/],
      [`postgres://:${secret}@h/db`, /user/],
      [`postgres://u:${secret}@h/db?sslmode=prefer`, /sslmode must be one of/],
      [`postgres://u:${secret}@h/db?options=-c%20search_path%3Devil`, /not supported/],
      [`postgres://u:${secret}@h1,h2/db`, /one host/],
      [`not a url ${secret}`, /not a URL/],
    ];
    for (const [url, message] of cases) {
      const refused = refusal(() => connectionOf({ url }));
      expect(refused.code, url).toBe('invalid_connection');
      expect(refused.path).toBe('connection.url');
      expect(refused.message).toMatch(message);
      expect(refused.message).not.toContain(secret);
    }
    expect(refusal(() => connectionOf({ url: 'postgres://u:pw@h/db', password: 'again' })).path).toBe('connection.password');
  });

  it('takes the fields: port 5432 and no TLS by default, ssl true as verify-full', () => {
    expect(connectionOf({ host: 'db', database: 'd', user: 'u', ssl: true })).toEqual({
      connection: { host: 'db', port: 5432, database: 'd', user: 'u', sslMode: 'verify-full', url: null },
      password: null,
      passwordRemoved: false,
    });
    expect(connectionOf({ host: 'db', database: 'd', user: 'u', sslMode: 'require' }).connection.sslMode).toBe('require');
    expect(refusal(() => connectionOf({ host: 'db', user: 'u' })).path).toBe('connection.database');
  });

  it('patches fields over the stored connection; the stored URL goes once a field changes', () => {
    const stored = { host: 'db', port: 5432, database: 'd', user: 'u', sslMode: 'require' as const, url: 'postgres://u@db/d?sslmode=require' };
    expect(patchedConnectionOf(stored, { password: 'new-one' })).toEqual({ connection: stored, password: 'new-one', passwordRemoved: false });
    expect(patchedConnectionOf(stored, { port: 6000 }).connection).toEqual({ ...stored, port: 6000, url: null });
    expect(patchedConnectionOf(stored, { password: null }).passwordRemoved).toBe(true);
  });
});

describe('PostgreSQL table names', () => {
  it('reads schema.table or table (schema public), folded to lower case; anything else is no name', () => {
    expect(parseTableName('Analytics.Records')).toEqual({ schema: 'analytics', name: 'records' });
    expect(parseTableName('syncline_records')).toEqual({ schema: 'public', name: 'syncline_records' });
    expect(parseTableName('_x.' + 'a'.repeat(63))).toEqual({ schema: '_x', name: 'a'.repeat(63) });
    for (const bad of ['a.b.c', '"a"', 'a b', 'a;b', '1a', 'a-b', '', '.a', 'a.', 'a'.repeat(64), 'ä']) expect(parseTableName(bad), bad).toBeNull();
  });

  it('quotes identifiers whatever they hold', () => {
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
    expect(qualifiedTable({ schema: 'public', name: 'select' })).toBe('"public"."select"');
  });
});

describe('the upsert of a batch', () => {
  it('is one statement with the idx guard; delete mode deletes tombstones only over older rows', () => {
    const mark = upsertStatement({ schema: 'public', name: 'records' }, 'mark');
    expect(mark).toContain('INSERT INTO "public"."records" AS t');
    expect(mark).toContain('ON CONFLICT (sync_id, collection_id, upstream_id) DO UPDATE SET');
    expect(mark).toContain('WHERE excluded.updated_idx > t.updated_idx');
    expect(mark).not.toContain('DELETE');
    const del = upsertStatement({ schema: 'public', name: 'records' }, 'delete');
    expect(del).toContain('DELETE FROM "public"."records" AS t USING r');
    expect(del).toContain('t.updated_idx < r.updated_idx');
    expect(del).toContain('WHERE NOT r.deleted');
  });

  it('sends each key once at its newest version, in key order', () => {
    const row = (id: string, idx: number) => ({
      sync_id: 's',
      collection_id: 'c',
      upstream_id: id,
      updated_idx: String(idx),
      data: { idx },
      deleted: false,
      upstream_created_at: null,
      upstream_updated_at: null,
    });
    const sent = JSON.parse(batchParameter([row('b', 3), row('a', 9), row('b', 12), row('b', 4)])) as { upstream_id: string; updated_idx: string }[];
    expect(sent.map((r) => [r.upstream_id, r.updated_idx])).toEqual([
      ['a', '9'],
      ['b', '12'],
    ]);
  });
});

describe('target errors', () => {
  it('sorts failures: the connection, the login, the table, and rows the target refuses', () => {
    const pgError = (code: string, message = 'm') => Object.assign(new Error(message), { code });
    expect(classifyTargetError(pgError('57P01'))).toMatchObject({ code: 'target_unavailable', retryable: true, connectionLost: true });
    expect(classifyTargetError(pgError('28P01'))).toMatchObject({ code: 'target_auth_failed', retryable: true });
    expect(classifyTargetError(pgError('40001'))).toMatchObject({ code: 'target_conflict', retryable: true, connectionLost: false });
    expect(classifyTargetError(pgError('42P01'))).toMatchObject({ code: 'table_not_found', retryable: true });
    expect(classifyTargetError(pgError('42703'))).toMatchObject({ code: 'table_mismatch', retryable: true });
    expect(classifyTargetError(pgError('23514'))).toMatchObject({ code: 'target_rejected', retryable: false });
    expect(classifyTargetError(pgError('ECONNRESET'))).toMatchObject({ code: 'target_unreachable', reason: 'connection reset' });
    expect(classifyTargetError(new Error('Connection terminated unexpectedly'))).toMatchObject({ code: 'target_unreachable', connectionLost: true });
  });
});
