import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from '../logger.ts';

export type LiveMessage =
  | { channel: 'records'; streamId: string; syncId: string; collectionId: string; maxIdx: bigint; remote?: boolean }
  | { channel: 'sync'; syncId: string; remote?: boolean }
  /** Verified provider webhooks left hints for the sync (sync_webhook_hints): its runner drains them. Not 'sync': that reloads the scheduler. */
  | { channel: 'webhook-hints'; syncId: string; remote?: boolean }
  /** An API token was revoked: its live connections close (src/live/token-sockets.ts). */
  | { channel: 'token-revoked'; tokenId: string; remote?: boolean };

/** The PostgreSQL notification channel that carries the bus between processes. */
export const NOTIFY_CHANNEL = 'syncline_live';
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

/**
 * Fan-out of "something committed" signals to subscriptions, long polls and workers.
 * Listeners re-read the read models; the bus carries no data, so a missed signal costs latency,
 * never correctness (every listener also re-checks on a timer).
 *
 * In-process by default. With `connect` (PostgreSQL, several processes on one database) every
 * message published here is also sent with NOTIFY and every message another process sends is
 * emitted here (`remote: true`), through one dedicated connection that reconnects with backoff.
 * Embedded PGlite never delivers notifications: there the bus stays in-process, which is all one
 * process needs.
 */
export class LiveBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private bridge: NotifyBridge | null = null;

  publish(message: LiveMessage): void {
    this.emitter.emit(message.channel, message);
    this.bridge?.send(message);
  }

  on<C extends LiveMessage['channel']>(channel: C, listener: (message: Extract<LiveMessage, { channel: C }>) => void): () => void {
    this.emitter.on(channel, listener as (message: LiveMessage) => void);
    return () => this.emitter.off(channel, listener as (message: LiveMessage) => void);
  }

  /** Carries the bus across every process connected to this database (LISTEN/NOTIFY). */
  async connect(connectionString: string, logger: Logger): Promise<void> {
    if (this.bridge) return;
    this.bridge = new NotifyBridge(connectionString, logger, (message) => this.emitter.emit(message.channel, message));
    await this.bridge.open();
  }

  async close(): Promise<void> {
    const bridge = this.bridge;
    this.bridge = null;
    await bridge?.close();
  }
}

interface WireMessage {
  /** The sending process (its own notifications come back to it and are skipped). */
  o: string;
  c: LiveMessage['channel'];
  sy?: string;
  st?: string;
  co?: string;
  i?: string;
  /** token id (token-revoked) */
  t?: string;
}

class NotifyBridge {
  private readonly origin = randomUUID();
  private client: pg.Client | null = null;
  private pending: string[] = [];
  private sending = false;
  private closed = false;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
    private readonly deliver: (message: LiveMessage) => void,
  ) {}

  async open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('error', (error) => this.dropped(client, error));
    client.on('end', () => this.dropped(client, null));
    client.on('notification', (notification) => {
      if (notification.channel !== NOTIFY_CHANNEL || !notification.payload) return;
      const message = this.decode(notification.payload);
      if (message) this.deliver(message);
    });
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
  }

  send(message: LiveMessage): void {
    if (!this.client || message.remote) return; // signals only: while disconnected, listeners' rechecks cover
    const wire: WireMessage =
      message.channel === 'records'
        ? { o: this.origin, c: 'records', sy: message.syncId, st: message.streamId, co: message.collectionId, i: message.maxIdx.toString() }
        : message.channel === 'sync' || message.channel === 'webhook-hints'
          ? { o: this.origin, c: message.channel, sy: message.syncId }
          : { o: this.origin, c: 'token-revoked', t: message.tokenId };
    this.pending.push(JSON.stringify(wire));
    if (!this.sending) void this.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /** Everything queued goes in one statement (in order); what is published meanwhile waits for the next. */
  private async flush(): Promise<void> {
    this.sending = true;
    try {
      while (this.pending.length > 0 && this.client) {
        const batch = this.pending;
        this.pending = [];
        await this.client.query(`SELECT pg_notify($1, payload) FROM unnest($2::text[]) WITH ORDINALITY AS p(payload, n) ORDER BY n`, [NOTIFY_CHANNEL, batch]).catch((error: unknown) => {
          this.logger.debug({ err: error }, 'live bus notify failed');
        });
      }
    } finally {
      this.sending = false;
      this.pending = [];
    }
  }

  private decode(payload: string): LiveMessage | null {
    try {
      const wire = JSON.parse(payload) as WireMessage;
      if (wire.o === this.origin) return null;
      if (wire.c === 'records' && wire.sy && wire.st && wire.co)
        return { channel: 'records', streamId: wire.st, syncId: wire.sy, collectionId: wire.co, maxIdx: BigInt(wire.i ?? '0'), remote: true };
      if (wire.c === 'sync' && wire.sy) return { channel: 'sync', syncId: wire.sy, remote: true };
      if (wire.c === 'webhook-hints' && wire.sy) return { channel: 'webhook-hints', syncId: wire.sy, remote: true };
      if (wire.c === 'token-revoked' && wire.t) return { channel: 'token-revoked', tokenId: wire.t, remote: true };
    } catch {
      // not ours
    }
    return null;
  }

  private dropped(client: pg.Client, error: Error | null): void {
    if (this.client !== client && this.client !== null) return;
    if (this.client === client) this.client = null;
    void client.end().catch(() => undefined);
    if (this.closed || this.reconnectTimer) return;
    this.logger.warn({ err: error ?? undefined, retryInMs: this.reconnectDelay }, 'live bus connection lost: reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.open().catch((reconnectError: unknown) => this.dropped(client, reconnectError as Error));
    }, this.reconnectDelay);
    this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay * 2);
  }
}
