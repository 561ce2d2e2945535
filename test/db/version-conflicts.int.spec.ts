import { ExpectedVersionConflictError, isExpectedVersionConflictError } from '@event-driven-io/emmett';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore } from '../../src/db/event-store.ts';
import { readModelProjections } from '../../src/projections/index.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * Regression (found reviewing issue 7's change: the Stripe sync e2e failed 1 run in 5 under load):
 * emmett-postgresql bundles its own copy of Emmett's error classes, so a version conflict from the
 * PostgreSQL event store is no `instanceof` the class `@event-driven-io/emmett` exports. The retry
 * of a sync's progress append (commands/syncs.ts) never ran, and the sync went to `error`;
 * Emmett's `isExpectedVersionConflictError` tells the conflict by its code.
 */
describe('version conflicts from the PostgreSQL event store', () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('are told by isExpectedVersionConflictError, not by instanceof', async () => {
    const store = createEventStore(database.url, pool, readModelProjections);
    await migrate(pool);
    await store.schema.migrate();
    const event = { type: 'Probed', data: { n: 1 } };
    await store.appendToStream('probe-1', [event]);
    const conflict = await store.appendToStream('probe-1', [event], { expectedStreamVersion: 0n }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(conflict).not.toBeNull();
    expect(isExpectedVersionConflictError(conflict)).toBe(true);
    expect(conflict instanceof ExpectedVersionConflictError).toBe(false);
  });
});
