import type pg from 'pg';
import type { ConsumerHealthEvent } from '../domain/consumer-health/events.ts';
import type { MessagesDead } from '../domain/http-consumers/events.ts';
import type { NotificationWebhookRemoved } from '../domain/notification-webhooks/events.ts';
import type { SyncEvent } from '../domain/syncs/events.ts';
import type { ReadModelProjection } from '../projections/read-model-projection.ts';
import type { Notification, NotificationTopic } from './notification.ts';

type OutboxEvent = Extract<SyncEvent, { type: 'SyncFailed' | 'SyncRecovered' | 'BackfillPageFetched' }> | ConsumerHealthEvent | MessagesDead | NotificationWebhookRemoved;

/** The tables of each push consumer kind (their settings read models). */
const CONSUMER_TABLES = { nats: 'nats_consumers', webhook: 'webhook_consumers', postgres: 'postgres_consumers', http: 'http_consumers' } as const;

interface Subject {
  accountId: string;
  subject: string;
  topic: NotificationTopic;
}

type StoredSubject = { pending: Notification | null; last_error: Record<string, unknown> | null };

/**
 * Records a change as the subject's pending notification, in the transaction of the event it
 * derives from: the latest change wins (`merge` may carry something of the one it replaces), the
 * changes coalesced are counted. Only for accounts with a notification webhook (the caller's
 * lookup joins it).
 */
async function record(db: pg.ClientBase, at: Subject, merge: (stored: StoredSubject | null) => { pending: Notification; lastError?: Record<string, unknown> | null }): Promise<void> {
  const { rows } = await db.query<StoredSubject>(
    'SELECT pending, last_error FROM notification_subjects WHERE account_id = $1 AND subject = $2 AND topic = $3 FOR UPDATE',
    [at.accountId, at.subject, at.topic],
  );
  const next = merge(rows[0] ?? null);
  await db.query(
    `INSERT INTO notification_subjects AS s (account_id, subject, topic, pending, pending_since, seq, coalesced, last_error)
     VALUES ($1, $2, $3, $4, $5, 1, 1, $6)
     ON CONFLICT (account_id, subject, topic) DO UPDATE SET
       pending = $4, pending_since = CASE WHEN s.pending IS NULL THEN $5 ELSE s.pending_since END,
       seq = s.seq + 1, coalesced = CASE WHEN s.pending IS NULL THEN 1 ELSE s.coalesced + 1 END,
       last_error = CASE WHEN $7 THEN $6 ELSE s.last_error END`,
    [at.accountId, at.subject, at.topic, JSON.stringify(next.pending), next.pending.timestamp, next.lastError === undefined ? null : JSON.stringify(next.lastError), next.lastError !== undefined],
  );
}

/** The sync's name and provider, when its account has a notification webhook. */
async function syncOf(db: pg.ClientBase, syncId: string): Promise<{ account_id: string; name: string; provider: string } | null> {
  const { rows } = await db.query<{ account_id: string; name: string; provider: string }>(
    'SELECT s.account_id, s.name, s.provider FROM syncs s JOIN notification_webhooks w ON w.account_id = s.account_id WHERE s.id = $1',
    [syncId],
  );
  return rows[0] ?? null;
}

async function consumerOf(db: pg.ClientBase, kind: keyof typeof CONSUMER_TABLES, consumerId: string): Promise<{ account_id: string; name: string } | null> {
  const { rows } = await db.query<{ account_id: string; name: string }>(
    `SELECT c.account_id, c.name FROM ${CONSUMER_TABLES[kind]} c JOIN notification_webhooks w ON w.account_id = c.account_id WHERE c.id = $1`,
    [consumerId],
  );
  return rows[0] ?? null;
}

