import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore } from '../../src/db/event-store.ts';
import { readModelProjections } from '../../src/projections/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * Regression (found profiling the consume benchmark): Emmett's driver made pg parse every json /
 * jsonb value with a reviver turning long digit strings into BigInt, so a record's data came back
 * changed (and unserializable) from the read model.
 */
describe('JSON read back from PostgreSQL once the event store exists', () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 1 });
    createEventStore(database.url, pool, readModelProjections);
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('keeps provider data exactly: long digit strings stay strings and serialize again', async () => {
    const data = { phone: '12345678901234567890', id: '-98765432109876543210', small: 42, nested: { ref: '1234567890123456789' } };
    const { rows } = await pool.query<{ d: unknown; j: unknown }>('SELECT $1::jsonb AS d, $1::json AS j', [JSON.stringify(data)]);
    expect(rows[0]!.d).toEqual(data);
    expect(rows[0]!.j).toEqual(data);
    expect(JSON.parse(JSON.stringify(rows[0]!.d))).toEqual(data);
  });

  it('still reads int8 as BigInt (what the rest of the server expects)', async () => {
    const { rows } = await pool.query<{ n: unknown }>('SELECT 9007199254740993::int8 AS n');
    expect(rows[0]!.n).toBe(9007199254740993n);
  });
});
