/** `/v1/events`: read-only, newest first, filtered by type. */

import { errors } from '../errors.ts';
import type { JsonObject } from '../json.ts';
import type { Params } from '../params.ts';
import type { Store } from '../store.ts';
import { listObject, page } from './listing.ts';
import { expandAsAsked } from './lookup.ts';

export class Events {
  constructor(private readonly store: Store) {}

  /** `type` (a trailing `*` matches a prefix) or `types`, and `delivery_success`. */
  list(params: Params): JsonObject {
    const type = params.string('type');
    const types = params.stringArray('types', { max: 20 });
    if (type && types) throw errors.exclusive(['type', 'types']);
    const deliverySuccess = params.bool('delivery_success');
    let filter: ((value: JsonObject) => boolean) | undefined;
    if (type) {
      if (type.endsWith('*')) {
        const prefix = type.slice(0, -1);
        filter = (v) => (v['type'] as string).startsWith(prefix);
      } else {
        filter = (v) => v['type'] === type;
      }
    } else if (types) {
      const set = new Set(types);
      filter = (v) => set.has(v['type'] as string);
    }
    // Deliveries are not tracked per event: every event counts as delivered.
    if (deliverySuccess === false) filter = () => false;
    const found = page(this.store.events, 'event', params, ['delivery_success', 'type', 'types'], filter);
    const data = found.entries.map((entry) => structuredClone(entry.value));
    return expandAsAsked(this.store, listObject(data, found.hasMore, '/v1/events'), params);
  }

  retrieve(id: string, params: Params): JsonObject {
    params.allow(['expand']);
    const entry = this.store.events.get(id);
    if (!entry) throw errors.resourceMissing('event', id);
    return expandAsAsked(this.store, structuredClone(entry.value), params);
  }
}