async function applyOne(event: OutboxEvent, db: pg.ClientBase): Promise<void> {
  switch (event.type) {
    case 'SyncFailed':
    case 'SyncRecovered': {
      const sync = await syncOf(db, event.data.syncId);
      if (!sync) return;
      const base = { account_id: sync.account_id, sync_id: event.data.syncId, sync_name: sync.name, provider: sync.provider };
      const at: Subject = { accountId: sync.account_id, subject: `sync:${event.data.syncId}`, topic: 'health' };
      if (event.type === 'SyncFailed') {
        const error = { code: event.data.code, message: event.data.message, collection_id: event.data.collectionId };
        return record(db, at, () => ({ pending: { type: 'sync.error', timestamp: event.data.at, data: { ...base, state: 'error', error } }, lastError: error }));
      }
      return record(db, at, (stored) => ({
        pending: { type: 'sync.recovered', timestamp: event.data.at, data: { ...base, previous_error: stored?.last_error ?? null } },
        lastError: null,
      }));
    }
    case 'BackfillPageFetched': {
      if (event.data.nextCursor !== null) return;
      const sync = await syncOf(db, event.data.syncId);
      if (!sync) return;
      const { collectionId } = event.data;
      const { rows } = await db.query<{ backfill_records: number }>('SELECT backfill_records FROM sync_collections WHERE sync_id = $1 AND collection_id = $2', [
        event.data.syncId,
        collectionId,
      ]);
      const data = { account_id: sync.account_id, sync_id: event.data.syncId, sync_name: sync.name, provider: sync.provider, collection_id: collectionId, records: rows[0]?.backfill_records ?? null };
      return record(db, { accountId: sync.account_id, subject: `sync:${event.data.syncId}`, topic: `backfill:${collectionId}` }, () => ({
        pending: { type: 'sync.backfill_completed', timestamp: event.data.at, data },
      }));
    }
    case 'ConsumerFailed':
    case 'ConsumerRecovered':
    case 'ConsumerDeadLettered': {
      const { consumerId, kind } = event.data;
      const consumer = await consumerOf(db, kind, consumerId);
      if (!consumer) return;
      const base = { account_id: consumer.account_id, consumer_id: consumerId, consumer_name: consumer.name, consumer_kind: kind };
      const subject = `consumer:${consumerId}`;
      if (event.type === 'ConsumerDeadLettered') return recordDeadLetters(db, { accountId: consumer.account_id, subject, topic: 'dead_letters' }, base, event.data.records, event.data.at);
      const at: Subject = { accountId: consumer.account_id, subject, topic: 'health' };
      if (event.type === 'ConsumerFailed') {
        const error = { message: event.data.message };
        return record(db, at, () => ({ pending: { type: 'consumer.error', timestamp: event.data.at, data: { ...base, state: 'error', error } }, lastError: error }));
      }
      return record(db, at, (stored) => ({
        pending: { type: 'consumer.recovered', timestamp: event.data.at, data: { ...base, previous_error: stored?.last_error ?? null } },
        lastError: null,
      }));
    }
    case 'NotificationWebhookRemoved':
      // Nothing pending outlives the webhook: a webhook set again starts afresh.
      await db.query('DELETE FROM notification_subjects WHERE account_id = $1', [event.data.accountId]);
      return;
    case 'MessagesDead': {
      const records = event.data.groups.reduce((sum, group) => sum + group.upstreamIds.length, 0);
      if (records === 0) return;
      const consumer = await consumerOf(db, 'http', event.data.consumerId);
      if (!consumer) return;
      const base = { account_id: consumer.account_id, consumer_id: event.data.consumerId, consumer_name: consumer.name, consumer_kind: 'http' };
      return recordDeadLetters(db, { accountId: consumer.account_id, subject: `consumer:${event.data.consumerId}`, topic: 'dead_letters' }, base, records, event.data.at);
    }
  }
}

/** Dead letters coalesce by adding up: the notification counts every record dead-lettered since the last one. */
function recordDeadLetters(db: pg.ClientBase, at: Subject, base: Record<string, unknown>, records: number, timestamp: string): Promise<void> {
  return record(db, at, (stored) => {
    const before = stored?.pending?.type === 'consumer.dead_letters' ? Number(stored.pending.data.records ?? 0) : 0;
    return { pending: { type: 'consumer.dead_letters', timestamp, data: { ...base, records: before + records } } };
  });
}

/**
 * The notification outbox (docs/OPERATIONS.md "Notifications"), run inline with the read models
 * (src/app.ts) so a notification commits with the state change it tells of. It is not one of the
 * read models (src/projections/index.ts): a rebuild replays the whole log, and must not send its
 * past again. Must run after the syncs projection (it reads a collection's backfill count).
 */
export const notificationOutboxProjection: ReadModelProjection<OutboxEvent> = {
  name: 'notification_outbox',
  tables: [],
  eventTypes: ['SyncFailed', 'SyncRecovered', 'BackfillPageFetched', 'ConsumerFailed', 'ConsumerRecovered', 'ConsumerDeadLettered', 'MessagesDead', 'NotificationWebhookRemoved'],
  async apply(events, db) {
    for (const event of events) await applyOne(event, db);
  },
};
