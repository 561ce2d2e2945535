import type pg from 'pg';

export type NatsConnectionState = 'connecting' | 'connected' | 'disconnected' | 'error';

/**
 * The publisher's operational state in `nats_consumer_runtime` (not events: it changes per batch).
 * Every write is a single-row UPDATE; zero rows updated means the consumer was deleted.
 */
export class NatsRuntimeStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly consumerId: string,
  ) {}

  /** The checkpoint and what the API shows now; null when the consumer is gone. */
  async load(): Promise<{ checkpoint: bigint; state: NatsConnectionState; error: string | null } | null> {
    const { rows } = await this.pool.query<{ last_published_idx: string; connection_state: NatsConnectionState; error: string | null }>(
      `SELECT last_published_idx, connection_state, last_error->>'message' AS error FROM nats_consumer_runtime WHERE consumer_id = $1`,
      [this.consumerId],
    );
    const row = rows[0];
    return row ? { checkpoint: BigInt(row.last_published_idx), state: row.connection_state, error: row.error } : null;
  }

  /** After JetStream acked every message up to `idx`. The checkpoint never moves back. */
  async storeCheckpoint(idx: bigint, published: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE nats_consumer_runtime SET last_published_idx = GREATEST(last_published_idx, $2), messages_published = messages_published + $3,
         last_published_at = now(), connection_state = 'connected', last_error = NULL, updated_at = now()
       WHERE consumer_id = $1`,
      [this.consumerId, idx.toString(), published],
    );
    return result.rowCount === 1;
  }

  async setState(state: NatsConnectionState): Promise<void> {
    await this.pool.query('UPDATE nats_consumer_runtime SET connection_state = $2, updated_at = now() WHERE consumer_id = $1', [this.consumerId, state]);
  }

  /** `lastError` null clears it (after a success); a failure is kept with the time it happened. */
  async setStatus(state: NatsConnectionState, lastError: { message: string; at: Date } | null): Promise<void> {
    await this.pool.query('UPDATE nats_consumer_runtime SET connection_state = $2, last_error = $3, updated_at = now() WHERE consumer_id = $1', [
      this.consumerId,
      state,
      lastError && { message: lastError.message, at: lastError.at.toISOString() },
    ]);
  }
}
