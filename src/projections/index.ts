import type { Event } from '@event-driven-io/emmett';
import { accountsProjection } from './accounts.ts';
import { consumerMessageHistoryProjection } from './consumer-message-history.ts';
import { credentialsProjection } from './credentials.ts';
import { httpConsumersProjection } from './http-consumers.ts';
import { mutationsProjection } from './mutations.ts';
import { natsConsumersProjection } from './nats-consumers.ts';
import { notificationWebhooksProjection } from './notification-webhooks.ts';
import { oauthAppsProjection } from './oauth-apps.ts';
import { postgresConsumersProjection } from './postgres-consumers.ts';
import { recordsProjection } from './records.ts';
import { syncsProjection } from './syncs.ts';
import { webhookConsumersProjection } from './webhook-consumers.ts';
import type { ReadModelProjection } from './read-model-projection.ts';
import { streamsProjection } from './streams.ts';

/** Every read model, in the order a rebuild truncates and replays them. */
export const readModelProjections: ReadModelProjection<Event>[] = [
  accountsProjection,
  streamsProjection,
  credentialsProjection,
  oauthAppsProjection,
  syncsProjection,
  recordsProjection,
  httpConsumersProjection,
  consumerMessageHistoryProjection,
  natsConsumersProjection,
  postgresConsumersProjection,
  webhookConsumersProjection,
  mutationsProjection,
  notificationWebhooksProjection,
] as unknown as ReadModelProjection<Event>[];
