import { callLimitPauseMs } from './call-limit.ts';
import type { ChangesPage, ListPage, MutationItem, MutationKind, Provider, ProviderSession, UpstreamObject } from '../provider.ts';
import { UpstreamRequestError } from '../provider.ts';
import { nextLink } from '../http-json.ts';
import { detectingDeletes } from '../request-purpose.ts';
import { ShopifyClient } from './client.ts';
import { advanceDeletes, advanceUpdates, decodeChangesCursor, encodeChangesCursor, EVENT_WINDOW_S, fingerprint, type Changed, type ChangesCursor } from './changes-cursor.ts';
import { shopifyCollection, shopifyCollections, type ShopifyCollection } from './collections.ts';
import { shopifyWebhooks } from './webhooks.ts';

const PAGE_SIZE = 250;
/** A poll stops after this many new objects when Shopify lists them in `updated_at` order. */
const MAX_CHANGES_PER_POLL = 1_000;

type ShopifyRecord = Record<string, unknown> & { id?: unknown };

/** A destroy event: its id, created second, and the deleted object's id. */
type DestroyEvent = Omit<Changed<string>, 'fingerprint'>;

interface ShopifyEvent {
  id: number | string;
  subject_id: number | string;
  subject_type: string;
  verb: string;
  created_at: string;
}

const seconds = (time: unknown): number | null => {
  const ms = typeof time === 'string' ? Date.parse(time) : NaN;
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
};
const dateOf = (time: unknown): Date | null => {
  const ms = typeof time === 'string' ? Date.parse(time) : NaN;
  return Number.isFinite(ms) ? new Date(ms) : null;
};
const isoSeconds = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z');

function toUpstreamObject(data: ShopifyRecord, deleted = false): UpstreamObject {
  return {
    upstreamId: String(data.id),
    data,
    upstreamCreatedAt: dateOf(data.created_at),
    upstreamUpdatedAt: dateOf(data.updated_at),
    deleted,
  };
}

class ShopifySession implements ProviderSession {

  constructor(private readonly client: ShopifyClient) {}

  async listPage(collectionId: string, cursor: string | null): Promise<ListPage> {
    const collection = shopifyCollection(collectionId);
    // The cursor is the next link's query (page_info and limit), followed as Shopify gave it.
    const url = cursor === null ? this.listUrl(collection, {}) : this.client.url(`${collection.plural}.json${cursor}`);
    const answer = await this.client.get<Record<string, ShopifyRecord[]>>(url);
    const objects = this.objectsOf(collection, answer.body);
    const next = nextLink(answer.headers);
    return {
      objects: objects.map((o) => toUpstreamObject(o)),
      nextCursor: next ? this.client.followed(next).search : null,
      totalCount: cursor === null ? await this.count(collection) : null,
    };
  }

  async initialChangesCursor(collectionId: string): Promise<string> {
    const collection = shopifyCollection(collectionId);
    // "Now" by Shopify's clock (the answer's Date), which also writes updated_at and created_at.
    const answer = await this.client.get<unknown>(this.client.url(`${collection.plural}/count.json?${new URLSearchParams(collection.listParams)}`));
    const now = Math.floor((Date.parse(answer.headers.get('date') ?? '') || Date.now()) / 1000);
    // Deletes already in the window happened before the backfill: it will not list them.
    const events = await this.destroyEvents(collection, now - EVENT_WINDOW_S);
    const cursor: ChangesCursor = { u: now, seen: {}, e: now, ev: events.map((e) => [e.id, e.at]) };
    return encodeChangesCursor(cursor);
  }

