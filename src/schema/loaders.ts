import DataLoader from 'dataloader';
import type { AppContext, Principal } from '../app-context.ts';
import { toDeliveryConsumer } from '../consumers/http/delivery-consumer.ts';
import { consumerCounts, type Counts } from '../consumers/http/delivery.ts';
import { NotFoundError, UnauthorizedError } from '../errors.ts';
import type { HttpConsumer, NatsConsumer } from '../generated/prisma/client.ts';
import { sinkStatuses, type SinkStatus, type SinkStatusInput } from '../consumers/sinks/status.ts';
import { natsConsumerStatuses, type NatsConsumerStatus } from '../queries/nats-consumers.ts';
import { syncStatuses, type SyncStatus } from '../queries/syncs.ts';

/**
 * What a list item needs beyond its own row, loaded for every item of the page at once: a page
 * of 50 syncs with their status costs the statements of one.
 *
 * Batching only, no cache (`cache: false`): a subscription keeps its context for its whole life,
 * and an answer cached there would never change. The fields of one item that share a query (a
 * consumer's three counts) still cost one load: they are asked for in the same tick, and a
 * batch loads each key once.
 */
export interface Loaders {
  syncStatus: DataLoader<string, SyncStatus>;
  httpConsumerCounts: DataLoader<HttpConsumer, Counts>;
  natsConsumerStatus: DataLoader<NatsConsumer, NatsConsumerStatus>;
  /** Any push consumer's status (webhook, PostgreSQL…), given as `sinkStatusInputOf(row)`. */
  sinkStatus: DataLoader<SinkStatusInput, SinkStatus>;
}

/** The loaders of one GraphQL operation, for its caller. */
export function createLoaders(app: AppContext, principal: Principal | null): Loaders {
  const caller = (): Principal => {
    if (!principal) throw new UnauthorizedError();
    return principal;
  };
  const options = { cache: false } as const;
  return {
    syncStatus: new DataLoader<string, SyncStatus>(async (ids) => {
      const statuses = await syncStatuses(app, caller(), ids);
      return ids.map((id) => statuses.get(id.toLowerCase()) ?? new NotFoundError('sync', id));
    }, options),
    httpConsumerCounts: new DataLoader<HttpConsumer, Counts>(async (consumers) => {
      const counts = await consumerCounts(app.pool, distinct(consumers).map(toDeliveryConsumer));
      return consumers.map((c) => counts.get(c.id)!);
    }, options),
    natsConsumerStatus: new DataLoader<NatsConsumer, NatsConsumerStatus>(async (consumers) => {
      const statuses = await natsConsumerStatuses(app, distinct(consumers));
      return consumers.map((c) => statuses.get(c.id)!);
    }, options),
    sinkStatus: new DataLoader<SinkStatusInput, SinkStatus>(async (consumers) => {
      const statuses = await sinkStatuses(app, distinct(consumers));
      return consumers.map((c) => statuses.get(c.id)!);
    }, options),
  };
}

/** Without cache a batch holds a key as often as it was asked for: each is loaded once. */
function distinct<T extends { id: string }>(items: readonly T[]): T[] {
  return [...new Map(items.map((item) => [item.id, item])).values()];
}
