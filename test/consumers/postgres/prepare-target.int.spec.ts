import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareTarget } from '../../../src/consumers/postgres/prepare-target.ts';
import type { PostgresTarget } from '../../../src/consumers/postgres/target.ts';
import { egressPolicy } from '../../../src/net/egress-policy.ts';
import { UnprocessableError } from '../../../src/errors.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { freePort } from '../../support/free-port.ts';
import { TEST_EGRESS_ALLOW } from '../../support/server.ts';

const policy = egressPolicy({ SYNCLINE_EGRESS_ALLOW: TEST_EGRESS_ALLOW });
const FITTING = `sync_id text, collection_id text, upstream_id text, updated_idx bigint, upstream_created_at timestamptz,
  upstream_updated_at timestamptz, deleted boolean, data jsonb`;

describe('the creation check of a PostgreSQL target', () => {
  let database: TestDatabase;
  let admin: pg.Client;
  let n = 0;

  const targetOf = (name: string, connection: Partial<PostgresTarget['connection']> = {}): PostgresTarget => ({
    connection: { host: '127.0.0.1', port: 5432, database: new URL(database.url).pathname.slice(1), user: 'postgres', sslMode: 'disable', ...connection },
    password: null,
    table: { schema: 'public', name },
  });

  /** The 422 the check answers for a table made by `ddl` (`%` is the table's name), or null when it fits. */
  async function refusalFor(
    ddl: string | null,
    options: { createTable?: boolean; deletes?: 'mark' | 'delete'; connection?: Partial<PostgresTarget['connection']>; messageKind?: 'record' | 'event' } = {},
  ) {
    const name = `t_${++n}`;
    if (ddl) await admin.query(ddl.replaceAll('%', name));
    try {
      await prepareTarget(policy, targetOf(name, options.connection), { createTable: options.createTable ?? false, deletes: options.deletes ?? 'mark', messageKind: options.messageKind ?? 'record' });
      return null;
    } catch (error) {
      expect(error).toBeInstanceOf(UnprocessableError);
      const { code, message, details } = error as UnprocessableError;
      return { code, message, path: details[0]?.path };
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await database?.drop();
  });

  it('accepts a table of its own making with other columns, text-like keys and a unique constraint instead of a primary key', async () => {
    expect(await refusalFor(`CREATE TABLE % (${FITTING}, PRIMARY KEY (sync_id, collection_id, upstream_id))`)).toBeNull();
    expect(
      await refusalFor(`CREATE TABLE % (id bigserial PRIMARY KEY, sync_id varchar(64), collection_id text, upstream_id varchar, updated_idx numeric,
        upstream_created_at timestamptz, upstream_updated_at timestamptz, deleted boolean, data jsonb, note text, UNIQUE (upstream_id, collection_id, sync_id))`),
    ).toBeNull();
  });

  it('refuses a table whose columns do not fit, naming the column', async () => {
    const mismatch = async (ddl: string) => {
      const refusal = await refusalFor(ddl);
      expect(refusal?.code).toBe('table_mismatch');
      expect(refusal?.path).toBe('table');
      expect(refusal?.message).toMatch(/^127\.0\.0\.1:5432\/syncline_test_\w+, table public\.t_\d+: /);
      return refusal!.message.replace(/^.*?table public\.t_\d+: /, '');
    };
    expect(await mismatch(`CREATE TABLE % (sync_id text, collection_id text, upstream_id text, updated_idx bigint, deleted boolean, data jsonb)`)).toBe(
      'column upstream_created_at is missing (timestamptz)',
    );
    expect(await mismatch(`CREATE TABLE % (${FITTING.replace('data jsonb', 'data text')}, PRIMARY KEY (sync_id, collection_id, upstream_id))`)).toBe(
      'column data is text, not jsonb',
    );
    expect(await mismatch(`CREATE TABLE % (${FITTING.replace('updated_idx bigint', 'updated_idx integer')}, PRIMARY KEY (sync_id, collection_id, upstream_id))`)).toBe(
      'column updated_idx is integer, not bigint',
    );
    expect(await mismatch(`CREATE TABLE % (${FITTING})`)).toMatch(/^needs a primary key or unique constraint on exactly \(sync_id, collection_id, upstream_id\)/);
    expect(await mismatch(`CREATE TABLE % (${FITTING}, PRIMARY KEY (sync_id, upstream_id))`)).toMatch(/^needs a primary key/);
    expect(await mismatch(`CREATE TABLE % (${FITTING}, UNIQUE (sync_id, collection_id, upstream_id) DEFERRABLE)`)).toMatch(/not deferrable/);
    expect(await mismatch(`CREATE TABLE % (${FITTING}, tenant text NOT NULL, PRIMARY KEY (sync_id, collection_id, upstream_id))`)).toBe(
      'column tenant is NOT NULL without a default: the writer does not set it',
    );
    await admin.query(`CREATE TABLE base_view_source (${FITTING})`);
    expect(await mismatch(`CREATE VIEW % AS SELECT * FROM base_view_source`)).toMatch(/is not a table/);
  });

  it('refuses a missing table without create_table, a missing schema, a refused login, a missing database and an unreachable target', async () => {
    expect(await refusalFor(null)).toMatchObject({ code: 'table_not_found', path: 'table' });
    const schema = await (async () => {
      try {
        await prepareTarget(policy, { ...targetOf('x'), table: { schema: 'nowhere', name: 'x' } }, { createTable: true, deletes: 'mark' });
        return null;
      } catch (error) {
        return (error as UnprocessableError).code;
      }
    })();
    expect(schema).toBe('schema_not_found');
    expect(await refusalFor(null, { createTable: true, connection: { user: 'no_such_role' } })).toMatchObject({ code: 'target_auth_failed', path: 'connection.password' });
    expect(await refusalFor(null, { createTable: true, connection: { database: 'no_such_database' } })).toMatchObject({
      code: 'target_database_not_found',
      path: 'connection.database',
    });
    expect(await refusalFor(null, { createTable: true, connection: { port: await freePort() } })).toMatchObject({ code: 'target_unreachable', path: 'connection' });
  });

  it('refuses a login that may not write the table', async () => {
    const role = `syncline_reader_${Date.now()}`;
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    try {
      await admin.query(`CREATE TABLE readonly_records (${FITTING}, PRIMARY KEY (sync_id, collection_id, upstream_id))`);
      await admin.query(`GRANT SELECT, INSERT ON readonly_records TO ${role}`);
      const refusal = await prepareTarget(policy, targetOf('readonly_records', { user: role }), { createTable: false, deletes: 'delete' }).then(
        () => null,
        (error: unknown) => error as UnprocessableError,
      );
      expect(refusal).toMatchObject({ code: 'permission_denied' });
      expect(refusal?.message).toMatch(/lacks UPDATE, DELETE$/);
    } finally {
      await admin.query(`DROP TABLE IF EXISTS readonly_records`);
      await admin.query(`DROP ROLE ${role}`);
    }
  });

  it('change events: creates the append-only table, keyed by version, and checks one of your making against that shape', async () => {
    const EVENT_FITTING = `${FITTING}, action varchar(16), changes jsonb, occurred_at timestamptz`;
    expect(await refusalFor(null, { createTable: true, messageKind: 'event' })).toBeNull();
    const created = await admin.query<{ columns: string[]; key: string[] }>(
      `SELECT (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped) AS columns,
              (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
               WHERE i.indrelid = $1::regclass AND i.indisprimary) AS key`,
      [`t_${n}`],
    );
    expect(created.rows[0]).toEqual({
      columns: ['sync_id', 'collection_id', 'upstream_id', 'updated_idx', 'action', 'changes', 'upstream_created_at', 'upstream_updated_at', 'deleted', 'data', 'occurred_at', 'inserted_at'],
      key: ['collection_id', 'sync_id', 'updated_idx', 'upstream_id'],
    });

    expect(await refusalFor(`CREATE TABLE % (${EVENT_FITTING}, PRIMARY KEY (sync_id, collection_id, upstream_id, updated_idx))`, { messageKind: 'event' })).toBeNull();
    // A records table is no events table, and the other way round.
    expect(await refusalFor(`CREATE TABLE % (${FITTING}, PRIMARY KEY (sync_id, collection_id, upstream_id))`, { messageKind: 'event' })).toMatchObject({
      code: 'table_mismatch',
      message: expect.stringMatching(/column action is missing \(text\)$/),
    });
    expect(await refusalFor(`CREATE TABLE % (${EVENT_FITTING}, PRIMARY KEY (sync_id, collection_id, upstream_id))`, { messageKind: 'event' })).toMatchObject({
      code: 'table_mismatch',
      message: expect.stringMatching(/exactly \(sync_id, collection_id, upstream_id, updated_idx\)/),
    });
    expect(await refusalFor(`CREATE TABLE % (${EVENT_FITTING}, PRIMARY KEY (sync_id, collection_id, upstream_id, updated_idx))`)).toMatchObject({ code: 'table_mismatch' });

    // Events are only inserted: INSERT is enough.
    const role = `syncline_appender_${Date.now()}`;
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    try {
      await admin.query(`CREATE TABLE insert_only_events (${EVENT_FITTING}, PRIMARY KEY (sync_id, collection_id, upstream_id, updated_idx))`);
      await admin.query(`GRANT INSERT ON insert_only_events TO ${role}`);
      const refusal = await prepareTarget(policy, targetOf('insert_only_events', { user: role }), { createTable: false, deletes: 'mark', messageKind: 'event' }).then(
        () => null,
        (error: unknown) => error as UnprocessableError,
      );
      expect(refusal).toBeNull();
    } finally {
      await admin.query(`DROP TABLE IF EXISTS insert_only_events`);
      await admin.query(`DROP ROLE ${role}`);
    }
  });
});
