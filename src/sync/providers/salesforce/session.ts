import type { ChangesPage, ListPage, MutationItem, MutationKind, ProviderSession, UpstreamObject } from '../provider.ts';
import { UpstreamRequestError } from '../provider.ts';
import { detectingDeletes } from '../request-purpose.ts';
import { API_VERSION, type QueryResult, type SalesforceApi, type SObjectRecord } from './api.ts';
import { advanceBackfill, decodeBackfillCursor, encodeBackfillCursor, notListedYet } from './backfill-cursor.ts';
import { advanceDeletes, advanceUpdates, decodeChangesCursor, encodeChangesCursor, freshUpdates, modstampOf, recordDigest, recordId, type ChangesCursor } from './changes-cursor.ts';
import { salesforceCollection, type SalesforceCollection } from './collections.ts';
import { isoSeconds, parseSalesforceDate, soqlDateTime, soqlString } from './datetime.ts';

/** The delete log refuses windows under a minute; this much of each window overlaps the last one. */
const DELETE_WINDOW_MS = 2 * 60_000;
/** The delete log keeps 15 days; older starts are refused (a longer pause loses deletes until a resync). */
const DELETE_LOG_REACH_MS = 14 * 24 * 3600_000;
/** Ids per `Id IN (…)` query (keeps the URL far below Salesforce's limit). */
const IDS_PER_QUERY = 100;
/** Records the initial changes cursor reads to mark the newest instant applied. */
const NEWEST_SAMPLE = 200;

function toUpstreamObject(record: SObjectRecord, deleted = false, changedAt: number | null = null): UpstreamObject {
  const created = parseSalesforceDate(record.CreatedDate);
  const modified = changedAt ?? parseSalesforceDate(record.SystemModstamp);
  return {
    upstreamId: recordId(record),
    data: record,
    upstreamCreatedAt: created === null ? null : new Date(created),
    upstreamUpdatedAt: modified === null ? null : new Date(modified),
    deleted,
  };
}

/** How often the field set is checked for changes upstream (a describe answered 304 while nothing changed). */
const REDESCRIBE_EVERY_MS = 60_000;

interface Described {
  names: string[];
  /** The org's time of the describe that gave `names`. */
  at: Date;
  /** When (this clock) the field set was last confirmed. */
  checkedAt: number;
}

/**
 * Reads every field of the object (from `describe`), so that records carry the object as a GET of
 * the record answers it, custom fields included. An admin adds and removes fields while a sync
 * runs: the field set is checked again every minute (`If-Modified-Since`, answered 304 while it
 * is unchanged), and at once when a query names a field the object no longer has.
 */
export class SalesforceSession implements ProviderSession {
  private readonly fields = new Map<string, Promise<Described>>();

  constructor(private readonly api: SalesforceApi) {}

  async listPage(collectionId: string, rawCursor: string | null): Promise<ListPage> {
    const collection = salesforceCollection(collectionId);
    if (rawCursor === null) {
      const page = await this.queryFresh(collection, () => this.select(collection, '', 'ASC'));
      return this.backfillPage(page, page.records, null, page.totalSize);
    }
    const cursor = decodeBackfillCursor(rawCursor);
    try {
      const page = await this.api.queryMore(cursor.next);
      return this.backfillPage(page, page.records, cursor, page.totalSize);
    } catch (error) {
      if (!(error instanceof UpstreamRequestError && error.code === 'INVALID_QUERY_LOCATOR')) throw error;
      const page = await this.queryFresh(collection, () => this.select(collection, `WHERE SystemModstamp >= ${soqlDateTime(cursor.t)}`, 'ASC'));
      return this.backfillPage(page, notListedYet(cursor, page.records), cursor, null);
    }
  }

  private backfillPage(page: QueryResult, records: SObjectRecord[], previous: { t: number; ids: string[] } | null, totalCount: number | null): ListPage {
    const position = advanceBackfill(previous, records);
    return {
      objects: records.map((r) => toUpstreamObject(r)),
      nextCursor: !page.done && page.nextRecordsUrl ? encodeBackfillCursor({ next: page.nextRecordsUrl, ...position }) : null,
      totalCount,
    };
  }

