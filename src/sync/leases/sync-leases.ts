import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';
import { StaleRunError } from '../../domain/syncs/decide.ts';
import type { Logger } from '../../logger.ts';

/** A runner whose lease is gone (expired, taken over): it stops, and its writes are refused. */
export class LeaseLostError extends StaleRunError {
  constructor(syncId: string) {
    super(syncId);
    this.message = `this instance no longer holds the lease of sync ${syncId}`;
  }
}

export interface SyncLeasesOptions {
  pool: pg.Pool;
  instanceId: string;
  /** A lease not renewed for this long may be taken over by another instance. */
  ttlMs: number;
  /** false: this process takes no syncs (started without sync workers) and no share of them. */
  runsSyncs: boolean;
  logger: Logger;
}

/** What a runner holds: checks that its lease (of the token it started with) is still this instance's. */
export interface LeaseGuard {
  readonly syncId: string;
  /** The instance holding it (`sync_leases.owner`). */
  readonly owner: string;
  readonly token: string;
  /** Locally known to be held with a safety margin before it could expire (no database round trip). */
  isHeld(): boolean;
  /** Throws `LeaseLostError` unless `isHeld()`. */
  assertHeld(): void;
  /**
   * In the caller's transaction: the lease row is still this instance's with this token, and is
   * share-locked until commit, so no takeover can commit before this transaction does (a
   * fencing token: a runner that lost its lease can never append).
   */
  inTransaction(db: pg.ClientBase): Promise<void>;
}

interface Held {
  token: string;
  /** performance.now() when the statement that last set the lease's expiry was sent. */
  confirmedAt: number;
}

/**
 * Sync leases among the Syncline processes sharing one PostgreSQL database (DESIGN.md §9): one
 * row per sync in `sync_leases` (owner instance, fencing token, expiry), and one per process in
 * `syncline_instances`. A heartbeat every ttl/5 renews the instance and every lease it holds in
 * one statement; a lease not returned by it, or not renewed for 3/4 of the TTL (the database is
 * unreachable), is lost: `onLost` stops its runner before anybody else may take it over.
 */
export class SyncLeases {
  readonly instanceId: string;
  readonly ttlMs: number;
  private readonly bootId = randomUUID();
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  private lostListener: (syncId: string) => void = () => undefined;
  private stopped = false;

  constructor(private readonly options: SyncLeasesOptions) {
    this.instanceId = options.instanceId;
    this.ttlMs = options.ttlMs;
  }

  /** Registers this instance (its first heartbeat) and keeps beating. */
  async start(): Promise<void> {
    await this.heartbeat();
    this.timer = setInterval(() => this.tick(), Math.max(100, Math.floor(this.ttlMs / 5)));
  }

  onLost(listener: (syncId: string) => void): void {
    this.lostListener = listener;
  }

  /** Releases every lease (others take the syncs over at their next reconcile) and marks the instance gone. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    const held = [...this.held.entries()];
    this.held.clear();
    await this.options.pool
      .query(`DELETE FROM sync_leases l USING unnest($2::uuid[], $3::bigint[]) AS h(sync_id, token) WHERE l.sync_id = h.sync_id AND l.token = h.token AND l.owner = $1`, [
        this.instanceId,
        held.map(([id]) => id),
        held.map(([, h]) => h.token),
      ])
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not release sync leases'));
    await this.options.pool
      .query('UPDATE syncline_instances SET expires_at = clock_timestamp() WHERE instance_id = $1 AND boot_id = $2', [this.instanceId, this.bootId])
      .catch(() => undefined);
  }

  holds(syncId: string): boolean {
    const held = this.held.get(syncId);
    return held !== undefined && this.fresh(held);
  }

  heldSyncIds(): string[] {
    return [...this.held.keys()];
  }

  /** Takes the leases of those syncs that are free, expired or this instance's own (a restart with the same id). */
  async tryAcquire(syncIds: string[]): Promise<string[]> {
    const candidates = syncIds.filter((id) => !this.held.has(id));
    if (candidates.length === 0 || this.stopped) return [];
    const sentAt = performance.now();
    const { rows } = await this.options.pool.query<{ sync_id: string; token: string }>(
      `INSERT INTO sync_leases (sync_id, owner, token, expires_at)
       SELECT id, $1, 1, clock_timestamp() + $3 * interval '1 millisecond' FROM unnest($2::uuid[]) AS id
       -- (read without a lock first: a live lease of another instance is left alone, not locked)
       WHERE NOT EXISTS (SELECT 1 FROM sync_leases l WHERE l.sync_id = id AND l.owner <> $1 AND l.expires_at >= clock_timestamp())
       ON CONFLICT (sync_id) DO UPDATE SET owner = EXCLUDED.owner, token = sync_leases.token + 1, acquired_at = clock_timestamp(),
         heartbeat_at = clock_timestamp(), expires_at = EXCLUDED.expires_at
       WHERE sync_leases.expires_at < clock_timestamp() OR sync_leases.owner = EXCLUDED.owner
       RETURNING sync_id, token::text AS token`,
      [this.instanceId, candidates, this.ttlMs],
    );
    for (const row of rows) {
      this.held.set(row.sync_id, { token: row.token, confirmedAt: sentAt });
      this.options.logger.info({ syncId: row.sync_id, leaseToken: row.token, instanceId: this.instanceId }, 'sync lease acquired');
    }
    return rows.map((r) => r.sync_id);
  }

