import type pg from 'pg';
import type { AppContext } from '../../app-context.ts';
import { BadRequestError } from '../../errors.ts';
import { UNSTORABLE } from '../../storable-text.ts';

/** Attempts kept per consumer (the log answers the newest). */
export const DELIVERY_LOG_SIZE = 1_000;
/** The log is trimmed every this many appends (and at a runner's first), not on each. */
const TRIM_EVERY = 100;
/** Of the target's answer and of an error message, the log keeps this many bytes. */
export const EXCERPT_BYTES = 2_048;

/** One attempt at a batch, as the delivery log keeps it. */
export interface DeliveryAttempt {
  at: Date;
  batchId: string;
  batchSize: number;
  /** The target's answer status (HTTP), null when there was none. */
  status: number | null;
  latencyMs: number;
  /** null: delivered. */
  error: string | null;
  responseExcerpt: string | null;
}

/** The first `EXCERPT_BYTES` bytes of UTF-8, never a split character, storable by PostgreSQL. */
export function excerpt(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const storable = UNSTORABLE.test(text) ? text.replace(new RegExp(UNSTORABLE.source, 'g'), '\ufffd') : text;
  const bytes = Buffer.from(storable, 'utf8');
  if (bytes.length <= EXCERPT_BYTES) return storable;
  // A cut inside a multi-byte character decodes as U+FFFD: drop it.
  return bytes.subarray(0, EXCERPT_BYTES).toString('utf8').replace(/\ufffd$/, '');
}

/** The attempts as the `jsonb` parameter of `insertDeliveries`. */
export const deliveryRowsParam = (attempts: readonly DeliveryAttempt[]): string =>
  JSON.stringify(
    attempts.map((a) => ({
      at: a.at.toISOString(),
      batch_id: a.batchId,
      batch_size: a.batchSize,
      status: a.status,
      latency_ms: Math.max(0, Math.round(a.latencyMs)),
      error: excerpt(a.error),
      response_excerpt: excerpt(a.responseExcerpt),
    })),
  );

/** An INSERT of the attempts given as `rowsParam` (deliveryRowsParam) for the consumer `consumerParam`. */
export const insertDeliveries = (consumerParam: string, rowsParam: string) => `
  INSERT INTO sink_deliveries (consumer_id, at, batch_id, batch_size, status, latency_ms, error, response_excerpt)
  SELECT ${consumerParam}::uuid, d.at, d.batch_id, d.batch_size, d.status, d.latency_ms, d.error, d.response_excerpt
  FROM ROWS FROM (jsonb_to_recordset(${rowsParam}::jsonb) AS (at timestamptz, batch_id text, batch_size int, status int, latency_ms int, error text, response_excerpt text))
    WITH ORDINALITY AS d(at, batch_id, batch_size, status, latency_ms, error, response_excerpt, n)
  ORDER BY d.n`;

/**
 * A runner's appends to its consumer's delivery log. Keeping the last 1,000 costs one DELETE per
 * `TRIM_EVERY` appends (the log holds at most 1,000 + that many rows between two trims).
 */
export class DeliveryLog {
  private sinceTrim = TRIM_EVERY;

  constructor(
    private readonly pool: pg.Pool,
    private readonly consumerId: string,
  ) {}

  async append(attempts: readonly DeliveryAttempt[]): Promise<void> {
    if (attempts.length === 0) return;
    await this.pool.query(insertDeliveries('$1', '$2'), [this.consumerId, deliveryRowsParam(attempts)]);
    await this.appended(attempts.length);
  }

  /** `count` attempts were appended by another statement (the runtime's advance). */
  async appended(count: number): Promise<void> {
    this.sinceTrim += count;
    if (this.sinceTrim < TRIM_EVERY) return;
    this.sinceTrim = 0;
    await this.pool.query(
      `DELETE FROM sink_deliveries WHERE consumer_id = $1
         AND id <= (SELECT id FROM sink_deliveries WHERE consumer_id = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`,
      [this.consumerId, DELIVERY_LOG_SIZE],
    );
  }
}

export interface SinkDeliveryEntry extends DeliveryAttempt {
  /** The entry's position in the log (newer entries have greater ids). */
  id: string;
}

export interface SinkDeliveryPage {
  data: SinkDeliveryEntry[];
  nextCursor: string | null;
}

const decodeCursor = (cursor: string): string => {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9]{1,19}$/.test(id)) throw new BadRequestError('invalid_cursor', 'cursor is not one this API returned');
  return id;
};

/**
 * A consumer's delivery log, newest first (at most the last 1,000 attempts). The caller checks
 * that the consumer is the principal's: this reads by id only.
 */
export async function listSinkDeliveries(ctx: AppContext, consumerId: string, page: { limit: number; cursor?: string | undefined }): Promise<SinkDeliveryPage> {
  const limit = Math.min(Math.max(page.limit, 1), DELIVERY_LOG_SIZE);
  const before = page.cursor ? decodeCursor(page.cursor) : null;
  // Newest first, within the newest 1,000 even between two trims.
  const { rows } = await ctx.pool.query<{
    /** int8: a bigint or its text, as the pool's type parsers have it. */
    id: bigint | string;
    at: Date;
    batch_id: string;
    batch_size: number;
    status: number | null;
    latency_ms: number;
    error: string | null;
    response_excerpt: string | null;
  }>(
    `SELECT l.* FROM (SELECT * FROM sink_deliveries WHERE consumer_id = $1 ORDER BY id DESC LIMIT $4) l
     WHERE $2::bigint IS NULL OR l.id < $2 ORDER BY l.id DESC LIMIT $3`,
    [consumerId, before, limit + 1, DELIVERY_LOG_SIZE],
  );
  const more = rows.length > limit;
  const data = rows.slice(0, limit).map((r) => ({
    id: String(r.id),
    at: r.at,
    batchId: r.batch_id,
    batchSize: r.batch_size,
    status: r.status,
    latencyMs: r.latency_ms,
    error: r.error,
    responseExcerpt: r.response_excerpt,
  }));
  return { data, nextCursor: more ? Buffer.from(data[data.length - 1]!.id).toString('base64url') : null };
}
