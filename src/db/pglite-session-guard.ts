import type { PGlite } from '@electric-sql/pglite';

/** Settings a client changed for its session (`SET`, `set_config(…, false)`), as pg_settings shows them. */
type SessionSettings = [name: string, setting: string][];

/**
 * PGlite has one backend, so every client of the socket shares one session: a `pg_dump`
 * (`search_path = ''`) or a `SET default_transaction_read_only = on` in someone's psql would
 * change the server's own queries. The server's connections run with the defaults; another
 * client's session settings are applied only while its own messages run, and put aside (then
 * reset) before anyone else's run, so each client keeps its settings and nobody sees another's.
 */
export class PgliteSessionGuard {
  private readonly saved = new Map<number, SessionSettings>();
  /** The other client whose settings are on the backend now, or null (the defaults). */
  private applied: number | null = null;

  constructor(private readonly db: PGlite) {}

  /** Before a unit of `handlerId`'s messages runs; never inside a transaction. */
  async enter(handlerId: number, isServer: boolean): Promise<void> {
    if (this.applied === handlerId) return;
    if (this.applied !== null) await this.putAside(this.applied);
    if (isServer) return;
    for (const [name, setting] of this.saved.get(handlerId) ?? []) {
      await this.db.query('SELECT pg_catalog.set_config($1, $2, false)', [name, setting]).catch(() => undefined);
    }
    this.applied = handlerId;
  }

  /** A client left: its settings go, and the backend returns to the defaults if they were applied. */
  async leave(handlerId: number): Promise<void> {
    this.saved.delete(handlerId);
    if (this.applied !== handlerId) return;
    this.applied = null;
    await this.reset();
  }

  private async putAside(handlerId: number): Promise<void> {
    const { rows } = await this.db.query<{ name: string; setting: string }>(`SELECT name, setting FROM pg_catalog.pg_settings WHERE source = 'session'`);
    this.saved.set(handlerId, rows.map((r) => [r.name, r.setting]));
    this.applied = null;
    await this.reset();
  }

  private async reset(): Promise<void> {
    await this.db.exec('RESET ALL; RESET ROLE; RESET SESSION AUTHORIZATION');
  }
}
