import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { ChangesPage, ListPage, MutationItem, MutationKind, Provider, ProviderSession, UpstreamObject } from '../provider.ts';
import { ChangesExpiredError, UpstreamAuthError, UpstreamRequestError } from '../provider.ts';
import { IdleReleased } from '../idle-released.ts';
import { callStripe, createStripeClient } from './client.ts';
import { stripeCollection, stripeCollections, type StripeCollection, type StripeListed } from './collections.ts';
import { CursorStalledError } from '../../cursor-progress.ts';
import { withFreshReadBudget } from '../../http/bounded-body.ts';
import { afterPage, decodeEventsCursor, encodeEventsCursor, type EventsCursor } from './events-cursor.ts';
import { stripeWebhooks } from './webhooks.ts';

const PAGE_SIZE = 100;
/**
 * Events applied per step (one changes page for the engine): each costs a read-back, so 100 would
 * be 5 s of requests at a 20/s limit before the step's checkpoint. 20 keeps a step about a second,
 * so a restart loses at most that and progress is checkpointed between kills (the reliability
 * suite's push-sinks part SIGKILLs the server every 0.5–4 s while objects change upstream).
 */
const EVENTS_PER_STEP = 20;
/** Pages walked to find the oldest events of a cursor without `last` (100,000 events). */
const MAX_PAGES_WALKED = 1_000;
/** Stripe lists events of the last 30 days only. */
const EVENT_RETENTION_SECONDS = 30 * 24 * 3600;
/** How stale the cursor's `seen` may get before a poll refreshes it (a checkpoint a day at most on a quiet feed). */
const SEEN_REFRESH_SECONDS = 24 * 3600;

type EventsPage = Pick<Stripe.ApiList<Stripe.Event>, 'data' | 'has_more'>;

function toUpstreamObject(object: StripeListed, options: { deleted?: boolean; changedAt?: number } = {}): UpstreamObject {
  return {
    upstreamId: object.id,
    data: object as unknown as Record<string, unknown>,
    upstreamCreatedAt: typeof object.created === 'number' ? new Date(object.created * 1000) : null,
    upstreamUpdatedAt: options.changedAt ? new Date(options.changedAt * 1000) : null,
    deleted: options.deleted ?? false,
  };
}

/** An object's latest change in a page of events, and the index (oldest first) of its first event there. */
interface ObjectChange {
  object: StripeListed;
  deleted: boolean;
  changedAt: number;
  firstEvent: number;
}

/**
 * Of a page's read-backs, the objects read and how many of the page's events (oldest first) they
 * cover (`events`, null: all): every event before the first event of an object that failed.
 * Throws that failure when it leaves no event covered, and at once when the credential was refused.
 */
