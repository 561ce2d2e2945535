/** Finding the object a request names, and expanding what it asks for: shared by every resource. */

import { errors } from '../errors.ts';
import { applyExpansions } from '../expand.ts';
import type { JsonObject } from '../json.ts';
import type { StripeCollection } from '../objects.ts';
import type { Params } from '../params.ts';
import type { Store, StoredEntry } from '../store.ts';

/** Objects the emulator serves, by the name Stripe uses in messages. */
export const OBJECT_NAMES: Record<StripeCollection, string> = {
  customer: 'customer',
  product: 'product',
  price: 'price',
  subscription: 'subscription',
  invoice: 'invoice',
  charge: 'charge',
};

/** The live object, or Stripe's `resource_missing` naming `param` (404 for the path's id, 400 for a parameter). */
export function requireEntry(store: Store, collection: StripeCollection, id: string, param = 'id', status = 404): StoredEntry {
  const entry = store.live(collection, id);
  if (!entry) throw errors.resourceMissing(OBJECT_NAMES[collection], id, param, status);
  return entry;
}

/** `value` with the ids at the request's `expand[]` paths replaced by their objects. */
export function expandAsAsked(store: Store, value: JsonObject, params: Params): JsonObject {
  const paths = params.stringArray('expand') ?? [];
  return paths.length > 0 ? applyExpansions(value, paths, (id) => store.resolve(id)) : value;
}
