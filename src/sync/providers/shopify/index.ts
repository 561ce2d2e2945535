import type { ChangesPage, ListPage, MutationItem, MutationKind, Provider, ProviderSession, UpstreamObject } from '../provider.ts';
import { UpstreamRequestError } from '../provider.ts';
import { detectingDeletes } from '../request-purpose.ts';
import { BulkBackfill, decodeBulkCursor, type ShopifyRecord } from './bulk-backfill.ts';
import { ShopifyClient, throwUserErrors, type GraphqlResult } from './client.ts';
import { advanceDeletes, advanceUpdates, decodeChangesCursor, encodeChangesCursor, EVENT_WINDOW_S, fingerprint, updatedSinceTerm, type Changed, type ChangesCursor } from './changes-cursor.ts';
import { shopifyCollection, shopifyCollections, type ShopifyCollection } from './collections.ts';
import { MUTATIONS } from './mutations.ts';
import { countQuery, DESTROY_EVENTS_QUERY, nestedPageQuery, nodeQuery, QUERIES, updatedSinceQuery, type CollectionQueries } from './queries.ts';
import { shopifyWebhooks } from './webhooks.ts';

/** A poll stops after this many new objects (they come in `updated_at` order; the rest is the next poll's). */
const MAX_CHANGES_PER_POLL = 1_000;
const EVENTS_PAGE = 250;

/** A destroy event: its id, created second, and the deleted object's numeric id. */
type DestroyEvent = Omit<Changed<string>, 'fingerprint'>;

interface Connection<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
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

/** `gid://shopify/Customer/123` → `123` (Syncline's upstream ids are Shopify's numeric ids, as webhooks name them). */
export function legacyId(gid: unknown): string | null {
  const match = typeof gid === 'string' ? /^gid:\/\/shopify\/[A-Za-z]+\/(\d+)/.exec(gid) : null;
  return match ? match[1]! : null;
}

const gidOf = (collection: ShopifyCollection, id: string): string => `gid://shopify/${QUERIES[collection.id].type}/${id}`;

function toUpstreamObject(data: ShopifyRecord, deleted = false): UpstreamObject {
  return {
    upstreamId: typeof data.legacyResourceId === 'string' ? data.legacyResourceId : (legacyId(data.id) ?? String(data.id)),
    data,
    upstreamCreatedAt: dateOf(data.createdAt),
    upstreamUpdatedAt: dateOf(data.updatedAt),
    deleted,
  };
}

class ShopifySession implements ProviderSession {
  private readonly backfill: BulkBackfill;

  constructor(private readonly client: ShopifyClient) {
    this.backfill = new BulkBackfill(client);
  }

  /** Backfill pages come from a bulk operation's result (bulk-backfill.ts). */
  async listPage(collectionId: string, cursor: string | null): Promise<ListPage> {
    const collection = shopifyCollection(collectionId);
    const queries = QUERIES[collection.id];
    const totalCount = cursor === null ? await this.count(queries) : null;
    const page = await this.backfill.page(queries, decodeBulkCursor(cursor));
    return { objects: page.objects.map((o) => toUpstreamObject(o)), nextCursor: page.next ? JSON.stringify(page.next) : null, totalCount };
  }

  async initialChangesCursor(collectionId: string): Promise<string> {
    const collection = shopifyCollection(collectionId);
    // "Now" by Shopify's clock (the answer's Date), which also writes updatedAt and createdAt.
    const answer = await this.client.query<unknown>(countQuery(QUERIES[collection.id]));
    const now = Math.floor((answer.answeredAt ?? Date.now()) / 1000);
    // Deletes already in the window happened before the backfill: it will not list them.
    const events = await this.destroyEvents(collection, now - EVENT_WINDOW_S);
    const cursor: ChangesCursor = { u: now, seen: {}, e: now, ev: events.map((e) => [e.id, e.at]) };
    return encodeChangesCursor(cursor);
  }

