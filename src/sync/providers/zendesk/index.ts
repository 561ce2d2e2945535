import type { ChangesPage, ListPage, MutationItem, MutationKind, Provider, ProviderSession, UpstreamObject } from '../provider.ts';
import { UpstreamRequestError } from '../provider.ts';
import { advanceTimeCursor, decodeChangesCursor, encodeChangesCursor, type ChangesCursor, type Exported } from './changes-cursor.ts';
import { ZendeskClient } from './client.ts';
import { zendeskCollection, zendeskCollections, type ZendeskCollection } from './collections.ts';
import { zendeskOAuth } from './oauth.ts';
import { zendeskQuotaPauseMs } from './quota.ts';
import { zendeskWebhooks } from './webhooks.ts';

/** Zendesk's largest export page. */
const PER_PAGE = 1000;
/**
 * How far before "now" the first incremental export starts: Zendesk refuses a start_time younger
 * than a minute, and the margin covers a clock that runs a little ahead of Zendesk's.
 */
const START_MARGIN_S = 120;

type ZendeskRecord = Record<string, unknown> & { id?: unknown };

interface CursorExportPage {
  after_cursor?: string | null;
  end_of_stream?: boolean;
  [plural: string]: unknown;
}

interface TimeExportPage {
  end_time?: number | null;
  end_of_stream?: boolean;
  [plural: string]: unknown;
}

const dateOf = (time: unknown): Date | null => {
  const ms = typeof time === 'string' ? Date.parse(time) : NaN;
  return Number.isFinite(ms) ? new Date(ms) : null;
};

const secondsOf = (time: unknown): number => Math.floor((dateOf(time)?.getTime() ?? 0) / 1000);

function toUpstreamObject(data: ZendeskRecord, deleted: boolean): UpstreamObject {
  return { upstreamId: String(data.id), data, upstreamCreatedAt: dateOf(data.created_at), upstreamUpdatedAt: dateOf(data.updated_at), deleted };
}

class ZendeskSession implements ProviderSession {
  constructor(private readonly client: ZendeskClient) {}

  /** Backfill = the collection's export from start_time=0; deleted objects are left out. */
  async listPage(collectionId: string, cursor: string | null): Promise<ListPage> {
    const collection = zendeskCollection(collectionId);
    if (collection.exportKind === 'cursor') {
      const page = await this.cursorPage(collection, cursor === null ? { start_time: '0' } : { cursor });
      const live = page.objects.filter((o) => !collection.isDeleted(o));
      return { objects: live.map((o) => toUpstreamObject(o, false)), nextCursor: page.endOfStream ? null : (page.afterCursor ?? null), totalCount: cursor === null ? await this.count(collection) : null };
    }
    const start = cursor === null ? 0 : Number(cursor);
    const page = await this.timePage(collection, start);
    // Objects of the page's last second come again on the next page (upserts of the same data).
    const next = page.endTime > start ? page.endTime : start + 1;
    return {
      objects: page.objects.filter((o) => !collection.isDeleted(o)).map((o) => toUpstreamObject(o, false)),
      nextCursor: page.endOfStream ? null : String(next),
      totalCount: cursor === null ? await this.count(collection) : null,
    };
  }

  async initialChangesCursor(collectionId: string): Promise<string> {
    const collection = zendeskCollection(collectionId);
    const start = Math.floor(Date.now() / 1000) - START_MARGIN_S;
    return encodeChangesCursor(collection.exportKind === 'cursor' ? { s: start } : { t: start, seen: {} });
  }

  async changesSince(collectionId: string, rawCursor: string): Promise<ChangesPage> {
    const collection = zendeskCollection(collectionId);
    const cursor = decodeChangesCursor(rawCursor);
    if ('t' in cursor) return this.timeChanges(collection, cursor);
    const page = await this.cursorPage(collection, 's' in cursor ? { start_time: String(cursor.s) } : { cursor: cursor.c });
    // A page can hold an object more than once (changed twice): its last state counts, once.
    const objects = new Map<string, UpstreamObject>();
    for (const data of page.objects) {
      const id = String(data.id);
      objects.delete(id);
      objects.set(id, toUpstreamObject(data, collection.isDeleted(data)));
    }
    const next: ChangesCursor = page.afterCursor ? { c: page.afterCursor } : cursor;
    return { objects: [...objects.values()], cursor: encodeChangesCursor(next), hasMore: !page.endOfStream };
  }

  async mutate(collectionId: string, kind: MutationKind, item: MutationItem): Promise<UpstreamObject> {
    const collection = zendeskCollection(collectionId);
    if (!collection.mutations.includes(kind)) throw new UpstreamRequestError(`Zendesk ${collection.plural} do not support ${kind} here`, 400, 'mutation_not_supported');
    const needId = (): string => {
      if (!item.upstreamId || !/^\d+$/.test(item.upstreamId)) throw new UpstreamRequestError(`${kind} needs the ticket's numeric id`, 400, 'upstream_id_required');
      return item.upstreamId;
    };
    switch (kind) {
      case 'create': {
        const answer = await this.client.request<Record<string, ZendeskRecord>>('POST', this.client.url(`${collection.plural}.json`), { [collection.singular]: item.data });
        return toUpstreamObject(this.envelopeOf(collection, answer.body), false);
      }
      case 'update': {
        const id = needId();
        const answer = await this.client.request<Record<string, ZendeskRecord>>('PUT', this.client.url(`${collection.plural}/${id}.json`), { [collection.singular]: item.data });
        return toUpstreamObject(this.envelopeOf(collection, answer.body), false);
      }
      case 'delete': {
        const id = needId();
        // Zendesk answers a delete with 204 and no body: the ticket is read first so the tombstone keeps its last state.
        const last = await this.currentState(collection, id);
        if (last === null) return toUpstreamObject({ id: Number(id) }, true);
        try {
          await this.client.request<unknown>('DELETE', this.client.url(`${collection.plural}/${id}.json`));
        } catch (error) {
          // Deleted meanwhile (a retried delete): gone all the same.
          if (!(error instanceof UpstreamRequestError && error.status === 404)) throw error;
        }
        return toUpstreamObject(last, true);
      }
    }
  }

