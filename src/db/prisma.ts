import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { createPool } from './pool.ts';

type TypeParsers = { getTypeParser: (oid: number, format?: string) => unknown };

/**
 * Emmett's driver (dumbo) replaces pg's global int8 parser with BigInt, and Prisma's adapter
 * falls back to the global parsers, then refuses the BigInt it did not expect. Prisma's
 * connections therefore answer int8 as text, as pg does by default.
 */
class PrismaPgClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [config] = args as [{ types?: TypeParsers } | string];
    if (typeof config === 'object' && config !== null && config.types) {
      const inner = config.types;
      config.types = {
        getTypeParser: (oid: number, format?: string) => (oid === 20 && format !== 'binary' ? (value: string) => value : inner.getTypeParser(oid, format)),
      };
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

export function createPrisma(connectionString: string, max: number, logger: Logger): { prisma: PrismaClient; pool: pg.Pool; close: () => Promise<void> } {
  const pool = createPool({ connectionString, max, name: 'prisma', logger, Client: PrismaPgClient as unknown as typeof pg.Client });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

export type { PrismaClient };