  async changesSince(collectionId: string, rawCursor: string): Promise<ChangesPage> {
    const collection = shopifyCollection(collectionId);
    const cursor = decodeChangesCursor(rawCursor);
    const { listed, hasMore, answeredAt } = await this.updatedSince(collection, cursor);
    const updates = advanceUpdates(cursor, listed);
    // Deletes after updates: an object listed and then deleted ends as a tombstone.
    const deletes = advanceDeletes(cursor, await detectingDeletes(() => this.destroyEvents(collection, cursor.e - EVENT_WINDOW_S)));
    const objects = new Map<string, UpstreamObject>();
    for (const changed of updates.fresh) objects.set(changed.id, toUpstreamObject(changed.item));
    for (const { item: subjectId, at } of deletes.fresh) {
      // Destroy events name only the object: the stream keeps the record's last data (partialTombstone) unless this poll listed it.
      const listedData = objects.get(subjectId)?.data;
      objects.delete(subjectId);
      const tombstone = toUpstreamObject(listedData ?? { id: gidOf(collection, subjectId), legacyResourceId: subjectId }, true);
      objects.set(subjectId, { ...tombstone, upstreamId: subjectId, upstreamUpdatedAt: new Date(at * 1000), ...(listedData ? {} : { partialTombstone: true }) });
    }
    const next: ChangesCursor = { u: updates.u, seen: updates.seen, e: deletes.e, ev: deletes.ev, ...(answeredAt !== null ? { t: answeredAt } : {}) };
    return { objects: [...objects.values()], cursor: encodeChangesCursor(next), hasMore };
  }

  async mutate(collectionId: string, kind: MutationKind, item: MutationItem): Promise<UpstreamObject> {
    const collection = shopifyCollection(collectionId);
    const queries = QUERIES[collection.id];
    const mutations = MUTATIONS[collection.id];
    const needId = (): string => {
      if (!item.upstreamId || !/^\d+$/.test(item.upstreamId)) throw new UpstreamRequestError(`${kind} needs the object's numeric id`, 400, 'upstream_id_required');
      return item.upstreamId;
    };
    switch (kind) {
      case 'create':
      case 'update': {
        const written = kind === 'create' ? mutations.create(item.data) : mutations.update(item.data, gidOf(collection, needId()));
        const { data } = await this.client.mutate<Record<string, { userErrors: Array<{ field: string[] | null; message: string; code?: string | null }>; [key: string]: unknown }>>(written.document, written.variables);
        const payload = data[written.payloadField];
        throwUserErrors(payload?.userErrors);
        const object = payload?.[written.objectField] as ShopifyRecord | null | undefined;
        if (!object || typeof object.id !== 'string') throw new Error(`Shopify answered ${written.payloadField} without the ${queries.type}`);
        // The object as Syncline reads it (the same selection as every listing).
        const current = await this.currentState(collection, legacyId(object.id)!);
        if (current === null) throw new UpstreamRequestError(`Shopify no longer has the ${queries.type} it just wrote`, 404, 'not_found');
        return toUpstreamObject(current);
      }
      case 'delete': {
        const id = needId();
        // The object is read first so the tombstone keeps its last state.
        const last = await this.currentState(collection, id);
        if (last === null) return { ...toUpstreamObject({ id: gidOf(collection, id), legacyResourceId: id }, true), partialTombstone: true };
        const written = mutations.remove(gidOf(collection, id));
        const { data } = await this.client.mutate<Record<string, { userErrors: Array<{ field: string[] | null; message: string; code?: string | null }> }>>(written.document, written.variables);
        const userErrors = data[written.payloadField]?.userErrors ?? [];
        // Deleted meanwhile (a retried delete): the object is gone all the same.
        if (userErrors.length > 0 && (await this.currentState(collection, id)) !== null) throwUserErrors(userErrors);
        return toUpstreamObject(last, true);
      }
    }
  }

  /** The object as `node(id:)` answers it (what a webhook hint reads), null once Shopify no longer has it. */
  async fetchObject(collectionId: string, upstreamId: string): Promise<UpstreamObject | null> {
    const collection = shopifyCollection(collectionId);
    // Syncline's Shopify ids are numeric: any other id names no object.
    if (!/^\d+$/.test(upstreamId)) return null;
    const data = await this.currentState(collection, upstreamId);
    return data === null ? null : toUpstreamObject(data);
  }

  private async currentState(collection: ShopifyCollection, id: string): Promise<ShopifyRecord | null> {
    const queries = QUERIES[collection.id];
    const { data } = await this.client.query<{ node: (ShopifyRecord & { __typename?: string }) | null }>(nodeQuery(queries), { id: gidOf(collection, id) });
    if (!data.node || data.node.__typename !== queries.type) return null;
    const { __typename: _typename, ...object } = data.node;
    return this.completeNested(queries, object);
  }

  private async count(queries: CollectionQueries): Promise<number | null> {
    const { data } = await this.client.query<Record<string, { count?: unknown } | null>>(countQuery(queries));
    const count = data[queries.countField]?.count;
    return typeof count === 'number' ? count : null;
  }

