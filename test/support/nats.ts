import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RestClient } from './api.ts';
import { connect, DiscardPolicy, type ConnectionOptions, type NatsConnection } from 'nats';
import { freePort } from './free-port.ts';

/** The shared NATS (JetStream) of the test environment: never stopped by tests. */
export const SHARED_NATS = { host: '127.0.0.1', port: 4222 };

const NATS_SERVER_BINARY = process.env.NATS_SERVER_BINARY ?? '/usr/sbin/nats-server';

/** A name no other test uses: for JetStream streams and subject prefixes on the shared server. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function connectNats(server: { host: string; port: number }, options: ConnectionOptions = {}): Promise<NatsConnection> {
  return connect({ servers: `${server.host}:${server.port}`, ...options });
}

/** A JetStream stream capturing `<subjectPrefix>.>`, optionally as the docs recommend (one message per subject, discard old). */
export async function addStream(nc: NatsConnection, name: string, subjectPrefix: string, options: { latestOnly: boolean }) {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({
    name,
    subjects: [`${subjectPrefix}.>`],
    ...(options.latestOnly ? { max_msgs_per_subject: 1, discard: DiscardPolicy.Old } : {}),
  });
}

export async function deleteStream(nc: NatsConnection, name: string): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(name).catch(() => undefined);
}

export async function streamMessageCount(nc: NatsConnection, name: string): Promise<number> {
  const jsm = await nc.jetstreamManager();
  return (await jsm.streams.info(name)).state.messages;
}

export interface StoredMessage {
  seq: number;
  subject: string;
  msgId: string | null;
  /** nanoseconds since the epoch, when JetStream stored the message */
  timestampNanos: number;
  record: Record<string, unknown>;
}

/** Every message the stream holds, in sequence order (through an ordered consumer). */
export async function readStream(nc: NatsConnection, name: string): Promise<StoredMessage[]> {
  const total = await streamMessageCount(nc, name);
  const stored: StoredMessage[] = [];
  if (total === 0) return stored;
  const consumer = await nc.jetstream().consumers.get(name);
  const messages = await consumer.consume({ max_messages: 1000 });
  for await (const m of messages) {
    stored.push({
      seq: m.seq,
      subject: m.subject,
      msgId: m.headers?.get('Nats-Msg-Id') ?? null,
      timestampNanos: m.info.timestampNanos,
      record: m.json<Record<string, unknown>>(),
    });
    if (stored.length >= total) break;
  }
  await messages.close();
  return stored;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

export type NatsAuth = { token: string } | { user: string; password: string } | null;

export interface PrivateNatsServer {
  host: string;
  port: number;
  /** Stops the server (its JetStream store stays on disk). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same store. */
  start(): Promise<void>;
  /** Stops it and removes its store. */
  destroy(): Promise<void>;
}

/** A nats-server with JetStream on a random port and its own store dir, for outage and auth tests. */
export async function startPrivateNatsServer(auth: NatsAuth = null): Promise<PrivateNatsServer> {
  const port = await freePort();
  const storeDir = await mkdtemp(path.join(tmpdir(), 'syncline-nats-'));
  const authArgs = auth === null ? [] : 'token' in auth ? ['--auth', auth.token] : ['--user', auth.user, '--pass', auth.password];
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, ...authArgs];
  let child: ChildProcess | null = null;
  let output = '';

  async function start(): Promise<void> {
    const process = spawn(NATS_SERVER_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    process.stdout!.on('data', (chunk) => (output += chunk));
    process.stderr!.on('data', (chunk) => (output += chunk));
    child = process;
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (process.exitCode !== null) throw new Error(`nats-server exited: ${output}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function stop(): Promise<void> {
    const process = child;
    child = null;
    if (!process || process.exitCode !== null || process.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => process.once('exit', () => resolve()));
    process.kill('SIGTERM');
    await exited;
  }

  await start();
  return {
    host: '127.0.0.1',
    port,
    start,
    stop,
    async destroy() {
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/**
 * A Stripe sync created through the API whose records a test writes itself (`seedRecords`); the
 * server runs with `disableSyncs`, or the sync is paused, so no provider is ever called.
 */
export async function createSeedableSync(api: RestClient, collectionIds = ['stripe:customer']): Promise<{ syncId: string; streamId: string }> {
  const credential = await api.post('/v1/credentials', { kind: 'stripe', secret: 'sk_test_nats_consumers_0123456789', name: 'nats tests' });
  if (credential.status !== 201) throw new Error(`credential: ${credential.status} ${JSON.stringify(credential.body)}`);
  const sync = await api.post('/v1/syncs', { provider: 'stripe', name: 'records for nats', collection_ids: collectionIds, credential_id: credential.body.id });
  if (sync.status !== 201) throw new Error(`sync: ${sync.status} ${JSON.stringify(sync.body)}`);
  return { syncId: sync.body.id, streamId: sync.body.stream_id };
}
