import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { Server } from 'node:http';
import pg from 'pg';

/** The request header that asks for a request's statements to be counted. */
export const COUNT_HEADER = 'x-test-count-statements';

const counted = Symbol('counted statements');
type TaggedClient = pg.PoolClient & { [counted]?: string[] };

/**
 * Counts the SQL statements an in-process server sends while it answers the requests a test marks
 * with COUNT_HEADER: every statement sent on a client checked out of a pg pool (the app's, the
 * one under Prisma's adapter, the event store's) by such a request, `pool.query` included.
 *
 * A request is followed by its async context (AsyncLocalStorage); a client is attributed when it
 * is checked out, because pg calls back from the connection's socket, whose context is whoever
 * opened it. What the server does in the background (leases, publishers) is left out.
 */
export class StatementCounter {
  private readonly sessions = new Map<string, string[]>();
  private readonly restore: () => void;

  constructor() {
    const context = new AsyncLocalStorage<string[]>();
    const sessions = this.sessions;
    const { query } = pg.Client.prototype;
    const { connect } = pg.Pool.prototype;
    const { emit } = Server.prototype;

    pg.Client.prototype.query = function (this: TaggedClient, ...args: unknown[]) {
      this[counted]?.push(statementText(args[0]));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;

    // pool.query checks a client out through this.connect too, from the caller's context.
    pg.Pool.prototype.connect = function (this: pg.Pool, callback?: (error: Error | undefined, client: pg.PoolClient | undefined, done: unknown) => void) {
      const statements = context.getStore();
      const checkOut = connect as (this: pg.Pool, cb?: unknown) => Promise<pg.PoolClient> | void;
      if (!statements) return checkOut.call(this, callback);
      if (callback) return checkOut.call(this, (error: Error | undefined, client: pg.PoolClient | undefined, done: unknown) => callback(error, client && tag(client, statements), done));
      return (checkOut.call(this) as Promise<pg.PoolClient>).then((client) => tag(client, statements));
    } as typeof connect;

    Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
      const header = event === 'request' ? (args[0] as { headers?: Record<string, unknown> }).headers?.[COUNT_HEADER] : undefined;
      const statements = typeof header === 'string' ? sessions.get(header) : undefined;
      if (statements) return context.run(statements, () => Reflect.apply(emit, this, [event, ...args]) as boolean);
      return Reflect.apply(emit, this, [event, ...args]) as boolean;
    } as typeof emit;

    this.restore = () => {
      pg.Client.prototype.query = query;
      pg.Pool.prototype.connect = connect;
      Server.prototype.emit = emit;
    };
  }

  /** Runs `send` with headers that mark its requests; answers what it returned and the statements they sent. */
  async count<T>(send: (headers: Record<string, string>) => Promise<T>): Promise<{ result: T; statements: string[] }> {
    const id = randomUUID();
    const statements: string[] = [];
    this.sessions.set(id, statements);
    try {
      const result = await send({ [COUNT_HEADER]: id });
      return { result, statements: [...statements] };
    } finally {
      this.sessions.delete(id);
    }
  }

  dispose(): void {
    this.restore();
  }
}

/** Counts the client's statements until it goes back to the pool. */
function tag(client: pg.PoolClient, statements: string[]): pg.PoolClient {
  const tagged = client as TaggedClient;
  tagged[counted] = statements;
  const release = client.release;
  client.release = (error?: Error | boolean) => {
    delete tagged[counted];
    client.release = release;
    return release.call(client, error);
  };
  return client;
}

function statementText(config: unknown): string {
  if (typeof config === 'string') return config;
  if (config && typeof config === 'object' && 'text' in config) return String((config as { text: unknown }).text);
  return String(config);
}
