import type pg from 'pg';
import type { SyncEvent, WebhookSettings } from '../domain/syncs/events.ts';
import { ExternalIdTakenError, StaleRunError } from '../domain/syncs/decide.ts';
import { defineProjection } from './read-model-projection.ts';

/** SQLSTATE of syncline_project_backfill_page for a checkpoint of a run that is not the current one. */
export const STALE_RUN = 'SY002';

/** Sync settings and status: state flags, per-collection backfill progress and change cursors. */
export const syncsProjection = defineProjection<SyncEvent>({
  name: 'syncs',
  tables: ['sync_collections', 'syncs'],
  eventTypes: [
    'SyncCreated',
    'SyncUpdated',
    'SyncPaused',
    'SyncResumed',
    'SyncResyncRequested',
    'SyncDeleted',
    'BackfillStarted',
    'BackfillPageFetched',
    'ChangesFetched',
    'SyncFailed',
    'SyncRecovered',
    'SyncWebhookRegistered',
    'SyncWebhookRegistrationFailed',
    'SyncWebhookUnregistered',
  ],
  async apply(events, db) {
    for (const event of events) await applyOne(event, db);
  },
});

async function ensureCollections(db: pg.ClientBase, syncId: string, collectionIds: string[]): Promise<void> {
  await db.query(
    `INSERT INTO sync_collections (sync_id, collection_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
    [syncId, collectionIds],
  );
  await db.query(`DELETE FROM sync_collections WHERE sync_id = $1 AND NOT (collection_id = ANY($2::text[]))`, [syncId, collectionIds]);
}

type ProgressEvent = Extract<SyncEvent, { type: 'BackfillStarted' | 'BackfillPageFetched' | 'ChangesFetched' }>;

/**
 * Applies a run's checkpoint only if the run is the sync's current one (same generation, the
 * collection still synced); otherwise throws, which rolls the append back (see `progressEvent` in domain/syncs/decide.ts).
 * `set` uses $4… for `values`.
 */
async function updateRunProgress(db: pg.ClientBase, event: ProgressEvent, set: string, values: unknown[]): Promise<void> {
  const { syncId, collectionId, generation } = event.data;
  const result = await db.query(
    `UPDATE sync_collections SET ${set}
     WHERE sync_id = $1 AND collection_id = $2 AND EXISTS (SELECT 1 FROM syncs WHERE id = $1 AND generation = $3)`,
    [syncId, collectionId, generation, ...values],
  );
  if (result.rowCount === 0) throw new StaleRunError(syncId);
}

/** The partial unique index of migration 0049. */
const EXTERNAL_ID_INDEX = 'syncs_account_external_id_key';

/** A write of `syncs` whose `external_id` another sync of the account holds is refused as a conflict, never a 500. */
async function writeSync(db: pg.ClientBase, sql: string, values: unknown[], externalId: string | null): Promise<void> {
  try {
    await db.query(sql, values);
  } catch (error) {
    const { code, constraint } = error as { code?: string; constraint?: string };
    if (externalId !== null && code === '23505' && constraint === EXTERNAL_ID_INDEX) throw new ExternalIdTakenError(externalId);
    throw error;
  }
}

/** The webhook columns of a SyncCreated / SyncUpdated (absent from events older than webhooks: disabled). */
const webhookColumns = (webhooks: WebhookSettings | undefined) => [webhooks?.enabled ?? false, webhooks?.signingSecretSealed ?? null, webhooks?.reconcileIntervalMs ?? null];

async function applyOne(event: SyncEvent, db: pg.ClientBase): Promise<void> {
  const { syncId } = event.data;
  switch (event.type) {
    case 'SyncCreated': {
      const d = event.data;
      const externalId = d.externalId ?? null;
      await writeSync(
        db,
        `INSERT INTO syncs (id, account_id, stream_id, provider, name, collection_ids, rate_limit, credential_id, metadata, poll_interval_ms, created_at, updated_at, external_id,
           webhooks_enabled, webhook_signing_secret_sealed, webhook_reconcile_interval_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15)`,
        [syncId, d.accountId, d.streamId, d.provider, d.name, d.collectionIds, d.rateLimit, d.credentialId, d.metadata, d.pollIntervalMs, d.createdAt, externalId, ...webhookColumns(d.webhooks)],
        externalId,
      );
      await ensureCollections(db, syncId, d.collectionIds);
      return;
    }
    case 'SyncUpdated': {
      const d = event.data;
      const externalId = d.externalId ?? null;
      await writeSync(
        db,
        `UPDATE syncs SET name = $2, collection_ids = $3, rate_limit = $4, credential_id = $5, metadata = $6, poll_interval_ms = $7, updated_at = $8,
           external_id = $9, webhooks_enabled = $10, webhook_signing_secret_sealed = $11, webhook_reconcile_interval_ms = $12, generation = generation + 1
         WHERE id = $1`,
        [syncId, d.name, d.collectionIds, d.rateLimit, d.credentialId, d.metadata, d.pollIntervalMs, d.updatedAt, externalId, ...webhookColumns(d.webhooks)],
        externalId,
      );
      await ensureCollections(db, syncId, d.collectionIds);
      return;
    }
    case 'SyncPaused':
      await db.query('UPDATE syncs SET paused = true, updated_at = $2 WHERE id = $1', [syncId, event.data.at]);
      return;
    case 'SyncResumed':
      await db.query('UPDATE syncs SET paused = false, last_error = NULL, updated_at = $2, generation = generation + 1 WHERE id = $1', [syncId, event.data.at]);
      return;
    case 'SyncResyncRequested':
      await db.query('UPDATE syncs SET generation = generation + 1, updated_at = $2 WHERE id = $1', [syncId, event.data.at]);
      await db.query(
        `UPDATE sync_collections SET backfill_done = false, backfill_cursor = NULL, changes_cursor = NULL, backfill_pages = 0,
           backfill_records = 0, total_count = NULL, backfill_started_at = NULL, backfill_completed_at = NULL
         WHERE sync_id = $1`,
        [syncId],
      );
      return;
    case 'SyncDeleted':
      await db.query('DELETE FROM syncs WHERE id = $1', [syncId]);
      return;
    case 'BackfillStarted': {
      const d = event.data;
      await updateRunProgress(
        db,
        event,
        `changes_cursor = $4, backfill_started_at = $5, backfill_done = false, backfill_cursor = NULL,
         backfill_pages = 0, backfill_records = 0, backfill_completed_at = NULL`,
        [d.changesCursor, d.at],
      );
      return;
    }
    case 'BackfillPageFetched':
      // `syncline_project_backfill_page` (prisma/functions/), which `syncline_write_backfill_page` runs too.
      try {
        await db.query('SELECT syncline_project_backfill_page($1::jsonb)', [JSON.stringify(event.data)]);
      } catch (error) {
        if ((error as { code?: string }).code === STALE_RUN) throw new StaleRunError(syncId);
        throw error;
      }
      return;
    case 'ChangesFetched': {
      const d = event.data;
      // A poll whose cursor moved but that wrote nothing is not a change.
      await updateRunProgress(db, event, `changes_cursor = $4, changes_fetched = changes_fetched + $5,
        last_change_at = CASE WHEN $5::int > 0 THEN $6::timestamptz ELSE last_change_at END`, [d.cursor, d.changes, d.at]);
      return;
    }
    case 'SyncFailed':
      await db.query('UPDATE syncs SET last_error = $2 WHERE id = $1', [
        syncId,
        { code: event.data.code, message: event.data.message, collectionId: event.data.collectionId, at: event.data.at },
      ]);
      return;
    case 'SyncRecovered':
      await db.query('UPDATE syncs SET last_error = NULL WHERE id = $1', [syncId]);
      return;
    case 'SyncWebhookRegistered': {
      const { url, collectionIds, registrationSealed, expiresAt, at } = event.data;
      await db.query('UPDATE syncs SET webhook_registration = $2 WHERE id = $1', [syncId, { state: 'registered', url, collectionIds, registrationSealed, expiresAt, error: null, at }]);
      return;
    }
    case 'SyncWebhookRegistrationFailed': {
      // A failed renewal keeps the registration it could not renew (still valid until it expires).
      const { url, collectionIds, error, at } = event.data;
      await db.query(
        `UPDATE syncs SET webhook_registration = jsonb_build_object('state', 'failed', 'url', $2::text, 'collectionIds', $3::jsonb, 'error', $4::text, 'at', $5::text,
           'registrationSealed', webhook_registration->'registrationSealed', 'expiresAt', webhook_registration->'expiresAt')
         WHERE id = $1`,
        [syncId, url, JSON.stringify(collectionIds), error, at],
      );
      return;
    }
    case 'SyncWebhookUnregistered':
      await db.query('UPDATE syncs SET webhook_registration = NULL WHERE id = $1', [syncId]);
      return;
  }
}
