import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PgliteSessionGuard } from './pglite-session-guard.ts';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
  onData: (data: Uint8Array) => void;
}

/** Frontend messages that end a unit of work: Sync, simple Query, Terminate, CopyDone, CopyFail. */
const UNIT_END = new Set(['S', 'Q', 'X', 'c', 'f'].map((c) => c.charCodeAt(0)));
/** Startup, SSL and cancel requests start with a length, not a type letter. */
const isUntyped = (message: Uint8Array) => (message[0] ?? 0) < 0x41;
const PROTOCOL_3 = 196608;

/** The parameters of a StartupMessage (length, protocol 3.0, then name/value pairs), or null. */
export function startupParameters(message: Uint8Array): Map<string, string> | null {
  if (message.length < 8 || !isUntyped(message)) return null;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  if (view.getInt32(4) !== PROTOCOL_3) return null;
  const parts = new TextDecoder().decode(message.subarray(8)).split('\0');
  const parameters = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) parameters.set(parts[i]!, parts[i + 1]!);
  return parameters;
}

/**
 * Replaces pglite-socket's query queue, which runs each protocol message on its own: two
 * connections then interleave their Parse/Bind/Execute messages on PGlite's single backend
 * ("bind message supplies 2 parameters, but prepared statement requires 1"), and one connection
 * can even receive another's rows. This queue keeps a connection's messages together until the
 * unit ends (Sync / Query), and for the whole of an explicit transaction.
 */
export class ProtocolUnitQueue {
  private queue: QueuedMessage[] = [];
  private processing = false;
  /** The connection whose unit (or transaction) is open, or null. */
  private owner: number | null = null;
  private unitOpen = false;
  /** Connections that named the server's own application_name at startup; every other is a client's. */
  private readonly serverConnections = new Set<number>();
  private readonly departed = new Set<number>();
  private readonly sessions: PgliteSessionGuard;

  /** `serverApplicationName`: what the server's own connections send as `application_name`. */
  constructor(
    private readonly db: PGlite,
    private readonly serverApplicationName: string | null = null,
  ) {
    this.sessions = new PgliteSessionGuard(db);
  }

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    const startup = startupParameters(message);
    if (startup && this.serverApplicationName !== null && startup.get('application_name') === this.serverApplicationName) {
      this.serverConnections.add(handlerId);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, resolve, reject, onData });
      void this.processQueue();
    });
  }

  async processQueue(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (;;) {
        await this.forgetDeparted();
        const item = this.takeNext();
        if (!item) break; // empty, or the open unit's connection has not sent its next message yet
        let sent = 0;
        try {
          if (!this.unitOpen && !this.db.isInTransaction()) await this.sessions.enter(item.handlerId, this.serverConnections.has(item.handlerId));
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                sent += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (error) {
          this.release();
          item.reject(error);
          continue;
        }
        this.owner = item.handlerId;
        this.unitOpen = !isUntyped(item.message) && !UNIT_END.has(item.message[0]!);
        item.resolve(sent);
      }
    } finally {
      this.processing = false;
    }
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((item) => {
      if (item.handlerId !== handlerId) return true;
      item.reject(new Error('Handler disconnected'));
      return false;
    });
    this.serverConnections.delete(handlerId);
    this.departed.add(handlerId);
    if (this.owner === handlerId && this.unitOpen) {
      this.release();
      void this.processQueue();
    }
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner === handlerId) {
      if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
      this.release();
    }
    await this.processQueue();
  }

  /** Session settings of connections that left are dropped between units, in the queue's order. */
  private async forgetDeparted(): Promise<void> {
    if (this.departed.size === 0 || (this.owner !== null && (this.unitOpen || this.db.isInTransaction()))) return;
    for (const handlerId of [...this.departed]) {
      this.departed.delete(handlerId);
      await this.sessions.leave(handlerId);
    }
  }

  private takeNext(): QueuedMessage | null {
    const exclusive = this.owner !== null && (this.unitOpen || this.db.isInTransaction());
    if (!exclusive) return this.queue.shift() ?? null;
    const index = this.queue.findIndex((item) => item.handlerId === this.owner);
    return index === -1 ? null : this.queue.splice(index, 1)[0]!;
  }

  private release(): void {
    this.owner = null;
    this.unitOpen = false;
  }
}

/** Installs the queue on a server before it starts accepting connections. */
export function keepProtocolUnitsTogether(server: PGLiteSocketServer, db: PGlite, serverApplicationName: string | null = null): void {
  (server as unknown as { queryQueue: ProtocolUnitQueue }).queryQueue = new ProtocolUnitQueue(db, serverApplicationName);
}
