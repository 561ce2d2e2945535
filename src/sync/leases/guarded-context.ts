import type pg from 'pg';
import type { AppContext } from '../../app-context.ts';
import type { Fence, StatementLock } from '../../db/stream-write-lock.ts';
import type { LeaseGuard } from './sync-leases.ts';

type Transaction = <T>(streamId: string, work: (db: pg.PoolClient) => Promise<T>) => Promise<T>;
type Statement = <T>(streamId: string, work: (db: pg.PoolClient, lock: StatementLock, fence: Fence | null) => Promise<T>) => Promise<T>;

/**
 * The context a leased sync runner works with: every write it makes goes through the lease.
 * Record appends check the lease inside their transaction (`LeaseGuard.inTransaction`: owner and
 * fencing token, share-locked until commit; a single-statement write gets the lease as its `fence`
 * to check the same way); event appends (checkpoints, sync errors) and direct
 * pool writes (backfill scan, telemetry) check that the lease is held with a margin of a quarter
 * of its TTL before it could be taken over. A runner that lost its lease gets `LeaseLostError`
 * (a `StaleRunError`: the run ends) instead of writing.
 *
 * The wrappers are proxies of the app's own objects (same in-process write chains, same pools):
 * every other member is the original's, bound to it.
 */
export function leaseGuardedContext(ctx: AppContext, guard: LeaseGuard): AppContext {
  const lock = ctx.streamWriteLock;
  const transaction = (lock as unknown as { transaction?: Transaction }).transaction;
  const statement = (lock as unknown as { statement?: Statement }).statement;
  const guardedLock = override(lock, {
    run: <T>(streamId: string, work: () => Promise<T>) =>
      lock.run(streamId, async () => {
        guard.assertHeld();
        return work();
      }),
    ...(typeof transaction === 'function'
      ? {
          transaction: ((streamId, work) =>
            transaction.call(lock, streamId, async (db) => {
              await guard.inTransaction(db);
              return work(db);
            })) as Transaction,
        }
      : {}),
    ...(typeof statement === 'function'
      ? {
          statement: ((streamId, work) =>
            statement.call(lock, streamId, async (db, how) => {
              guard.assertHeld();
              return work(db, how, { syncId: guard.syncId, owner: guard.owner, token: guard.token });
            })) as Statement,
        }
      : {}),
  });

  const eventStore = ctx.eventStore;
  const guardedStore = override(eventStore, {
    appendToStream: ((...args: Parameters<typeof eventStore.appendToStream>) => {
      guard.assertHeld();
      return eventStore.appendToStream(...args);
    }) as typeof eventStore.appendToStream,
  });

  const pool = ctx.pool;
  const guardedPool = override(pool, {
    query: ((...args: unknown[]) => {
      if (!guard.isHeld()) return Promise.reject(lostError(guard));
      return (pool.query as (...a: unknown[]) => unknown).apply(pool, args);
    }) as pg.Pool['query'],
  });

  originals.set(guardedPool, pool);
  return { ...ctx, streamWriteLock: guardedLock, eventStore: guardedStore, pool: guardedPool };
}

const originals = new WeakMap<pg.Pool, pg.Pool>();

/** The app's pool behind a guarded one (resources keyed by the database, such as rate limiters). */
export function unguardedPool(pool: pg.Pool): pg.Pool {
  return originals.get(pool) ?? pool;
}

function override<T extends object>(target: T, members: Record<string, unknown>): T {
  return new Proxy(target, {
    get(object, property) {
      if (typeof property === 'string' && Object.hasOwn(members, property)) return members[property];
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(object) : value;
    },
  });
}

function lostError(guard: LeaseGuard): unknown {
  try {
    guard.assertHeld();
    return new Error(`lease of sync ${guard.syncId} lost`);
  } catch (error) {
    return error;
  }
}
