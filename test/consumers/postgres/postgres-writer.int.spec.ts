import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { prepareTarget } from '../../../src/consumers/postgres/prepare-target.ts';
import type { PostgresTarget } from '../../../src/consumers/postgres/target.ts';
import { PostgresSinkWriter } from '../../../src/consumers/postgres/writer.ts';
import { SinkWriteError, type SinkBatch } from '../../../src/consumers/sinks/sink.ts';
import type { PostgresDeletes, PostgresTableName } from '../../../src/domain/postgres-consumers/events.ts';
import { egressPolicy } from '../../../src/net/egress-policy.ts';
import type { RecordRow } from '../../../src/projections/record-row.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { freePort } from '../../support/free-port.ts';
import { TEST_EGRESS_ALLOW } from '../../support/server.ts';
import { waitFor } from '../../support/wait.ts';

const SYNC = '6f1c1d0e-1111-4a5b-8c9d-0123456789ab';
const policy = egressPolicy({ SYNCLINE_EGRESS_ALLOW: TEST_EGRESS_ALLOW });
const PASSWORD = 'never-shown-password-0123456789';

const row = (upstreamId: string, idx: number, data: Record<string, unknown> = { id: upstreamId, v: idx }, deleted = false): RecordRow => ({
  sync_id: SYNC,
  collection_id: 'stripe:customer',
  upstream_id: upstreamId,
  updated_idx: String(idx),
  data,
  deleted,
  upstream_created_at: new Date('2026-01-01T00:00:00.000Z'),
  upstream_updated_at: new Date(Date.UTC(2026, 0, 1, 0, 0, idx)),
});

let attempt = 0;
const batch = (...rows: RecordRow[]): SinkBatch => ({ id: `batch-${++attempt}`, rows, attempt: 1 });
const never = new AbortController().signal;

/** The SinkWriteError a write fails with (the test fails if it succeeds). */
async function failureOf(write: Promise<unknown>): Promise<SinkWriteError> {
  const outcome = await write.then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(SinkWriteError);
  return outcome as SinkWriteError;
}

