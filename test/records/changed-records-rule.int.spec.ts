import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedRecords, type StoredVersion } from '../../src/domain/records/changed-records.ts';
import type { RecordVersion } from '../../src/domain/records/events.ts';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../support/database.ts';

interface Stored extends StoredVersion {
  upstreamId: string;
}

/** What is stored of a collection, and a page of versions arriving for it. */
interface Case {
  stored: Stored[];
  page: RecordVersion[];
}

// Few ids and hashes, so that pages repeat ids, meet stored ones and carry identical versions.
const upstreamId = fc.constantFrom('a', 'b', 'c', 'd', 'A', 'é');
const dataHash = fc.constantFrom('h1', 'h2', 'h3');
const stored = fc.uniqueArray(fc.record({ upstreamId, dataHash, deleted: fc.boolean() }), { selector: (s) => s.upstreamId, maxLength: 4 });
const version = fc
  .record({ upstreamId, dataHash, deleted: fc.boolean(), timestamped: fc.boolean() })
  .map(({ upstreamId, dataHash, deleted, timestamped }): RecordVersion => ({
    upstreamId,
    data: deleted && dataHash === 'h3' ? {} : { id: upstreamId, hash: dataHash },
    dataHash,
    upstreamCreatedAt: timestamped ? '2024-11-10T18:38:00.070Z' : null,
    upstreamUpdatedAt: timestamped ? '2024-11-11T08:00:00.000Z' : null,
    deleted,
  }));
const testCase: fc.Arbitrary<Case> = fc.record({ stored, page: fc.array(version, { maxLength: 8 }) });

/**
 * "Is this a real change" is decided twice: by changedRecords (src/domain/records/changed-records.ts)
 * for the record writer, and by the `compared` step of syncline_write_backfill_page
 * (prisma/functions) for backfill pages. On generated stored records and pages, the SQL function
 * appends exactly the versions changedRecords returns, in the same order. Each run sends its
 * cases as the pages of one syncline_append_backfill_pages call (each case its own sync and
 * stream), so a run is three statements whatever its number of cases.
 */
describe('the rule for a real change, in TypeScript and in SQL', () => {
  let db: MigratedTestDatabase;

  beforeAll(async () => {
    db = await createMigratedTestDatabase();
    const store = getPostgreSQLEventStore(db.database.url, { connectionOptions: { pool: db.pool }, schema: { autoMigration: 'None' } });
    await store.schema.migrate();
  });

  afterAll(async () => {
    await db?.close();
  });

  /** The versions syncline_write_backfill_page appends for each case, in order ([] for none). */
  async function appendedBySql(cases: readonly Case[]): Promise<RecordVersion[][]> {
    const targets = cases.map(() => ({ syncId: randomUUID(), streamId: randomUUID(), collectionId: 'customers' }));
    const storedRows = cases.flatMap((c, i) =>
      c.stored.map((s, k) => ({ ...targets[i]!, upstreamId: s.upstreamId, dataHash: s.dataHash, deleted: s.deleted, idx: k + 1 })),
    );
    await db.pool.query(
      `WITH s AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb)
           AS s("syncId" uuid, "streamId" uuid, "collectionId" text, "upstreamId" text, "dataHash" text, deleted boolean, idx bigint)
       ), heads AS (
         INSERT INTO stream_heads (stream_id, last_idx) SELECT s."streamId", max(s.idx) FROM s GROUP BY s."streamId"
       )
       INSERT INTO records (sync_id, collection_id, upstream_id, stream_id, updated_idx, first_idx, data, data_hash, deleted)
       SELECT s."syncId", s."collectionId", s."upstreamId", s."streamId", s.idx, s.idx, '{}', s."dataHash", s.deleted FROM s`,
      [JSON.stringify(storedRows)],
    );
    const events = cases.map((c, i) => ({ ...targets[i]!, source: 'backfill', records: c.page }));
    const { rows } = await db.pool.query<{ changed: number }>(
      'SELECT changed FROM syncline_append_backfill_pages(NULL, false, NULL, NULL, $1::jsonb, false, $2::jsonb)',
      [JSON.stringify(events), JSON.stringify(cases.map(() => null))],
    );
    const streams = targets.map((t) => `records-${t.syncId}-${t.collectionId}`);
    const appended = await db.pool.query<{ stream_id: string; records: RecordVersion[] }>(
      `SELECT stream_id, message_data->'records' AS records FROM emt_messages WHERE stream_id = ANY($1::text[]) AND message_type = 'RecordsChanged'`,
      [streams],
    );
    const byStream = new Map(appended.rows.map((r) => [r.stream_id, r.records]));
    const answers = streams.map((s) => byStream.get(s) ?? []);
    expect(rows[0]!.changed).toBe(answers.reduce((n, a) => n + a.length, 0));
    return answers;
  }

  it('appends what changedRecords returns', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(testCase, { minLength: 1, maxLength: 60 }), async (cases) => {
        const bySql = await appendedBySql(cases);
        const byTypeScript = cases.map((c) => changedRecords(c.page, new Map(c.stored.map((s) => [s.upstreamId, s]))));
        expect(bySql).toEqual(byTypeScript);
      }),
      { numRuns: 25 },
    );
  });
});