function appliedPrefix(changes: readonly ObjectChange[], reads: readonly PromiseSettledResult<UpstreamObject>[]): { objects: UpstreamObject[]; events: number | null } {
  let events: number | null = null;
  let firstFailure: unknown;
  reads.forEach((read, i) => {
    if (read.status === 'fulfilled' || (events !== null && changes[i]!.firstEvent >= events)) return;
    events = changes[i]!.firstEvent;
    firstFailure = read.reason;
  });
  const refused = reads.find((read): read is PromiseRejectedResult => read.status === 'rejected' && read.reason instanceof UpstreamAuthError);
  if (refused) throw refused.reason;
  if (events === 0) throw firstFailure;
  // Objects read beyond the failure are kept too: each is its current state, and when the events are
  // read again the same state hashes the same, so no version is recorded twice.
  const objects = reads.flatMap((read) => (read.status === 'fulfilled' ? [read.value] : []));
  return { objects, events };
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
    // The newest event and every older one are reflected in what the backfill will list: the
    // first poll starts just after it, in the feed's order.
    return encodeEventsCursor(event ? { t: event.created, ids: [], last: event.id } : { t: 0, ids: [] });
  }

  /**
   * One page of changes (at most PAGE_SIZE events), oldest first, and the cursor after it; the
   * runner stores it before asking for the next (`hasMore`). Never more than one page in memory.
   */
  async changesSince(collectionId: string, rawCursor: string): Promise<ChangesPage> {
    const collection = stripeCollection(collectionId);
    const cursor = decodeEventsCursor(rawCursor);
    const page = (cursor.last && (await this.eventsAfter(collection, cursor.last))) || (await this.checkRetention(collection, cursor), await this.oldestEventsSince(collection, cursor.t));
    const { fresh: unread, cursor: next } = afterPage(cursor, page.data);
    const fresh = unread.slice(0, EVENTS_PER_STEP);
    // Several events of one object in a page: only its latest change matters.
    const latest = new Map<string, ObjectChange>();
    fresh.forEach((event, index) => {
      const object = event.data.object as unknown as StripeListed;
      const firstEvent = latest.get(object.id)?.firstEvent ?? index;
      latest.delete(object.id);
      latest.set(object.id, { object, deleted: collection.deletedEventTypes.includes(event.type), changedAt: event.created, firstEvent });
    });
    const changes = [...latest.values()];
    const reads = await Promise.allSettled(changes.map((change) => this.readBack(collection, change)));
    const applied = appliedPrefix(changes, reads);
    if (applied.events !== null || fresh.length < unread.length) {
      // A read back failed: what the events before it need was read, so the cursor moves past those
      // events only and the next page starts at the failed object's. Retrying the whole page instead
      // would read every object again, and under transient faults a page of 100 reads rarely all succeed.
      // Or the page held more events than one step reads back: the rest is the next step's.
      const newestApplied = fresh[(applied.events ?? fresh.length) - 1]!;
      return { objects: applied.objects, cursor: encodeEventsCursor({ ...cursor, t: newestApplied.created, ids: [], last: newestApplied.id }), hasMore: true };
    }
    const now = Math.floor(Date.now() / 1000);
    const seen = !page.has_more && now - (cursor.seen ?? 0) > SEEN_REFRESH_SECONDS ? now : cursor.seen;
    return { objects: applied.objects, cursor: encodeEventsCursor({ ...next, ...(seen === undefined ? {} : { seen }) }), hasMore: page.has_more };
  }

  /**
   * An event's object is rendered at the API version of the account (or of the webhook endpoint)
   * when the event was made, not at Syncline's pinned version: the record is the object read back
   * now, at STRIPE_API_VERSION. What Stripe no longer answers (deleted: its `{id, object,
   * deleted}` stub, or 404) is a partial tombstone, the stream keeping the last data it stored.
   */
  private async readBack(collection: StripeCollection, change: ObjectChange): Promise<UpstreamObject> {
    const { id } = change.object;
    const gone = (): UpstreamObject => ({
      ...toUpstreamObject({ id, object: (change.object as unknown as { object: string }).object, deleted: true } as unknown as StripeListed, { deleted: true, changedAt: change.changedAt }),
      upstreamCreatedAt: null,
      partialTombstone: true,
    });
    try {
      const current = await callStripe(() => collection.retrieve(this.stripe, id));
      if (current.deleted === true) return gone();
      return toUpstreamObject(current as StripeListed, { deleted: change.deleted, changedAt: change.changedAt });
    } catch (error) {
      if (error instanceof UpstreamRequestError && error.status === 404) return gone();
      throw error;
    }
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

  /** The object's current state (a webhook's hint); null when Stripe answers it missing or deleted. */
  async fetchObject(collectionId: string, upstreamId: string): Promise<UpstreamObject | null> {
    const collection = stripeCollection(collectionId);
    try {
      const object = await callStripe(() => collection.retrieve(this.stripe, upstreamId));
      if (object.deleted === true) return null;
      // As the listings answer it: a webhook and a poll that see one version record one change.
      return toUpstreamObject(object as StripeListed);
    } catch (error) {
      if (error instanceof UpstreamRequestError && error.status === 404) return null;
      throw error;
    }
  }

  /** The page of events just newer than `last`; null when Stripe no longer has `last`. */
  private async eventsAfter(collection: StripeCollection, last: string): Promise<EventsPage | null> {
    try {
      return await callStripe(() => this.stripe.events.list({ types: collection.eventTypes, limit: PAGE_SIZE, ending_before: last }));
    } catch (error) {
      if (error instanceof UpstreamRequestError && error.code === 'resource_missing') return null;
      throw error;
    }
  }

  /**
   * Stripe keeps events 30 days: a cursor whose newest applied event is older than that may have
   * missed events Stripe no longer lists, so the collection is listed afresh. The comparison uses
   * Stripe's own clock (the events' `created`), read from the newest event of the feed.
   */
  private async checkRetention(collection: StripeCollection, cursor: EventsCursor): Promise<void> {
    if (cursor.t === 0 && cursor.seen === undefined) return; // an empty feed: nothing to miss
    const since = Math.max(cursor.t, cursor.seen ?? 0);
    const newest = await callStripe(() => this.stripe.events.list({ types: collection.eventTypes, limit: 1 }));
    const now = Math.max(newest.data[0]?.created ?? 0, Math.floor(Date.now() / 1000));
    if (now - since > EVENT_RETENTION_SECONDS) {
      throw new ChangesExpiredError(`${collection.name}' events were last read on ${new Date(since * 1000).toISOString()}, longer ago than the 30 days Stripe keeps events`);
    }
  }

  /**
   * The oldest page of events from second `t` on (cursors without `last`): the feed lists newest
   * first, so the pages are walked to the end keeping only the current one, at most
   * MAX_PAGES_WALKED (a feed that never ends stops the sync). `has_more`: newer pages exist.
   */
  private async oldestEventsSince(collection: StripeCollection, t: number): Promise<EventsPage> {
    let page = await callStripe(() => this.stripe.events.list({ types: collection.eventTypes, created: { gte: t }, limit: PAGE_SIZE }));
    let pages = 1;
    for (let last = page.data[page.data.length - 1]; page.has_more && last; last = page.data[page.data.length - 1]) {
      if (pages >= MAX_PAGES_WALKED) throw new CursorStalledError(pages, `the Stripe events feed from ${t} did not end`);
      const after = last.id;
      // Only this page is kept: it gets a read budget of its own.
      page = await withFreshReadBudget(() => callStripe(() => this.stripe.events.list({ types: collection.eventTypes, created: { gte: t }, limit: PAGE_SIZE, starting_after: after })));
      pages++;
    }
    return { data: page.data, has_more: pages > 1 };
  }
}

export const stripeProvider: Provider = {
  name: 'stripe',
  displayName: 'Stripe',
  credentialKinds: ['stripe', 'stripe_oauth2'],
  collections: stripeCollections.map(({ id, name, mutations }) => ({ id, name, mutations })),
  // Stripe allows 100 read requests/s in live mode and 25/s in test mode: stay under the lower.
  defaultRateLimit: { allowedRequests: 20, intervalSeconds: 1, maxConcurrentRequests: 5 },
  webhooks: stripeWebhooks,
  connect: (context) => {
    const client = new IdleReleased(() => createStripeClient(context));
    client.get(); // a credential without a key fails here, at connect, as before
    return new StripeSession(client);
  },
};