describe('PostgreSQL sink writer against a real target database', () => {
  let database: TestDatabase;
  let target: pg.Client;
  const writers: PostgresSinkWriter[] = [];
  let tableCount = 0;

  const targetOf = (table: PostgresTableName, overrides: Partial<PostgresTarget['connection']> = {}, password: string | null = null): PostgresTarget => ({
    connection: { host: '127.0.0.1', port: 5432, database: new URL(database.url).pathname.slice(1), user: 'postgres', sslMode: 'disable', ...overrides },
    password,
    table,
  });

  /** A fresh table (made by the creation check) and a writer on it. */
  async function writerOn(deletes: PostgresDeletes, table: PostgresTableName = { schema: 'public', name: `records_${++tableCount}` }) {
    await prepareTarget(policy, targetOf(table), { createTable: true, deletes });
    const writer = new PostgresSinkWriter({ consumerId: `00000000-0000-4000-8000-${String(tableCount).padStart(12, '0')}`, target: targetOf(table), deletes, policy });
    writers.push(writer);
    return { writer, table: `${table.schema}.${table.name}` };
  }

  const rowsOf = async (table: string) =>
    (await target.query(`SELECT upstream_id, updated_idx::int AS idx, deleted, data, inserted_at FROM ${table} ORDER BY upstream_id`)).rows;

  beforeAll(async () => {
    database = await createTestDatabase();
    target = new pg.Client({ connectionString: database.url });
    await target.connect();
  });
  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.close()));
  });
  afterAll(async () => {
    await target?.end();
    await database?.drop();
  });

  it('creates the table with the record shape and its primary key', async () => {
    await writerOn('mark', { schema: 'public', name: 'syncline_records' });
    const columns = await target.query(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'syncline_records' ORDER BY ordinal_position`,
    );
    expect(columns.rows.map((c) => [c.column_name, c.data_type])).toEqual([
      ['sync_id', 'text'],
      ['collection_id', 'text'],
      ['upstream_id', 'text'],
      ['updated_idx', 'bigint'],
      ['upstream_created_at', 'timestamp with time zone'],
      ['upstream_updated_at', 'timestamp with time zone'],
      ['deleted', 'boolean'],
      ['data', 'jsonb'],
      ['inserted_at', 'timestamp with time zone'],
    ]);
    const key = await target.query(
      `SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum)) AS cols FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'public.syncline_records'::regclass AND i.indisprimary`,
    );
    expect(key.rows[0].cols).toEqual(['sync_id', 'collection_id', 'upstream_id']);
    // Asking again finds it there and fitting.
    await prepareTarget(policy, targetOf({ schema: 'public', name: 'syncline_records' }), { createTable: true, deletes: 'mark' });
  });

  it('upserts a batch in one statement; a replay is idempotent; an older version never overwrites a newer one', async () => {
    const { writer, table } = await writerOn('mark');
    const first = await writer.write(batch(row('cus_a', 1), row('cus_b', 2), row('cus_c', 3)), never);
    expect(first.responseExcerpt).toBe('3 written, 0 deleted, 0 unchanged (already as new or newer)');
    const before = await rowsOf(table);
    expect(before.map((r) => [r.upstream_id, r.idx, r.data])).toEqual([
      ['cus_a', 1, { id: 'cus_a', v: 1 }],
      ['cus_b', 2, { id: 'cus_b', v: 2 }],
      ['cus_c', 3, { id: 'cus_c', v: 3 }],
    ]);

    const replay = await writer.write(batch(row('cus_a', 1), row('cus_b', 2), row('cus_c', 3)), never);
    expect(replay.responseExcerpt).toBe('0 written, 0 deleted, 3 unchanged (already as new or newer)');
    expect(await rowsOf(table)).toEqual(before);

    await writer.write(batch(row('cus_b', 7, { id: 'cus_b', v: 'new' })), never);
    await writer.write(batch(row('cus_b', 5, { id: 'cus_b', v: 'old' }), row('cus_d', 6)), never);
    const after = await rowsOf(table);
    expect(after.map((r) => [r.upstream_id, r.idx, r.data.v])).toEqual([
      ['cus_a', 1, 1],
      ['cus_b', 7, 'new'],
      ['cus_c', 3, 3],
      ['cus_d', 6, 6],
    ]);
    const stored = await target.query(`SELECT upstream_created_at, upstream_updated_at FROM ${table} WHERE upstream_id = 'cus_b'`);
    expect(stored.rows[0].upstream_updated_at.toISOString()).toBe('2026-01-01T00:00:07.000Z');
  });

  it('takes a batch holding two versions of a record: the newest wins', async () => {
    const { writer, table } = await writerOn('mark');
    await writer.write(batch(row('cus_a', 9, { v: 'newest' }), row('cus_a', 4, { v: 'older' })), never);
    expect((await rowsOf(table)).map((r) => [r.upstream_id, r.idx, r.data.v])).toEqual([['cus_a', 9, 'newest']]);
  });

  it('deletes: "mark" keeps a tombstone as a row with deleted = true and the last data', async () => {
    const { writer, table } = await writerOn('mark');
    await writer.write(batch(row('cus_a', 1, { name: 'Ada' }), row('cus_b', 2)), never);
    await writer.write(batch(row('cus_a', 3, { name: 'Ada' }, true)), never);
    expect((await rowsOf(table)).map((r) => [r.upstream_id, r.idx, r.deleted, r.data])).toEqual([
      ['cus_a', 3, true, { name: 'Ada' }],
      ['cus_b', 2, false, { id: 'cus_b', v: 2 }],
    ]);
    // A late older version does not bring it back.
    await writer.write(batch(row('cus_a', 1, { name: 'Ada' })), never);
    expect((await rowsOf(table))[0]).toMatchObject({ upstream_id: 'cus_a', idx: 3, deleted: true });
  });

  it('deletes: "delete" removes the row when the stored version is older, and upserts the rest', async () => {
    const { writer, table } = await writerOn('delete');
    await writer.write(batch(row('cus_a', 1), row('cus_b', 2), row('cus_c', 10)), never);
    const result = await writer.write(batch(row('cus_a', 4, {}, true), row('cus_b', 5, { v: 'changed' }), row('cus_c', 8, {}, true), row('cus_z', 9, {}, true)), never);
    // cus_c's stored version (10) is newer than the tombstone (8): it stays; cus_z was never there.
    expect(result.responseExcerpt).toBe('1 written, 1 deleted, 2 unchanged (already as new or newer)');
    expect((await rowsOf(table)).map((r) => [r.upstream_id, r.idx, r.deleted])).toEqual([
      ['cus_b', 5, false],
      ['cus_c', 10, false],
    ]);
    // A replay of the same batch changes nothing.
    const replay = await writer.write(batch(row('cus_a', 4, {}, true), row('cus_b', 5, { v: 'changed' })), never);
    expect(replay.responseExcerpt).toBe('0 written, 0 deleted, 2 unchanged (already as new or newer)');
  });

  it('a target restart mid-write (its backend terminated) is a retryable error naming the target; the next write connects again', async () => {
    const { writer, table } = await writerOn('mark');
    const targetName = new URL(database.url).pathname.slice(1);
    await writer.write(batch(row('cus_a', 1)), never);

    // Hold the table so the next write waits inside its statement, then end the writer's backend.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    const pending = writer.write(batch(row('cus_a', 2), row('cus_b', 2)), never).then(
      () => null,
      (error: unknown) => error,
    );
    const pid = await waitFor(async () => {
      const { rows } = await target.query(`SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'syncline-consumer-%' AND wait_event_type = 'Lock'`);
      return rows[0]?.pid as number | undefined;
    }, 10_000, "the writer's statement to wait on the lock");
    await target.query('SELECT pg_terminate_backend($1)', [pid]);
    const error = await pending;
    await holder.query('ROLLBACK');
    await holder.end();

    expect(error).toBeInstanceOf(SinkWriteError);
    const failure = error as SinkWriteError;
    expect(failure.options.retryable).toBe(true);
    expect(failure.message).toContain(`127.0.0.1:5432/${targetName}, table ${table}`);
    expect(failure.message).toMatch(/target_unavailable|target_unreachable/);
    expect((await rowsOf(table)).map((r) => [r.upstream_id, r.idx])).toEqual([['cus_a', 1]]); // nothing of the batch

    await writer.write(batch(row('cus_a', 2), row('cus_b', 2)), never);
    expect((await rowsOf(table)).map((r) => [r.upstream_id, r.idx])).toEqual([
      ['cus_a', 2],
      ['cus_b', 2],
    ]);
  });

  it('an idle connection ended by the target is opened again at the next write', async () => {
    const { writer, table } = await writerOn('mark');
    await writer.write(batch(row('cus_a', 1)), never);
    await target.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'syncline-consumer-%'`);
    let written = false;
    for (let tries = 0; tries < 2 && !written; tries++) {
      try {
        await writer.write(batch(row('cus_a', 2)), never);
        written = true;
      } catch (error) {
        expect((error as SinkWriteError).options.retryable).toBe(true);
      }
    }
    expect(written).toBe(true);
    expect((await rowsOf(table))[0]).toMatchObject({ idx: 2 });
  });

  it('a table dropped or altered under the writer is a retryable error that says so; recreated, writing goes on', async () => {
    const { writer, table } = await writerOn('mark');
    await writer.write(batch(row('cus_a', 1)), never);
    await target.query(`DROP TABLE ${table}`);
    const dropped = await failureOf(writer.write(batch(row('cus_a', 2)), never));
    expect(dropped.options.retryable).toBe(true);
    expect(dropped.message).toMatch(/does not exist \(dropped or renamed\?\) \[table_not_found\]/);

    await prepareTarget(policy, targetOf({ schema: 'public', name: table.split('.')[1]! }), { createTable: true, deletes: 'mark' });
    await target.query(`ALTER TABLE ${table} DROP COLUMN data`);
    const altered = await failureOf(writer.write(batch(row('cus_a', 2)), never));
    expect(altered.options.retryable).toBe(true);
    expect(altered.message).toMatch(/data.*\[table_mismatch\]/);

    await target.query(`ALTER TABLE ${table} ADD COLUMN data jsonb`);
    await writer.write(batch(row('cus_a', 2)), never);
    expect((await rowsOf(table)).map((r) => [r.upstream_id, r.idx])).toEqual([['cus_a', 2]]);
  });

  it('an unreachable target, a refused login and a refused address are retryable errors that never hold the password', async () => {
    const table = { schema: 'public', name: 'syncline_records' };
    const closed = new PostgresSinkWriter({ consumerId: 'c1', target: targetOf(table, { port: await freePort() }, PASSWORD), deletes: 'mark', policy });
    const login = new PostgresSinkWriter({ consumerId: 'c2', target: targetOf(table, { user: 'no_such_role' }, PASSWORD), deletes: 'mark', policy });
    const nothingAllowed = egressPolicy({ SYNCLINE_EGRESS_ALLOW: '' });
    const refused = new PostgresSinkWriter({ consumerId: 'c3', target: targetOf(table, {}, PASSWORD), deletes: 'mark', policy: nothingAllowed });
    // A name is checked as it resolves, when the connection is made.
    const refusedName = new PostgresSinkWriter({ consumerId: 'c4', target: targetOf(table, { host: 'localhost' }, PASSWORD), deletes: 'mark', policy: nothingAllowed });
    writers.push(closed, login, refused, refusedName);
    const failures: SinkWriteError[] = [];
    for (const writer of [closed, login, refused, refusedName]) failures.push(await failureOf(writer.write(batch(row('cus_a', 1)), never)));
    expect(failures.map((f) => f.options.retryable)).toEqual([true, true, true, true]);
    expect(failures[0]!.message).toMatch(/connection refused \[target_unreachable\]$/);
    expect(failures[1]!.message).toMatch(/login refused: .*no_such_role.*\[target_auth_failed\]$/);
    expect(failures[2]!.message).toMatch(/egress policy refused a connection to 127\.0\.0\.1.*\[egress_refused\]$/);
    expect(failures[3]!.message).toMatch(/egress policy refused a connection to localhost: it is or resolves to a loopback address.*\[egress_refused\]$/);
    for (const failure of failures) {
      expect(failure.message).not.toContain(PASSWORD);
      expect(failure.message).toContain(', table public.syncline_records');
    }
  });

  it('an aborted write returns at once, its connection ended; the writer connects again for the next batch', async () => {
    const { writer, table } = await writerOn('mark');
    await writer.write(batch(row('cus_a', 1)), never);
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    const controller = new AbortController();
    const pending = failureOf(writer.write(batch(row('cus_a', 5)), controller.signal));
    await waitFor(async () => {
      const { rows } = await target.query(`SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'syncline-consumer-%' AND wait_event_type = 'Lock'`);
      return rows.length > 0;
    }, 10_000, 'the write to wait on the lock');
    const abortedAt = Date.now();
    controller.abort();
    await pending;
    expect(Date.now() - abortedAt).toBeLessThan(2_000); // not waiting for the lock
    await holder.query('ROLLBACK');
    await holder.end();
    // The target may still finish the statement it was running: harmless, the idx guard makes it a no-op or the same write.
    await writer.write(batch(row('cus_a', 5)), never);
    expect((await rowsOf(table))[0]).toMatchObject({ idx: 5 });
  });
});
