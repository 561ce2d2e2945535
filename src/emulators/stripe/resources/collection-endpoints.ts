/** The endpoints every resource has (list, create, retrieve, update, delete), on its rules. */

import type { JsonObject } from '../json.ts';
import { COLLECTION_PATHS, deletedStub, type StripeCollection } from '../objects.ts';
import type { Params } from '../params.ts';
import type { RequestContext, Store, StoredEntry } from '../store.ts';
import { listObject, page } from './listing.ts';
import { expandAsAsked, OBJECT_NAMES, requireEntry } from './lookup.ts';
import type { CollectionResource } from './resource.ts';

export function listObjects(store: Store, resource: CollectionResource, params: Params): JsonObject {
  const { collection } = resource;
  const { extra, filter } = resource.listFilter(params);
  const found = page(store.index(collection), OBJECT_NAMES[collection], params, extra, filter);
  // Not copied: the page is serialized right away (expansions copy what they replace).
  const data = found.entries.map((entry) => store.view(collection, entry.value));
  return expandAsAsked(store, listObject(data, found.hasMore, `/v1/${COLLECTION_PATHS[collection]}`), params);
}

export function createObject(store: Store, resource: CollectionResource, params: Params, ctx: RequestContext): JsonObject {
  return expandAsAsked(store, resource.create(params, ctx), params);
}

export function retrieveObject(store: Store, resource: CollectionResource, id: string, params: Params): JsonObject {
  const { collection } = resource;
  params.allow(['expand']);
  const entry = store.get(collection, id);
  if (entry && entry.deleted && resource.retrievableWhenDeleted) return store.renderEntry(collection, entry);
  const live = requireEntry(store, collection, id);
  return expandAsAsked(store, store.render(collection, live.value), params);
}

export function updateObject(store: Store, resource: CollectionResource, id: string, params: Params, ctx: RequestContext): JsonObject {
  const { collection } = resource;
  const entry = requireEntry(store, collection, id);
  store.update(collection, entry, resource.update(params, entry, ctx), ctx);
  return expandAsAsked(store, store.render(collection, entry.value), params);
}

/**
 * `DELETE` of an object Stripe deletes outright, answered `{id, object, deleted: true}`; `before`
 * refuses what cannot be deleted and makes what the deletion implies.
 */
export function deleteObject(
  store: Store,
  collection: StripeCollection,
  id: string,
  params: Params,
  ctx: RequestContext,
  before: (entry: StoredEntry) => void = () => undefined,
): JsonObject {
  params.allow([]);
  const entry = requireEntry(store, collection, id);
  before(entry);
  store.delete(collection, entry, ctx);
  return deletedStub(id, collection);
}
