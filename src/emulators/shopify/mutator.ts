/** Random changes a shop goes through: new, edited and deleted customers, orders and products. */

import type { ChangesMade } from '../kit/provider-emulator.ts';
import type { Random } from '../kit/random.ts';
import { pickTags, type ShopifyObject } from './objects.ts';
import { shopifyTime } from './time.ts';
import type { ShopifyCollection, ShopifyStore } from './store.ts';

const NOTES = ['Leave at the back door', 'Gift wrap, please', 'Called about sizing', 'Prefers email contact', null];

function patchFor(kind: ShopifyCollection, object: ShopifyObject, random: Random, now: number): ShopifyObject {
  switch (kind) {
    case 'customer':
      return random.pick<ShopifyObject>([
        { note: random.pick(NOTES) },
        { tags: pickTags(random) },
        { state: random.pick(['enabled', 'disabled', 'invited']) },
        { first_name: `${String(object.first_name ?? 'Ada')}${random.chance(0.5) ? 'a' : 'e'}` },
      ]);
    case 'order':
      if (object.closed_at === null && object.cancelled_at === null && random.chance(0.4)) {
        return random.chance(0.7)
          ? { closed_at: shopifyTime(now), fulfillment_status: 'fulfilled' }
          : { cancelled_at: shopifyTime(now), cancel_reason: 'customer', financial_status: 'voided' };
      }
      return random.pick<ShopifyObject>([{ note: random.pick(NOTES) }, { tags: pickTags(random) }]);
    case 'product': {
      const variants = Array.isArray(object.variants) ? (object.variants as ShopifyObject[]) : [];
      return random.pick<ShopifyObject>([
        { tags: pickTags(random) },
        { status: random.pick(['active', 'draft', 'archived']) },
        { title: `${String(object.title)} ${random.pick(['II', 'Deluxe', 'Mini'])}` },
        { variants: variants.map((v) => ({ ...v, price: (random.int(5, 80) - 0.01).toFixed(2), updated_at: shopifyTime(now) })) },
      ]);
    }
  }
}

/** n random creates / updates / deletes over `collections`, now. */
export function mutateRandomly(store: ShopifyStore, random: Random, n: number, collections: readonly ShopifyCollection[], now: number): ChangesMade {
  const made: ChangesMade = { created: [], updated: [], deleted: [] };
  for (let i = 0; i < n; i++) {
    const kind = random.pick(collections);
    const existing = store.all(kind);
    const roll = random.next();
    if (existing.length === 0 || roll < 0.35) {
      made.created.push(String(store.create(kind, {}, now).id));
    } else if (roll < 0.8) {
      const object = random.pick(existing);
      store.update(kind, object.id as number, patchFor(kind, object, random, now), now);
      made.updated.push(String(object.id));
    } else {
      const object = random.pick(existing);
      store.remove(kind, object.id as number, now);
      made.deleted.push(String(object.id));
    }
  }
  return made;
}

/** Seeds `counts` objects, created over the last year in time order, a fifth of them edited since. */
export function seed(store: ShopifyStore, random: Random, counts: Record<ShopifyCollection, number>, now: number): void {
  const plan: ShopifyCollection[] = [];
  const remaining = { ...counts };
  // Products and customers first in each round so that orders can refer to them.
  while (remaining.product + remaining.customer + remaining.order > 0) {
    for (const kind of ['product', 'customer', 'order'] as const) {
      if (remaining[kind] > 0) {
        plan.push(kind);
        remaining[kind]--;
      }
    }
  }
  const createdFrom = now - 365 * 86_400;
  const updatedFrom = now - 2 * 86_400;
  const created: Array<{ kind: ShopifyCollection; id: number }> = [];
  plan.forEach((kind, i) => {
    const at = createdFrom + Math.floor(((updatedFrom - createdFrom) * i) / Math.max(1, plan.length));
    created.push({ kind, id: store.create(kind, {}, at).id as number });
  });
  const edited = created.filter(() => random.chance(0.2));
  edited.forEach(({ kind, id }, i) => {
    const at = updatedFrom + Math.floor(((now - 3600 - updatedFrom) * i) / Math.max(1, edited.length));
    store.update(kind, id, patchFor(kind, store.get(kind, id), random, at), at);
  });
}