  async changesSince(collectionId: string, rawCursor: string): Promise<ChangesPage> {
    const collection = shopifyCollection(collectionId);
    const cursor = decodeChangesCursor(rawCursor);
    const { listed, hasMore } = await this.updatedSince(collection, cursor);
    const updates = advanceUpdates(cursor, listed);
    // Deletes after updates: an object listed and then deleted ends as a tombstone.
    const deletes = advanceDeletes(cursor, await detectingDeletes(() => this.destroyEvents(collection, cursor.e - EVENT_WINDOW_S)));
    const objects = new Map<string, UpstreamObject>();
    for (const changed of updates.fresh) objects.set(changed.id, toUpstreamObject(changed.item));
    for (const { item: subjectId, at } of deletes.fresh) {
      // Destroy events name only the object: the stream keeps the record's last data (partialTombstone) unless this poll listed it.
      const listed = objects.get(subjectId)?.data;
      objects.delete(subjectId);
      const tombstone = toUpstreamObject(listed ?? { id: Number(subjectId) }, true);
      objects.set(subjectId, { ...tombstone, upstreamId: subjectId, upstreamUpdatedAt: new Date(at * 1000), ...(listed ? {} : { partialTombstone: true }) });
    }
    const next: ChangesCursor = { u: updates.u, seen: updates.seen, e: deletes.e, ev: deletes.ev };
    return { objects: [...objects.values()], cursor: encodeChangesCursor(next), hasMore };
  }

  async mutate(collectionId: string, kind: MutationKind, item: MutationItem): Promise<UpstreamObject> {
    const collection = shopifyCollection(collectionId);
    const needId = (): string => {
      if (!item.upstreamId || !/^\d+$/.test(item.upstreamId)) throw new UpstreamRequestError(`${kind} needs the object's numeric id`, 400, 'upstream_id_required');
      return item.upstreamId;
    };
    switch (kind) {
      case 'create': {
        const answer = await this.client.request<Record<string, ShopifyRecord>>('POST', this.client.url(`${collection.plural}.json`), { [collection.singular]: item.data });
        return toUpstreamObject(this.envelopeOf(collection, answer.body));
      }
      case 'update': {
        const id = needId();
        const answer = await this.client.request<Record<string, ShopifyRecord>>('PUT', this.client.url(`${collection.plural}/${id}.json`), {
          [collection.singular]: { ...item.data, id: Number(id) },
        });
        return toUpstreamObject(this.envelopeOf(collection, answer.body));
      }
      case 'delete': {
        const id = needId();
        // Shopify answers a delete with `{}`: the object is read first so the tombstone keeps its last state.
        const last = await this.currentState(collection, id);
        if (last === null) return { ...toUpstreamObject({ id: Number(id) }, true), partialTombstone: true };
        try {
          await this.client.request<unknown>('DELETE', this.client.url(`${collection.plural}/${id}.json`));
        } catch (error) {
          // Deleted meanwhile (a retried delete): the object is gone all the same.
          if (!(error instanceof UpstreamRequestError && error.status === 404)) throw error;
        }
        return toUpstreamObject(last, true);
      }
    }
  }

  /** The object as `GET <resource>/{id}.json` answers it (what a webhook hint reads), null once Shopify answers 404. */
  async fetchObject(collectionId: string, upstreamId: string): Promise<UpstreamObject | null> {
    const collection = shopifyCollection(collectionId);
    // Shopify's ids are numeric: any other id names no object.
    if (!/^\d+$/.test(upstreamId)) return null;
    const data = await this.currentState(collection, upstreamId);
    return data === null ? null : toUpstreamObject(data);
  }

  /** The object as GET answers it, or null when Shopify no longer has it. */
  private async currentState(collection: ShopifyCollection, id: string): Promise<ShopifyRecord | null> {
    try {
      return this.envelopeOf(collection, (await this.client.get<Record<string, ShopifyRecord>>(this.client.url(`${collection.plural}/${id}.json`))).body);
    } catch (error) {
      if (error instanceof UpstreamRequestError && error.status === 404) return null;
      throw error;
    }
  }

  private listUrl(collection: ShopifyCollection, params: Record<string, string>): URL {
    return this.client.url(`${collection.plural}.json?${new URLSearchParams({ ...collection.listParams, ...params, limit: String(PAGE_SIZE) })}`);
  }

  private async count(collection: ShopifyCollection): Promise<number | null> {
    const answer = await this.client.get<{ count?: unknown }>(this.client.url(`${collection.plural}/count.json?${new URLSearchParams(collection.listParams)}`));
    return typeof answer.body?.count === 'number' ? answer.body.count : null;
  }

