import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { ChangesPage, ListPage, MutationItem, MutationKind, Provider, ProviderSession, UpstreamObject } from '../provider.ts';
import { UpstreamRequestError } from '../provider.ts';
import { IdleReleased } from '../idle-released.ts';
import { callStripe, createStripeClient } from './client.ts';
import { stripeCollection, stripeCollections, type StripeCollection, type StripeListed } from './collections.ts';
import { advanceEventsCursor, decodeEventsCursor, encodeEventsCursor } from './events-cursor.ts';

const PAGE_SIZE = 100;

function toUpstreamObject(object: StripeListed, options: { deleted?: boolean; changedAt?: number } = {}): UpstreamObject {
  return {
    upstreamId: object.id,
    data: object as unknown as Record<string, unknown>,
    upstreamCreatedAt: typeof object.created === 'number' ? new Date(object.created * 1000) : null,
    upstreamUpdatedAt: options.changedAt ? new Date(options.changedAt * 1000) : null,
    deleted: options.deleted ?? false,
  };
}

class StripeSession implements ProviderSession {
  constructor(private readonly client: IdleReleased<Stripe>) {}

  /** The SDK client, let go between polls (idle-released.ts). */
  private get stripe(): Stripe {
    return this.client.get();
  }

  async listPage(collectionId: string, cursor: string | null): Promise<ListPage> {
    const collection = stripeCollection(collectionId);
    const page = await callStripe(() =>
      collection.list(this.stripe, { ...collection.listParams, limit: PAGE_SIZE, ...(cursor ? { starting_after: cursor } : {}) }),
    );
    const last = page.data[page.data.length - 1];
    return {
      objects: page.data.map((o) => toUpstreamObject(o)),
      nextCursor: page.has_more && last ? last.id : null,
      totalCount: null, // Stripe lists carry no total
    };
  }

  async initialChangesCursor(collectionId: string): Promise<string> {
    const collection = stripeCollection(collectionId);
    const newest = await callStripe(() => this.stripe.events.list({ types: collection.eventTypes, limit: 1 }));
    const event = newest.data[0];
    if (!event) return encodeEventsCursor({ t: 0, ids: [] });
    // Every event of that second is already reflected in what the backfill will list: mark them
    // all applied, or the first poll replays the older ones over the newer state listed.
    const sameSecond = (await this.eventsSince(collection, event.created)).filter((e) => e.created === event.created);
    return encodeEventsCursor({ t: event.created, ids: sameSecond.map((e) => e.id) });
  }

  async changesSince(collectionId: string, rawCursor: string): Promise<ChangesPage> {
    const collection = stripeCollection(collectionId);
    const cursor = decodeEventsCursor(rawCursor);
    const newestFirst = await this.eventsSince(collection, cursor.t);
    const { fresh, cursor: next } = advanceEventsCursor(cursor, newestFirst);
    // Several events of one object in a poll: only its latest state matters.
    const latest = new Map<string, UpstreamObject>();
    for (const event of fresh) {
      const object = event.data.object as unknown as StripeListed;
      latest.delete(object.id);
      latest.set(object.id, toUpstreamObject(object, { deleted: collection.deletedEventTypes.includes(event.type), changedAt: event.created }));
    }
    return { objects: [...latest.values()], cursor: encodeEventsCursor(next), hasMore: false };
  }

  async mutate(collectionId: string, kind: MutationKind, item: MutationItem): Promise<UpstreamObject> {
    const collection = stripeCollection(collectionId);
    const options: Stripe.RequestOptions = { idempotencyKey: item.idempotencyKey ?? randomUUID() };
    const unsupported = () => new UpstreamRequestError(`${collection.name} cannot be ${kind}d through the Stripe API`, 400, 'mutation_not_supported');
    const needId = () => {
      if (!item.upstreamId) throw new UpstreamRequestError(`${kind} needs the object's id`, 400, 'upstream_id_required');
      return item.upstreamId;
    };
    // Stripe's answers carry no change time; the write's own second stands in for it.
    const changedAt = () => Math.floor(Date.now() / 1000);
    switch (kind) {
      case 'create': {
        if (!collection.create) throw unsupported();
        const created = await callStripe(() => collection.create!(this.stripe, item.data, options));
        return toUpstreamObject(created, { changedAt: changedAt() });
      }
      case 'update': {
        if (!collection.update) throw unsupported();
        const id = needId();
        return toUpstreamObject(await callStripe(() => collection.update!(this.stripe, id, item.data, options)), { changedAt: changedAt() });
      }
      case 'delete': {
        if (!collection.remove) throw unsupported();
        const id = needId();
        const { object, gone } = await callStripe(() => collection.remove!(this.stripe, id, options));
        return toUpstreamObject(object, { deleted: gone, changedAt: changedAt() });
      }
    }
  }

  /** Every event of the collection's types from second `t` on, newest first, across all pages. */
  private async eventsSince(collection: StripeCollection, t: number): Promise<Stripe.Event[]> {
    const events: Stripe.Event[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const page = await callStripe(() =>
        this.stripe.events.list({ types: collection.eventTypes, created: { gte: t }, limit: PAGE_SIZE, ...(startingAfter ? { starting_after: startingAfter } : {}) }),
      );
      events.push(...page.data);
      const last = page.data[page.data.length - 1];
      if (!page.has_more || !last) return events;
      startingAfter = last.id;
    }
  }
}

export const stripeProvider: Provider = {
  name: 'stripe',
  displayName: 'Stripe',
  credentialKinds: ['stripe', 'stripe_oauth2'],
  collections: stripeCollections.map(({ id, name, mutations }) => ({ id, name, mutations })),
  // Stripe allows 100 read requests/s in live mode and 25/s in test mode: stay under the lower.
  defaultRateLimit: { allowedRequests: 20, intervalSeconds: 1, maxConcurrentRequests: 5 },
  connect: (context) => {
    const client = new IdleReleased(() => createStripeClient(context));
    client.get(); // a credential without a key fails here, at connect, as before
    return new StripeSession(client);
  },
};
