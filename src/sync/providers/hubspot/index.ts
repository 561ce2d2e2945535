import type { ChangesPage, ListPage, MutationItem, MutationKind, Provider, ProviderSession, UpstreamObject } from '../provider.ts';
import { UpstreamRequestError } from '../provider.ts';
import { advanceArchived, advanceModified, decodeChangesCursor, encodeChangesCursor, initialChangesCursor, type ChangesCursor, type Timed } from './changes-cursor.ts';
import { createHubSpotApi, HUBSPOT_CRM_OBJECTS, type HubSpotApi } from './client.ts';
import { hubspotCollection, hubspotCollections, type HubSpotCollection } from './collections.ts';
import { hubspotOAuth } from './oauth.ts';
import { hubspotQuotaPauseMs } from './quota.ts';
import { hubspotWebhooks } from './webhooks.ts';
import { detectingDeletes } from '../request-purpose.ts';

const PAGE_SIZE = 100;
/** The search API answers no result past the 10,000th of one query. */
const SEARCH_RESULT_CAP = 10_000;

/** A CRM object as the v3 API returns it. */
interface HubSpotObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt?: string;
  updatedAt?: string;
  archived?: boolean;
  archivedAt?: string;
}

interface Paged {
  results: HubSpotObject[];
  paging?: { next?: { after?: string } };
}

interface SearchAnswer extends Paged {
  total?: number;
}

const ms = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
};
const date = (iso: string | null | undefined): Date | null => {
  const t = ms(iso);
  return t === null ? null : new Date(t);
};

function checkObject(object: unknown, what: string): HubSpotObject {
  const o = object as Partial<HubSpotObject> | null;
  if (!o || typeof o.id !== 'string' || !o.properties || typeof o.properties !== 'object') throw new Error(`HubSpot answered ${what} with an object that has no id or properties`);
  return o as HubSpotObject;
}

function toUpstreamObject(object: HubSpotObject, deleted = false): UpstreamObject {
  return {
    upstreamId: object.id,
    data: object as unknown as Record<string, unknown>,
    upstreamCreatedAt: date(object.createdAt),
    upstreamUpdatedAt: date(deleted ? (object.archivedAt ?? object.updatedAt) : object.updatedAt),
    deleted,
  };
}

const nextAfter = (page: Paged): string | null => page.paging?.next?.after ?? null;

class HubSpotSession implements ProviderSession {
  constructor(private readonly api: HubSpotApi) {}

  async listPage(collectionId: string, cursor: string | null): Promise<ListPage> {
    const collection = hubspotCollection(collectionId);
    const page = await this.list(collection, { archived: false, after: cursor });
    return { objects: page.results.map((o) => toUpstreamObject(checkObject(o, 'a listing'))), nextCursor: nextAfter(page), totalCount: null };
  }

  async initialChangesCursor(collectionId: string): Promise<string> {
    const collection = hubspotCollection(collectionId);
    const answer = await this.api.request<SearchAnswer>('POST', `${HUBSPOT_CRM_OBJECTS}/${collection.objectType}/search`, {
      readOnly: true, // a search changes nothing: retried after 5xx like a GET
      body: { sorts: [{ propertyName: collection.modifiedProperty, direction: 'DESCENDING' }], properties: [collection.modifiedProperty], limit: 1 },
    });
    const newest = answer.body.results[0];
    const newestMs = newest ? (ms(newest.properties[collection.modifiedProperty]) ?? ms(newest.updatedAt) ?? 0) : 0;
    // Archiving need not touch the modification date: HubSpot's own clock (Date) marks "now" for archived objects.
    const upstreamNow = ms(answer.headers.get('date'));
    return encodeChangesCursor(initialChangesCursor(newestMs, upstreamNow ?? newestMs));
  }

