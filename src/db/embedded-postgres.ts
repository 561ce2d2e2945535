import { randomBytes } from 'node:crypto';
import { chmod } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { lockDataDir } from './data-dir-lock.ts';
import { prepareEmbeddedSocket } from './embedded-socket.ts';
import { keepProtocolUnitsTogether } from './pglite-protocol-queue.ts';
import { ensurePrivateDirectory } from './private-directory.ts';

export interface EmbeddedPostgres {
  connectionString: string;
  /** The Unix socket the database listens on (the owner's tools may connect: `psql -h <its dir>`). */
  socketPath: string;
  close(): Promise<void>;
}

/**
 * An in-process PostgreSQL (PGlite) persisted in `dataDir`, served over a Unix socket that only
 * the server's user can reach, so that `pg`, Prisma's adapter and Emmett all talk to it like to
 * any PostgreSQL and no other local user can. PGlite runs one backend: transactions are
 * serialized, LISTEN/NOTIFY is not delivered (live fan-out goes through an in-process channel in
 * this mode), and other clients' session settings are kept apart by the protocol queue.
 */
export async function startEmbeddedPostgres(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
  await ensurePrivateDirectory(dataDir);
  const unlock = await lockDataDir(dataDir);
  const socket = await prepareEmbeddedSocket(dataDir);
  const db = await PGlite.create({ dataDir: `${dataDir}/pgdata` });
  const server = new PGLiteSocketServer({ db, path: socket.path, maxConnections });
  // The server's own connections name themselves so that the queue tells them from other clients.
  const applicationName = `syncline-${randomBytes(6).toString('hex')}`;
  keepProtocolUnitsTogether(server, db, applicationName);
  await server.start();
  await chmod(socket.path, 0o600);
  const query = new URLSearchParams({ host: socket.dir, sslmode: 'disable', application_name: applicationName });
  return {
    connectionString: `postgresql://postgres@/postgres?${query.toString()}`,
    socketPath: socket.path,
    async close() {
      await server.stop();
      await db.close();
      await socket.remove();
      await unlock();
    },
  };
}