  /**
   * `GET <plural>/{id}.json`: null when Zendesk answers 404 (deleted tickets, deleted
   * organizations) or answers the object as deleted (a deleted user is still read, `active: false`).
   */
  async fetchObject(collectionId: string, upstreamId: string): Promise<UpstreamObject | null> {
    const collection = zendeskCollection(collectionId);
    if (!/^\d+$/.test(upstreamId)) return null;
    const current = await this.currentState(collection, upstreamId);
    return current === null || collection.isDeleted(current) ? null : toUpstreamObject(current, false);
  }

  private async timeChanges(collection: ZendeskCollection, cursor: { t: number; seen: Record<string, string> }): Promise<ChangesPage> {
    const page = await this.timePage(collection, cursor.t);
    const listed: Exported<ZendeskRecord>[] = page.objects.map((item) => ({ id: String(item.id), at: secondsOf(item.updated_at), item }));
    const advanced = advanceTimeCursor(cursor, listed, page.endTime, page.endOfStream);
    const objects = new Map<string, UpstreamObject>();
    for (const { id, item } of advanced.fresh) {
      objects.delete(id);
      objects.set(id, toUpstreamObject(item, collection.isDeleted(item)));
    }
    return { objects: [...objects.values()], cursor: encodeChangesCursor({ t: advanced.t, seen: advanced.seen }), hasMore: !page.endOfStream };
  }

  private async cursorPage(collection: ZendeskCollection, params: Record<string, string>): Promise<{ objects: ZendeskRecord[]; afterCursor: string | null; endOfStream: boolean }> {
    const url = this.client.url(`incremental/${collection.plural}/cursor.json?${new URLSearchParams({ ...params, per_page: String(PER_PAGE) })}`);
    const body = (await this.client.get<CursorExportPage>(url)).body;
    return { objects: this.objectsOf(collection, body), afterCursor: typeof body?.after_cursor === 'string' ? body.after_cursor : null, endOfStream: body?.end_of_stream === true };
  }

  private async timePage(collection: ZendeskCollection, startTime: number): Promise<{ objects: ZendeskRecord[]; endTime: number; endOfStream: boolean }> {
    const url = this.client.url(`incremental/${collection.plural}.json?${new URLSearchParams({ start_time: String(startTime), per_page: String(PER_PAGE) })}`);
    const body = (await this.client.get<TimeExportPage>(url)).body;
    return { objects: this.objectsOf(collection, body), endTime: typeof body?.end_time === 'number' ? body.end_time : startTime, endOfStream: body?.end_of_stream === true };
  }

  private objectsOf(collection: ZendeskCollection, body: Record<string, unknown> | undefined): ZendeskRecord[] {
    const objects = body?.[collection.plural];
    if (!Array.isArray(objects)) throw new Error(`Zendesk answered a ${collection.plural} export without "${collection.plural}"`);
    return objects as ZendeskRecord[];
  }

  private envelopeOf(collection: ZendeskCollection, body: Record<string, ZendeskRecord> | undefined): ZendeskRecord {
    const object = body?.[collection.singular];
    if (!object || typeof object !== 'object') throw new Error(`Zendesk answered without "${collection.singular}"`);
    return object;
  }

  /**
   * `GET <plural>/count.json` → `{count: {value, refreshed_at}}`, for the backfill percentage only
   * (Zendesk caches it on large accounts): null when the account does not answer it.
   */
  private async count(collection: ZendeskCollection): Promise<number | null> {
    try {
      const body = (await this.client.get<{ count?: { value?: unknown } }>(this.client.url(`${collection.plural}/count.json`))).body;
      return typeof body?.count?.value === 'number' ? body.count.value : null;
    } catch (error) {
      if (error instanceof UpstreamRequestError && error.status < 500) return null;
      throw error;
    }
  }

  /** The object as GET answers it, or null when Zendesk no longer has it. */
  private async currentState(collection: ZendeskCollection, id: string): Promise<ZendeskRecord | null> {
    try {
      return this.envelopeOf(collection, (await this.client.get<Record<string, ZendeskRecord>>(this.client.url(`${collection.plural}/${id}.json`))).body);
    } catch (error) {
      if (error instanceof UpstreamRequestError && error.status === 404) return null;
      throw error;
    }
  }
}

export const zendeskProvider: Provider = {
  name: 'zendesk',
  displayName: 'Zendesk',
  credentialKinds: ['zendesk', 'zendesk_oauth2'],
  collections: zendeskCollections.map(({ id, name, mutations }) => ({ id, name, mutations })),
  // 3/s = 180/min stays under the smallest plan's 200/min account limit. The incremental exports
  // allow 10 requests a minute on their own: their 429s carry Retry-After, which the engine waits.
  defaultRateLimit: { allowedRequests: 3, intervalSeconds: 1, maxConcurrentRequests: 2 },
  quotaPauseMs: zendeskQuotaPauseMs,
  oauth: zendeskOAuth,
  webhooks: zendeskWebhooks,
  connect: (context) => new ZendeskSession(ZendeskClient.connect(context)),
};