  /**
   * Objects updated at or after the cursor second, following the Link pages. When Shopify lists
   * them in `updated_at` order the read stops after MAX_CHANGES_PER_POLL new ones (the rest is
   * the next poll's); in any other order every page is read, since the newest may come last.
   */
  private async updatedSince(collection: ShopifyCollection, cursor: ChangesCursor): Promise<{ listed: Changed<ShopifyRecord>[]; hasMore: boolean }> {
    const byId = new Map<string, Changed<ShopifyRecord>>();
    let url: URL | null = this.listUrl(collection, { updated_at_min: isoSeconds(cursor.u), order: 'updated_at asc' });
    let previousAt = -Infinity;
    let ordered = true;
    let fresh = 0;
    while (url) {
      const answer: { body: Record<string, ShopifyRecord[]>; headers: Headers } = await this.client.get<Record<string, ShopifyRecord[]>>(url);
      for (const data of this.objectsOf(collection, answer.body)) {
        const at = seconds(data.updated_at) ?? cursor.u;
        const changed: Changed<ShopifyRecord> = { id: String(data.id), at, fingerprint: fingerprint(data), item: data };
        if (at < previousAt) ordered = false;
        previousAt = Math.max(previousAt, at);
        if (at > cursor.u || (at === cursor.u && cursor.seen[changed.id] !== changed.fingerprint)) fresh++;
        const known = byId.get(changed.id);
        if (!known || known.at <= at) byId.set(changed.id, changed);
      }
      const next = nextLink(answer.headers);
      url = next ? this.client.followed(next) : null;
      if (url && ordered && fresh >= MAX_CHANGES_PER_POLL) return { listed: [...byId.values()], hasMore: true };
    }
    return { listed: [...byId.values()], hasMore: false };
  }

  /**
   * Every destroy event of the collection's subject type created at or after `from`, all pages,
   * as `{id: event id, at, item: subject id}`.
   */
  private async destroyEvents(collection: ShopifyCollection, from: number): Promise<DestroyEvent[]> {
    const events: DestroyEvent[] = [];
    const query = new URLSearchParams({ verb: 'destroy', filter: collection.subjectType, created_at_min: isoSeconds(from), limit: String(PAGE_SIZE) });
    let url: URL | null = this.client.url(`events.json?${query}`);
    while (url) {
      const answer: { body: { events?: ShopifyEvent[] }; headers: Headers } = await this.client.get<{ events?: ShopifyEvent[] }>(url);
      for (const event of answer.body?.events ?? []) {
        if (event.verb !== 'destroy' || event.subject_type !== collection.subjectType) continue;
        events.push({ id: String(event.id), at: seconds(event.created_at) ?? from, item: String(event.subject_id) });
      }
      const next = nextLink(answer.headers);
      url = next ? this.client.followed(next) : null;
    }
    return events;
  }

  private objectsOf(collection: ShopifyCollection, body: Record<string, ShopifyRecord[]> | undefined): ShopifyRecord[] {
    const objects = body?.[collection.plural];
    if (!Array.isArray(objects)) throw new Error(`Shopify answered a ${collection.plural} listing without "${collection.plural}"`);
    return objects;
  }

  private envelopeOf(collection: ShopifyCollection, body: Record<string, ShopifyRecord> | undefined): ShopifyRecord {
    const object = body?.[collection.singular];
    if (!object || typeof object !== 'object') throw new Error(`Shopify answered without "${collection.singular}"`);
    return object;
  }
}

export const shopifyProvider: Provider = {
  name: 'shopify',
  displayName: 'Shopify',
  credentialKinds: ['shopify'],
  collections: shopifyCollections.map(({ id, name, mutations }) => ({ id, name, mutations })),
  // Standard plans: a bucket of 40 requests leaking 2 per second. 2/s never drains it.
  defaultRateLimit: { allowedRequests: 2, intervalSeconds: 1, maxConcurrentRequests: 2 },
  quotaPauseMs: callLimitPauseMs,
  webhooks: shopifyWebhooks,
  connect: (context) => new ShopifySession(ShopifyClient.connect(context)),
};
