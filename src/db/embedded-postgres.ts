import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { lockDataDir } from './data-dir-lock.ts';
import { keepProtocolUnitsTogether } from './pglite-protocol-queue.ts';

export interface EmbeddedPostgres {
  connectionString: string;
  close(): Promise<void>;
}

/**
 * An in-process PostgreSQL (PGlite) persisted in `dataDir`, served over a loopback socket so that
 * `pg`, Prisma's adapter and Emmett all talk to it like to any PostgreSQL.
 * PGlite runs one backend: transactions are serialized and LISTEN/NOTIFY is not delivered, which
 * is why live fan-out goes through an in-process channel in this mode.
 */
export async function startEmbeddedPostgres(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  const unlock = await lockDataDir(dataDir);
  const db = await PGlite.create({ dataDir: `${dataDir}/pgdata` });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  keepProtocolUnitsTogether(server, db);
  await server.start();
  return {
    connectionString: `postgresql://postgres:postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    async close() {
      await server.stop();
      await db.close();
      await unlock();
    },
  };
}
