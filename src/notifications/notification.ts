/**
 * A notification as POSTed to an account's notification webhook (docs/OPERATIONS.md
 * "Notifications"): the Standard Webhooks envelope `{type, timestamp, data}`.
 */
export type NotificationType =
  | 'sync.error'
  | 'sync.recovered'
  | 'sync.backfill_completed'
  | 'consumer.error'
  | 'consumer.recovered'
  | 'consumer.dead_letters'
  | 'notification.test';

export interface Notification {
  type: NotificationType;
  /** When the change happened (the latest one coalesced), ISO 8601. */
  timestamp: string;
  data: Record<string, unknown>;
}

/** What a subject's notifications are coalesced by: its health (error / recovered), one collection's backfill, its dead letters. */
export type NotificationTopic = 'health' | `backfill:${string}` | 'dead_letters';
