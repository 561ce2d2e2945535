import type { AppContext } from '../../app-context.ts';
import type { SinkConsumer, SinkState } from './sink.ts';

/** A push consumer's status (DESIGN.md §7b), whatever its kind. */
export interface SinkStatus {
  state: SinkState;
  /** Records of the consumer's selection past its position: what is still to deliver (change events: the versions its filters let through). */
  lag: number;
  /** Seconds since the oldest of them was written (0 when none). */
  lagSeconds: number;
  lastDeliveredAt: string | null;
  lastError: { message: string; at: string } | null;
  /** The last delivered `updated_idx`. */
  position: string;
  /** Records delivered so far (not counting dead letters). */
  deliveredCount: number;
}

/** What a status needs of a consumer: its selection and message shape, and where it starts before its runner ran. */
export type SinkStatusInput = Pick<SinkConsumer, 'id' | 'selection' | 'startIdx' | 'resetCount' | 'message'>;

type StatusRow = {
  consumer_id: string;
  state: SinkState | null;
  position: string;
  last_error: { message: string; at: string } | null;
  last_delivered_at: Date | null;
  delivered_count: string | null;
  lag: string;
  oldest_changed_at: Date | null;
};

/** The records of a consumer's selection (`c`) past its position (`p.position`); `r`: records. */
const PAST_POSITION = `(c.collection_ids IS NULL OR r.collection_id = ANY(c.collection_ids))
  AND (c.provider IS NULL OR split_part(r.collection_id, ':', 1) = c.provider) AND r.updated_idx > p.position`;

/** Counted with the index that fits the selection: the sync's records, or the whole stream's. */
const bySelection = (select: string, tail = '') => `CASE WHEN c.sync_id IS NULL
    THEN (SELECT ${select} FROM records r WHERE r.stream_id = c.stream_id AND ${PAST_POSITION} ${tail})
    ELSE (SELECT ${select} FROM records r WHERE r.sync_id = c.sync_id AND r.stream_id = c.stream_id AND ${PAST_POSITION} ${tail})
  END`;

/**
 * A consumer of change events lags by the versions past its position that its filters let through
 * (`r`: here a row of record_versions, whose columns `select` and `tail` name as those of records):
 * its position stays behind the versions filtered out after its last event, which are no lag.
 */
const EVENTS_PAST_POSITION = `r.stream_id = c.stream_id AND (c.sync_id IS NULL OR r.sync_id = c.sync_id) AND ${PAST_POSITION}
  AND syncline_event_matches(r.action, r.changes, c.event_actions, c.event_changed_fields)`;

const byMessageKind = (select: string, tail = '') => `CASE WHEN c.message_kind = 'event'
    THEN (SELECT ${select} FROM record_versions r WHERE ${EVENTS_PAST_POSITION} ${tail})
    ELSE ${bySelection(select, tail)}
  END`;

/**
 * The status of each push consumer, keyed by id: one statement for any number of them (a page of
 * a list). Until its runner has run (a new consumer, or a reset not yet applied) a consumer is
 * shown at its start position, `connecting`.
 */
export async function sinkStatuses(ctx: AppContext, consumers: readonly SinkStatusInput[]): Promise<Map<string, SinkStatus>> {
  if (consumers.length === 0) return new Map();
  const given = [...new Map(consumers.map((c) => [c.id, c])).values()].map((c) => ({
    id: c.id,
    stream_id: c.selection.streamId,
    sync_id: c.selection.syncId,
    collection_ids: c.selection.collectionIds,
    provider: c.selection.provider,
    start_idx: c.startIdx.toString(),
    reset_count: c.resetCount,
    message_kind: c.message.messageKind,
    event_actions: c.message.eventActions,
    event_changed_fields: c.message.eventChangedFields,
  }));
  const { rows } = await ctx.pool.query<StatusRow>(
    `SELECT c.id AS consumer_id, rt.state, p.position, rt.last_error, rt.last_delivered_at, rt.delivered_count,
       ${byMessageKind('count(*)')} AS lag,
       ${byMessageKind('r.changed_at', 'ORDER BY r.updated_idx LIMIT 1')} AS oldest_changed_at
     FROM jsonb_to_recordset($1::jsonb) AS c(id uuid, stream_id uuid, sync_id uuid, collection_ids text[], provider text, start_idx bigint, reset_count int,
       message_kind text, event_actions text[], event_changed_fields text[])
     LEFT JOIN sink_runtime rt ON rt.consumer_id = c.id
     CROSS JOIN LATERAL (SELECT CASE WHEN rt.consumer_id IS NULL OR c.reset_count > rt.reset_seq THEN c.start_idx ELSE rt.position END AS position) p`,
    [JSON.stringify(given)],
  );
  const now = ctx.now().getTime();
  return new Map(
    rows.map((row) => [
      row.consumer_id,
      {
        state: row.state ?? 'connecting',
        lag: Number(row.lag),
        lagSeconds: row.oldest_changed_at ? Math.max(0, now - row.oldest_changed_at.getTime()) / 1000 : 0,
        lastDeliveredAt: row.last_delivered_at?.toISOString() ?? null,
        lastError: row.last_error,
        position: row.position,
        deliveredCount: Number(row.delivered_count ?? 0),
      },
    ]),
  );
}