  async changesSince(collectionId: string, rawCursor: string): Promise<ChangesPage> {
    const collection = hubspotCollection(collectionId);
    let cursor = decodeChangesCursor(rawCursor);
    const changes: Array<{ object: UpstreamObject; at: number }> = [];
    let searchMore = false;
    // A poll round: modified objects until the search is drained, then one archived scan, page by page.
    if (cursor.a.after === null) {
      const modified = await this.modifiedSince(collection, cursor);
      cursor = { ...cursor, m: modified.cursor };
      searchMore = modified.more;
      for (const { object, at } of modified.fresh) changes.push({ object: toUpstreamObject(object), at });
    }
    if (!searchMore) {
      const after = cursor.a.after;
      const page = await detectingDeletes(() => this.list(collection, { archived: true, after }));
      const timed = page.results.map((o) => {
        const object = checkObject(o, 'the archived listing');
        return { id: object.id, at: ms(object.archivedAt), object };
      });
      const { reported, cursor: a } = advanceArchived(cursor.a, timed, nextAfter(page));
      cursor = { ...cursor, a };
      for (const { object, at } of reported) changes.push({ object: toUpstreamObject(object, true), at: at ?? ms(object.updatedAt) ?? 0 });
    }
    // Oldest change first; an object seen twice counts by its latest change (a tombstone after its last update).
    changes.sort((x, y) => x.at - y.at || Number(x.object.deleted) - Number(y.object.deleted));
    const latest = new Map<string, UpstreamObject>();
    for (const { object } of changes) {
      latest.delete(object.upstreamId);
      latest.set(object.upstreamId, object);
    }
    return { objects: [...latest.values()], cursor: encodeChangesCursor(cursor), hasMore: searchMore || cursor.a.after !== null };
  }

  async mutate(collectionId: string, kind: MutationKind, item: MutationItem): Promise<UpstreamObject> {
    const collection = hubspotCollection(collectionId);
    const path = `${HUBSPOT_CRM_OBJECTS}/${collection.objectType}`;
    const needId = () => {
      if (!item.upstreamId) throw new UpstreamRequestError(`${kind} needs the object's id`, 400, 'upstream_id_required');
      return item.upstreamId;
    };
    // HubSpot has no idempotency keys; its writes answer a different set of properties than the
    // collection's, so the record is read back with the collection's properties.
    switch (kind) {
      case 'create': {
        const created = await this.api.request<HubSpotObject>('POST', path, { body: { properties: writeProperties(item) } });
        return toUpstreamObject(await this.read(collection, checkObject(created.body, 'a create').id, false));
      }
      case 'update': {
        const id = needId();
        await this.api.request<HubSpotObject>('PATCH', `${path}/${encodeURIComponent(id)}`, { body: { properties: writeProperties(item) } });
        return toUpstreamObject(await this.read(collection, id, false));
      }
      case 'delete': {
        const id = needId();
        // HubSpot archives (204, also for an id it does not have); the archived object is the tombstone.
        await this.api.request<unknown>('DELETE', `${path}/${encodeURIComponent(id)}`);
        return toUpstreamObject(await this.read(collection, id, true), true);
      }
    }
  }

  /**
   * The object with the collection's properties. An archived one is answered as the archived scan
   * reports it (a tombstone byte-identical to the poll's, so a webhook and a poll record one
   * delete); null when HubSpot has neither (never there, or purged), or answers another object
   * (the one a merged-away id now resolves to).
   */
  async fetchObject(collectionId: string, upstreamId: string): Promise<UpstreamObject | null> {
    const collection = hubspotCollection(collectionId);
    const live = await this.readIfThere(collection, upstreamId, false);
    if (live) return live.id === upstreamId ? toUpstreamObject(live) : null;
    const archived = await this.readIfThere(collection, upstreamId, true);
    return archived && archived.id === upstreamId ? toUpstreamObject(archived, true) : null;
  }

  private async readIfThere(collection: HubSpotCollection, id: string, archived: boolean): Promise<HubSpotObject | null> {
    try {
      return await this.read(collection, id, archived);
    } catch (error) {
      if (error instanceof UpstreamRequestError && error.status === 404) return null;
      throw error;
    }
  }

