import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../support/database.ts';

/**
 * Regression (crash part of the reliability suite, `restart-same-instance-slots`): a server
 * SIGKILLed and restarted on its port is the same instance (`<hostname>:<PORT>`) with a new boot.
 * The request slots the killed boot left open used to count as in flight for ever, and with
 * max_concurrent_requests of them the sync never sent a request again.
 */
describe('shared rate limit across a restart of the same instance', () => {
  let db: MigratedTestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createMigratedTestDatabase(2);
    pool = db.pool;
  });

  afterAll(() => db?.close());

  const take = async (syncId: string, owner: string) =>
    (await pool.query<{ slot_id: string | null }>('SELECT slot_id FROM syncline_take_request_slot($1, $2, 100, 1000, 1)', [syncId, owner])).rows[0]!.slot_id;

  const boot = (instance: string) =>
    pool.query(
      `INSERT INTO syncline_instances (instance_id, boot_id, hostname, pid, runs_syncs, expires_at)
       VALUES ($1, $2, 'host', 1, true, clock_timestamp() + interval '1 hour')
       ON CONFLICT (instance_id) DO UPDATE SET boot_id = EXCLUDED.boot_id, started_at = clock_timestamp(), expires_at = EXCLUDED.expires_at`,
      [instance, randomUUID()],
    );

  it('counts a slot left open by the previous boot as ended once the instance booted again', async () => {
    const syncId = randomUUID();
    const instance = `host:${Math.floor(Math.random() * 1e6)}`;
    await boot(instance);
    expect(await take(syncId, instance)).not.toBeNull();
    // The same boot: its open slot is in flight, max_concurrent_requests 1 is reached.
    expect(await take(syncId, instance)).toBeNull();
    // Killed with the slot open, restarted on the same port: the same instance, a new boot.
    await boot(instance);
    expect(await take(syncId, instance)).not.toBeNull();
    expect(await take(syncId, instance)).toBeNull();
  });
});