  /**
   * Objects updated at or after the cursor second, oldest first, following the pages; the read
   * stops after MAX_CHANGES_PER_POLL new ones (the rest is the next poll's).
   */
  private async updatedSince(collection: ShopifyCollection, cursor: ChangesCursor): Promise<{ listed: Changed<ShopifyRecord>[]; hasMore: boolean; answeredAt: number | null }> {
    const queries = QUERIES[collection.id];
    const document = updatedSinceQuery(queries);
    const byId = new Map<string, Changed<ShopifyRecord>>();
    let after: string | null = null;
    let fresh = 0;
    let answeredAt: number | null = null;
    const query = updatedSinceTerm(cursor);
    for (;;) {
      const answer: GraphqlResult<Record<string, Connection<ShopifyRecord>>> = await this.client.query<Record<string, Connection<ShopifyRecord>>>(document, {
        first: queries.pageSize,
        after,
        query,
      });
      // Shopify's clock at the first page: later pages cannot know of writes after it either.
      answeredAt ??= answer.answeredAt === null ? null : Math.floor(answer.answeredAt / 1000);
      const page: Connection<ShopifyRecord> | undefined = answer.data[queries.listField];
      if (!page) throw new Error(`Shopify answered without "${queries.listField}"`);
      for (const node of page.nodes) {
        const object = await this.completeNested(queries, node);
        const id = toUpstreamObject(object).upstreamId;
        const at = seconds(object.updatedAt) ?? cursor.u;
        const changed: Changed<ShopifyRecord> = { id, at, fingerprint: fingerprint(object), item: object };
        if (at > cursor.u || (at === cursor.u && cursor.seen[id] !== changed.fingerprint)) fresh++;
        const known = byId.get(id);
        if (!known || known.at <= at) byId.set(id, changed);
      }
      if (!page.pageInfo.hasNextPage) return { listed: [...byId.values()], hasMore: false, answeredAt };
      after = page.pageInfo.endCursor;
      if (fresh >= MAX_CHANGES_PER_POLL) return { listed: [...byId.values()], hasMore: true, answeredAt };
    }
  }

  /** Reads the rest of each nested list longer than its first page; answers the lists as `{nodes}`. */
  private async completeNested(queries: CollectionQueries, object: ShopifyRecord): Promise<ShopifyRecord> {
    const complete: ShopifyRecord = { ...object };
    for (const nested of queries.nested) {
      const list = object[nested.field] as Connection<unknown> | undefined;
      if (!list) continue;
      const nodes = [...list.nodes];
      let pageInfo = list.pageInfo;
      while (pageInfo?.hasNextPage) {
        const { data } = await this.client.query<{ node: Record<string, Connection<unknown>> | null }>(nestedPageQuery(queries, nested), { id: object.id, after: pageInfo.endCursor });
        const more = data.node?.[nested.field];
        if (!more) break;
        nodes.push(...more.nodes);
        pageInfo = more.pageInfo;
      }
      complete[nested.field] = { nodes };
    }
    return complete;
  }

  /** Every destroy event of the collection's subject type created at or after `from`, all pages. */
  private async destroyEvents(collection: ShopifyCollection, from: number): Promise<DestroyEvent[]> {
    const events: DestroyEvent[] = [];
    let after: string | null = null;
    const query = `subject_type:${collection.subjectType} AND action:destroy AND created_at:>='${isoSeconds(from)}'`;
    for (;;) {
      type EventNode = { id: string; action: string; createdAt: string; subjectId?: string; subjectType?: string };
      const answer: GraphqlResult<{ events: Connection<EventNode> | null }> = await this.client.query<{ events: Connection<EventNode> | null }>(DESTROY_EVENTS_QUERY, { first: EVENTS_PAGE, after, query });
      const page: Connection<EventNode> | null = answer.data.events;
      if (!page) return events;
      for (const event of page.nodes) {
        const subject = legacyId(event.subjectId);
        if (event.action !== 'destroy' || event.subjectType !== collection.subjectType || subject === null) continue;
        events.push({ id: legacyId(event.id) ?? event.id, at: seconds(event.createdAt) ?? from, item: subject });
      }
      if (!page.pageInfo.hasNextPage) return events;
      after = page.pageInfo.endCursor;
    }
  }
}

export const shopifyProvider: Provider = {
  name: 'shopify',
  displayName: 'Shopify',
  credentialKinds: ['shopify'],
  collections: shopifyCollections.map(({ id, name, mutations }) => ({ id, name, mutations })),
  // GraphQL is limited by query cost (paced by the client from each answer's throttleStatus);
  // the request rate only keeps a sync from crowding the shop.
  defaultRateLimit: { allowedRequests: 4, intervalSeconds: 1, maxConcurrentRequests: 2 },
  webhooks: shopifyWebhooks,
  connect: (context) => new ShopifySession(ShopifyClient.connect(context)),
};