  private async list(collection: HubSpotCollection, { archived, after }: { archived: boolean; after: string | null }): Promise<Paged> {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), properties: collection.properties.join(','), archived: String(archived) });
    if (after) query.set('after', after);
    const answer = await this.api.request<Paged>('GET', `${HUBSPOT_CRM_OBJECTS}/${collection.objectType}`, { query });
    if (!Array.isArray(answer.body?.results)) throw new Error(`HubSpot answered the ${collection.objectType} listing without results`);
    return answer.body;
  }

  private async read(collection: HubSpotCollection, id: string, archived: boolean): Promise<HubSpotObject> {
    const query = new URLSearchParams({ properties: collection.properties.join(','), archived: String(archived) });
    const answer = await this.api.request<HubSpotObject>('GET', `${HUBSPOT_CRM_OBJECTS}/${collection.objectType}/${encodeURIComponent(id)}`, { query });
    return checkObject(answer.body, 'a read');
  }

  /**
   * Objects modified at or after the cursor, ascending: pages of one query until a page brings
   * something not applied yet (or the query is exhausted), never past the 10,000-result cap.
   */
  private async modifiedSince(collection: HubSpotCollection, cursor: ChangesCursor): Promise<{ fresh: Array<Timed & { object: HubSpotObject }>; cursor: ChangesCursor['m']; more: boolean }> {
    let after: string | null = null;
    for (let page = 1; ; page++) {
      const answer = await this.api.request<SearchAnswer>('POST', `${HUBSPOT_CRM_OBJECTS}/${collection.objectType}/search`, {
        readOnly: true, // a search changes nothing: retried after 5xx like a GET
        body: {
          filterGroups: [{ filters: [{ propertyName: collection.modifiedProperty, operator: 'GTE', value: String(cursor.m.t) }] }],
          sorts: [{ propertyName: collection.modifiedProperty, direction: 'ASCENDING' }],
          properties: collection.properties,
          limit: PAGE_SIZE,
          ...(after === null ? {} : { after }),
        },
      });
      if (!Array.isArray(answer.body?.results)) throw new Error(`HubSpot answered the ${collection.objectType} search without results`);
      const timed = answer.body.results.map((o) => {
        const object = checkObject(o, 'a search');
        return { id: object.id, at: ms(object.properties[collection.modifiedProperty]) ?? ms(object.updatedAt) ?? 0, object };
      });
      const next = nextAfter(answer.body);
      const advanced = advanceModified(cursor.m, timed);
      if (advanced.fresh.length > 0 || next === null) return { ...advanced, more: advanced.fresh.length > 0 && next !== null };
      // A whole page already applied: objects tied on the cursor's millisecond; read on.
      after = next;
      if (page * PAGE_SIZE >= SEARCH_RESULT_CAP || (/^\d+$/.test(next) && Number(next) + PAGE_SIZE > SEARCH_RESULT_CAP)) {
        throw new Error(`more than ${SEARCH_RESULT_CAP - PAGE_SIZE} ${collection.objectType} share the modification time ${new Date(cursor.m.t).toISOString()}: the search API cannot page past them`);
      }
    }
  }
}

/** A mutation item's `data` is `{properties: {...}}`, HubSpot's write body. */
function writeProperties(item: MutationItem): Record<string, unknown> {
  const properties = item.data.properties;
  if (!properties || typeof properties !== 'object' || Array.isArray(properties)) {
    throw new UpstreamRequestError('a HubSpot mutation item needs data.properties, an object of property values', 400, 'invalid_mutation_data');
  }
  return properties as Record<string, unknown>;
}

export const hubspotProvider: Provider = {
  name: 'hubspot',
  displayName: 'HubSpot',
  credentialKinds: ['hubspot', 'hubspot_oauth2'],
  collections: hubspotCollections.map(({ id, name, mutations }) => ({ id, name, mutations })),
  // Private apps may send 100 (Free/Starter) or 190 (Professional/Enterprise) requests per 10 s,
  // and the search API 5 per second: 4 per second stays under all of them.
  defaultRateLimit: { allowedRequests: 4, intervalSeconds: 1, maxConcurrentRequests: 2 },
  // X-HubSpot-RateLimit-Remaining: 0 holds the sync for the window instead of earning a 429.
  quotaPauseMs: hubspotQuotaPauseMs,
  oauth: hubspotOAuth,
  webhooks: hubspotWebhooks,
  connect: (context) => new HubSpotSession(createHubSpotApi(context)),
};