  async initialChangesCursor(collectionId: string): Promise<string> {
    const collection = salesforceCollection(collectionId);
    const newest = await this.queryFresh(collection, async () => `${await this.select(collection, '', 'DESC')} LIMIT ${NEWEST_SAMPLE}`);
    const first = newest.records[0];
    const t = first ? modstampOf(first) : 0;
    const seen: Record<string, string> = {};
    // Everything of that instant is in what the backfill lists; if more share it than were
    // read, the rest is listed once more by the first poll (same data: no new record version).
    for (const r of newest.records) if (modstampOf(r) === t) seen[recordId(r)] = recordDigest(r);
    // Deletes are asked from a minute back: the org's clock may be behind this one.
    const d = Math.floor((Date.now() - 60_000) / 60_000) * 60_000;
    return encodeChangesCursor({ t, seen, d, dSeen: {} });
  }

  async changesSince(collectionId: string, rawCursor: string): Promise<ChangesPage> {
    const collection = salesforceCollection(collectionId);
    const cursor = decodeChangesCursor(rawCursor);
    const updates = await this.updatesSince(collection, cursor);
    let next: ChangesCursor = { ...cursor, ...advanceUpdates(cursor, updates.fresh) };
    const objects = updates.fresh.map((r) => toUpstreamObject(r));
    // Deletes are read once the updates have caught up (a catch-up pages without them).
    if (!updates.hasMore) {
      const deletes = await detectingDeletes(() => this.deletesSince(collection, cursor));
      next = { ...next, d: deletes.d, dSeen: deletes.dSeen };
      objects.push(...deletes.tombstones);
    }
    objects.sort((a, b) => (a.upstreamUpdatedAt?.getTime() ?? 0) - (b.upstreamUpdatedAt?.getTime() ?? 0));
    // A record changed and then deleted in one poll: its latest change alone.
    const latest = new Map<string, UpstreamObject>();
    for (const o of objects) {
      latest.delete(o.upstreamId);
      latest.set(o.upstreamId, o);
    }
    return { objects: [...latest.values()], cursor: encodeChangesCursor(next), hasMore: updates.hasMore };
  }

  async mutate(collectionId: string, kind: MutationKind, item: MutationItem): Promise<UpstreamObject> {
    const { sobject } = salesforceCollection(collectionId);
    // `data` is the record's field map; `attributes` and `Id` are the API's, not fields to write.
    const { attributes: _attributes, Id: _id, ...fields } = item.data;
    const needId = () => {
      if (!item.upstreamId) throw new UpstreamRequestError(`${kind} needs the record's id`, 400, 'upstream_id_required');
      return item.upstreamId;
    };
    switch (kind) {
      case 'create': {
        const id = await this.api.create(sobject, fields);
        return toUpstreamObject(await this.api.retrieve(sobject, id));
      }
      case 'update': {
        const id = needId();
        await this.api.update(sobject, id, fields);
        return toUpstreamObject(await this.api.retrieve(sobject, id));
      }
      case 'delete': {
        const id = needId();
        try {
          await this.api.delete(sobject, id);
        } catch (error) {
          // A retried delete: the record is in the recycle bin already.
          if (!(error instanceof UpstreamRequestError && error.code === 'ENTITY_IS_DELETED')) throw error;
        }
        const [last] = await this.lastStates(salesforceCollection(collectionId), [id]);
        return toUpstreamObject(last ?? stub(sobject, id), true, last ? null : Date.now());
      }
    }
  }

  /** Changed records since the cursor, oldest first; pages on past batches that hold only applied records. */
  private async updatesSince(collection: SalesforceCollection, cursor: ChangesCursor): Promise<{ fresh: SObjectRecord[]; hasMore: boolean }> {
    let page = await this.queryFresh(collection, () => this.select(collection, `WHERE SystemModstamp >= ${soqlDateTime(cursor.t)}`, 'ASC'));
    for (;;) {
      const fresh = freshUpdates(cursor, page.records);
      const more = !page.done && !!page.nextRecordsUrl;
      if (fresh.length > 0 || !more) return { fresh, hasMore: more };
      page = await this.api.queryMore(page.nextRecordsUrl as string);
    }
  }

