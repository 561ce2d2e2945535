import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import type { Principal } from '../app-context.ts';
import type { Logger } from '../logger.ts';
import type { LiveBus } from './live-bus.ts';

/** graphql-ws' own "Forbidden" close code; the console signs out when it sees it. */
export const TOKEN_REVOKED_CLOSE_CODE = 4403;
/** How often the tokens of open connections are re-read, in case a revocation signal was missed. */
export const TOKEN_RECHECK_MS = 30_000;
/** A revocation is remembered this long, for a connection that authenticated just before it and registers just after. */
const REMEMBER_REVOKED_MS = 60_000;

/** Ends one long-lived connection (a graphql-ws socket, an event stream). */
export type CloseConnection = () => void;

export interface TokenSocketsOptions {
  bus: LiveBus;
  pool: pg.Pool;
  logger: Logger;
  recheckMs?: number;
}

/**
 * The long-lived connections (graphql-ws sockets, GraphQL event streams) open in this process, by
 * the API token that opened them. A revoked token's connections are closed as soon as the
 * revocation signal arrives over the live bus (which crosses processes in PostgreSQL mode), and,
 * as a safety net for a missed signal, when the periodic re-check finds the token revoked or gone.
 */
export class TokenSockets {
  private readonly byToken = new Map<string, Set<CloseConnection>>();
  private readonly revokedAt = new Map<string, number>();
  private readonly offBus: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: TokenSocketsOptions) {
    this.offBus = options.bus.on('token-revoked', (message) => this.closeToken(message.tokenId));
    this.timer = setInterval(() => void this.recheck(), options.recheckMs ?? TOKEN_RECHECK_MS).unref();
  }

  /** Registers a connection opened with `principal`'s token; the answer unregisters it. */
  track(principal: Principal, close: CloseConnection): () => void {
    if (this.revokedAt.has(principal.tokenId)) {
      close();
      return () => undefined;
    }
    let connections = this.byToken.get(principal.tokenId);
    if (!connections) this.byToken.set(principal.tokenId, (connections = new Set()));
    connections.add(close);
    return () => {
      connections.delete(close);
      if (connections.size === 0 && this.byToken.get(principal.tokenId) === connections) this.byToken.delete(principal.tokenId);
    };
  }

  /** A graphql-ws socket: closed with 4403 when its token is revoked. */
  trackSocket(principal: Principal, socket: { close(code: number, reason: string): void; once(event: 'close', listener: () => void): unknown }): void {
    socket.once('close', this.track(principal, () => socket.close(TOKEN_REVOKED_CLOSE_CODE, 'Forbidden: token revoked')));
  }

  /** A GraphQL answer streamed over HTTP (a subscription as server-sent events or multipart) ends with its token. */
  trackEventStream(principal: Principal | null, req: IncomingMessage, res: ServerResponse): void {
    const accept = req.headers.accept ?? '';
    if (!principal || !(accept.includes('text/event-stream') || accept.includes('multipart/mixed'))) return;
    res.once('close', this.track(principal, () => res.destroy()));
  }

  /** How many connections are open (metrics, tests). */
  get size(): number {
    let size = 0;
    for (const connections of this.byToken.values()) size += connections.size;
    return size;
  }

  /** Closes the connections of tokens that are no longer valid (revoked, deleted, their account gone). */
  async recheck(): Promise<void> {
    const tokenIds = [...this.byToken.keys()];
    if (tokenIds.length === 0) return;
    try {
      const { rows } = await this.options.pool.query<{ id: string }>(
        `SELECT t.id FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.id = ANY($1::uuid[]) AND t.revoked_at IS NULL`,
        [tokenIds],
      );
      const valid = new Set(rows.map((row) => row.id));
      for (const tokenId of tokenIds) if (!valid.has(tokenId)) this.closeToken(tokenId);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not re-check the tokens of open connections');
    }
  }

  stop(): void {
    this.offBus();
    clearInterval(this.timer);
  }

  private closeToken(tokenId: string): void {
    const now = Date.now();
    this.revokedAt.set(tokenId, now);
    for (const [id, at] of this.revokedAt) if (now - at > REMEMBER_REVOKED_MS) this.revokedAt.delete(id);
    const connections = this.byToken.get(tokenId);
    if (!connections) return;
    this.byToken.delete(tokenId);
    this.options.logger.info({ tokenId, connections: connections.size }, 'token revoked: closing its live connections');
    for (const close of connections) close();
  }
}