  async release(syncId: string): Promise<void> {
    const held = this.held.get(syncId);
    if (!held) return;
    this.held.delete(syncId);
    await this.options.pool
      .query('DELETE FROM sync_leases WHERE sync_id = $1 AND owner = $2 AND token = $3', [syncId, this.instanceId, held.token])
      .catch((error: unknown) => this.options.logger.warn({ err: error, syncId }, 'could not release a sync lease'));
  }

  /** Live instances that run syncs (this one included once started): the syncs are shared among them. */
  async liveSyncInstances(): Promise<number> {
    const { rows } = await this.options.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM syncline_instances WHERE runs_syncs AND expires_at > clock_timestamp()',
    );
    return Math.max(1, rows[0]?.n ?? 1);
  }

  /** The guard of the lease held now; null when not held. */
  guard(syncId: string): LeaseGuard | null {
    const held = this.held.get(syncId);
    if (!held) return null;
    const token = held.token;
    const isHeld = () => {
      const current = this.held.get(syncId);
      return current !== undefined && current.token === token && this.fresh(current);
    };
    return {
      syncId,
      owner: this.instanceId,
      token,
      isHeld,
      assertHeld: () => {
        if (!isHeld()) throw new LeaseLostError(syncId);
      },
      inTransaction: async (db) => {
        if (!isHeld()) throw new LeaseLostError(syncId);
        const { rowCount } = await db.query(
          'SELECT 1 FROM sync_leases WHERE sync_id = $1 AND owner = $2 AND token = $3 AND expires_at > clock_timestamp() FOR SHARE',
          [syncId, this.instanceId, token],
        );
        if (rowCount !== 1) throw new LeaseLostError(syncId);
      },
    };
  }

  /** Renewed recently enough that no other instance can have taken it (3/4 of the TTL: the rest is the margin). */
  private fresh(held: Held): boolean {
    return performance.now() - held.confirmedAt < (this.ttlMs * 3) / 4;
  }

  private tick(): void {
    for (const [syncId, held] of this.held) if (!this.fresh(held)) this.lose(syncId, 'not renewed in time');
    this.beating ??= this.heartbeat()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'instance heartbeat failed'))
      .finally(() => (this.beating = null));
  }

  private lose(syncId: string, reason: string): void {
    if (!this.held.delete(syncId)) return;
    this.options.logger.warn({ syncId, instanceId: this.instanceId, reason }, 'sync lease lost: stopping its run');
    this.lostListener(syncId);
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    const snapshot = [...this.held.entries()];
    const sentAt = performance.now();
    const { rows } = await this.options.pool.query<{ sync_id: string }>(
      `WITH me AS (
         INSERT INTO syncline_instances (instance_id, boot_id, hostname, pid, runs_syncs, expires_at)
         VALUES ($1, $4, $5, $6, $7, clock_timestamp() + $8 * interval '1 millisecond')
         ON CONFLICT (instance_id) DO UPDATE SET boot_id = EXCLUDED.boot_id, hostname = EXCLUDED.hostname, pid = EXCLUDED.pid,
           runs_syncs = EXCLUDED.runs_syncs, heartbeat_at = clock_timestamp(), expires_at = EXCLUDED.expires_at,
           started_at = CASE WHEN syncline_instances.boot_id = EXCLUDED.boot_id THEN syncline_instances.started_at ELSE clock_timestamp() END
       )
       UPDATE sync_leases l SET heartbeat_at = clock_timestamp(), expires_at = clock_timestamp() + $8 * interval '1 millisecond'
       FROM unnest($2::uuid[], $3::bigint[]) AS h(sync_id, token)
       WHERE l.sync_id = h.sync_id AND l.token = h.token AND l.owner = $1
       RETURNING l.sync_id`,
      [
        this.instanceId,
        snapshot.map(([id]) => id),
        snapshot.map(([, h]) => h.token),
        this.bootId,
        os.hostname(),
        process.pid,
        this.options.runsSyncs,
        this.ttlMs,
      ],
    );
    const renewed = new Set(rows.map((r) => r.sync_id));
    for (const [syncId, held] of snapshot) {
      const current = this.held.get(syncId);
      if (current?.token !== held.token) continue; // released or re-acquired meanwhile
      if (renewed.has(syncId)) current.confirmedAt = Math.max(current.confirmedAt, sentAt);
      else this.lose(syncId, 'taken over by another instance');
    }
  }
}