  private async deletesSince(collection: SalesforceCollection, cursor: ChangesCursor): Promise<{ tombstones: UpstreamObject[]; d: number; dSeen: Record<string, number> }> {
    const end = Date.now();
    const start = Math.max(Math.min(cursor.d, end - DELETE_WINDOW_MS), end - DELETE_LOG_REACH_MS);
    const log = await this.api.deleted(collection.sobject, isoSeconds(start), isoSeconds(end));
    const entries = (log.deletedRecords ?? []).flatMap((e) => {
      const at = parseSalesforceDate(e.deletedDate);
      return typeof e.id === 'string' && at !== null ? [{ id: e.id, deletedAt: at }] : [];
    });
    const { fresh, d, dSeen } = advanceDeletes(cursor, entries, parseSalesforceDate(log.latestDateCovered));
    const last = new Map((await this.lastStates(collection, fresh.map((e) => e.id))).map((r) => [recordId(r), r]));
    // Purged from the recycle bin: the stub only names the record, the stream keeps its last stored data.
    const tombstones = fresh.map((e) => {
      const recycled = last.get(e.id);
      return recycled ? toUpstreamObject(recycled, true, e.deletedAt) : { ...toUpstreamObject(stub(collection.sobject, e.id), true, e.deletedAt), partialTombstone: true };
    });
    return { tombstones, d, dSeen };
  }

  /**
   * Deleted records' last state, from the recycle bin (`queryAll` answers deleted records, with
   * `IsDeleted: true`). Records purged from it are missing from the answer.
   */
  private async lastStates(collection: SalesforceCollection, ids: string[]): Promise<SObjectRecord[]> {
    try {
      return await this.recycled(collection, ids);
    } catch (error) {
      // An org (or user) that may not run queryAll: the tombstones carry the id alone.
      if (error instanceof UpstreamRequestError && (error.status === 400 || error.status === 404)) return [];
      throw error;
    }
  }

  private async recycled(collection: SalesforceCollection, ids: string[]): Promise<SObjectRecord[]> {
    const found: SObjectRecord[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const chunk = ids.slice(i, i + IDS_PER_QUERY);
      let page = await this.queryFresh(collection, () => this.select(collection, `WHERE Id IN (${chunk.map(soqlString).join(', ')})`, null), { includeDeleted: true });
      found.push(...page.records);
      while (!page.done && page.nextRecordsUrl) {
        page = await this.api.queryMore(page.nextRecordsUrl);
        found.push(...page.records);
      }
    }
    return found;
  }

  private async select(collection: SalesforceCollection, where: string, order: 'ASC' | 'DESC' | null): Promise<string> {
    const parts = [`SELECT ${(await this.fieldNames(collection.sobject)).join(', ')} FROM ${collection.sobject}`];
    if (where) parts.push(where);
    if (order) parts.push(`ORDER BY SystemModstamp ${order}, Id ${order}`);
    return parts.join(' ');
  }

  /** The object's fields: described once, checked again every REDESCRIBE_EVERY_MS (`fresh`: now). */
  private fieldNames(sobject: string, fresh = false): Promise<string[]> {
    const known = this.fields.get(sobject);
    const check = (previous: Described | null): Promise<Described> => {
      // A second back: a field added in the second of the last describe still counts as a change.
      const since = previous ? new Date(previous.at.getTime() - 1000) : null;
      return this.api.describeFields(sobject, since).then((answer) => (answer ? { ...answer, checkedAt: Date.now() } : { ...previous!, checkedAt: Date.now() }));
    };
    let next: Promise<Described> | undefined;
    if (!known) next = check(null);
    else if (fresh) next = known.then((previous) => check(previous), () => check(null));
    else next = known.then((previous) => (Date.now() - previous.checkedAt >= REDESCRIBE_EVERY_MS ? check(previous) : previous));
    if (next !== known) {
      this.fields.set(sobject, next);
      next.catch(() => {
        if (this.fields.get(sobject) === next) this.fields.delete(sobject);
      });
    }
    return next.then((d) => d.names);
  }

  /** A query that names a field the object no longer has (removed upstream) is asked again with the fields described afresh. */
  private async queryFresh(collection: SalesforceCollection, build: () => Promise<string>, options?: { includeDeleted?: boolean }): Promise<QueryResult> {
    try {
      return await this.api.query(await build(), options);
    } catch (error) {
      if (!(error instanceof UpstreamRequestError && error.code === 'INVALID_FIELD')) throw error;
      await this.fieldNames(collection.sobject, true);
      return this.api.query(await build(), options);
    }
  }
}

/** What a tombstone carries when the recycle bin no longer has the record. */
function stub(sobject: string, id: string): SObjectRecord {
  return { attributes: { type: sobject, url: `/services/data/${API_VERSION}/sobjects/${sobject}/${id}` }, Id: id };
}
