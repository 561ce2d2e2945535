import pg from 'pg';
import { LOOPBACK_EGRESS_ALLOW, randomPort, spawnServer, stopServer, type ChildServer } from '../support/child-server.ts';
import { ROOT_TOKEN, TEST_SECRET_KEY } from '../support/server.ts';

export interface Instance {
  id: string;
  port: number;
  server: ChildServer;
}

/** Syncline instances as real child processes on one PostgreSQL database, each with its instance id. */
export class Cluster {
  readonly instances: Instance[] = [];
  private readonly db: pg.Client;

  private constructor(
    readonly databaseUrl: string,
    private readonly env: Record<string, string>,
  ) {
    this.db = new pg.Client({ connectionString: databaseUrl });
  }

  static async start(databaseUrl: string, size: number, env: Record<string, string> = {}): Promise<Cluster> {
    const cluster = new Cluster(databaseUrl, env);
    await cluster.db.connect();
    // The first applies the migrations; the others start together.
    await cluster.add();
    await Promise.all(Array.from({ length: size - 1 }, () => cluster.add()));
    return cluster;
  }

  async add(port = randomPort()): Promise<Instance> {
    const id = `instance-${port}`;
    const server = await spawnServer(
      { DATABASE_URL: this.databaseUrl, SYNCLINE_API_TOKEN: ROOT_TOKEN, SYNCLINE_SECRET_KEY: TEST_SECRET_KEY, SYNCLINE_INSTANCE_ID: id, SYNCLINE_EGRESS_ALLOW: LOOPBACK_EGRESS_ALLOW, ...this.env },
      port,
    );
    const instance = { id, port, server };
    this.instances.push(instance);
    return instance;
  }

  async kill(instance: Instance): Promise<void> {
    await stopServer(instance.server.child, 'SIGKILL');
    this.instances.splice(this.instances.indexOf(instance), 1);
  }

  /** The instance holding the sync's live lease, if any. */
  async leaseOf(syncId: string): Promise<{ owner: string; token: number } | null> {
    const { rows } = await this.db.query<{ owner: string; token: string }>(
      'SELECT owner, token FROM sync_leases WHERE sync_id = $1 AND expires_at > clock_timestamp()',
      [syncId],
    );
    return rows[0] ? { owner: rows[0].owner, token: Number(rows[0].token) } : null;
  }

  query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
    return this.db.query<R>(sql, params);
  }

  output(): string {
    return this.instances.map((i) => `--- ${i.id}\n${i.server.output()}`).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map((i) => stopServer(i.server.child, 'SIGKILL')));
    this.instances.length = 0;
    await this.db.end().catch(() => undefined);
  }
}
